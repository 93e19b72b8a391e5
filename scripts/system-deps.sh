#!/usr/bin/env bash
# System tools the tests use: Debian's Chromium (browser tests), poppler-utils (pdftoppm renders
# certificates) and zbar-tools (zbarimg decodes their QR codes). Installed once, only when one is
# missing; where apt-get cannot run (not root), the tests that need them skip with a reason.
set -euo pipefail
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/pdftoppm ] && [ -x /usr/bin/zbarimg ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y chromium poppler-utils zbar-tools
else
  echo "note: chromium, poppler-utils or zbar-tools missing and apt-get unavailable:" \
    "browser and certificate-rendering tests will be skipped" >&2
fi
