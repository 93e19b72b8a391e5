#!/usr/bin/env bash
# `make run`: start microcred on this machine with the demo data.
#
# 1. a development key-encryption key under $MICROCRED_HOME (./var) unless MICROCRED_KEK or
#    MICROCRED_KEK_FILE is set (production must set one: docs/running.md);
# 2. migrate the database (SQLite under ./var unless MICROCRED_DATABASE_URL is set);
# 3. seed the demo (idempotent): University of Zed, two definitions, a learner, a credential;
#    print the login (the password only the first time) and the URLs;
# 4. serve on MICROCRED_HOST:MICROCRED_PORT (127.0.0.1:8000); with only MICROCRED_PORT set, the
#    base URL (links, claim e-mails, did:web DIDs) is http://127.0.0.1:$MICROCRED_PORT.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
export MICROCRED_HOME="${MICROCRED_HOME:-var}"
# Another port (MICROCRED_PORT=8080 make run) without a base URL: the demo's links, claim
# e-mails and did:web DIDs follow the port the server really listens on.
if [ -n "${MICROCRED_PORT:-}" ] && [ -z "${MICROCRED_BASE_URL:-}" ]; then
  export MICROCRED_BASE_URL="http://127.0.0.1:$MICROCRED_PORT"
fi

if [ -z "${MICROCRED_KEK:-}" ] && [ -z "${MICROCRED_KEK_FILE:-}" ]; then
  kek_file="$MICROCRED_HOME/dev-kek.txt"
  if [ ! -s "$kek_file" ]; then
    mkdir -p "$MICROCRED_HOME"
    (umask 077 && "$BIN/python" -c \
      'from microcred.keys.file_store import generate_kek; print(generate_kek())' >"$kek_file")
    echo "created a development key-encryption key: $kek_file" >&2
  fi
  echo "WARNING: development key-encryption key $kek_file in use." \
    "Production must set MICROCRED_KEK or MICROCRED_KEK_FILE (see docs/running.md)." >&2
  export MICROCRED_KEK_FILE="$kek_file"
fi

"$BIN/microcred" migrate
"$BIN/microcred" demo
exec "$BIN/microcred" serve
