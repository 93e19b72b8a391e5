"""A bulk import's memory is flat in the number of rows (not timed).

A real process (``bulk_memory_worker.py``) imports, issues and anchors 2,000 rows, then
12,000 more, on the bulk path (chunks of 500, anchoring a chunk of documents at a time), and
reports its peak resident memory after each. The second, six times larger, job may raise the
peak by a small bound only (caches warming up, allocator slack), far below what keeping
anything per row would cost (a signed credential is several KiB: 12,000 of them ~60 MiB).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

WORKER = Path(__file__).with_name("bulk_memory_worker.py")
FIRST = 2_000
SECOND = 12_000
GROWTH_BOUND_MIB = 48
PEAK_BOUND_MIB = 1024


def test_peak_memory_is_flat_from_2k_to_14k_rows(tmp_path: Path) -> None:
    arguments = {
        "home": str(tmp_path),
        "first": FIRST,
        "second": SECOND,
        # eddsa-jcs-2022 signs faster than the default; memory is what is measured
        "default_cryptosuite": "eddsa-jcs-2022",
    }
    done = subprocess.run(
        [sys.executable, str(WORKER), json.dumps(arguments)],
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    small, large = json.loads(done.stdout.strip().splitlines()[-1])["peak_kib"]
    growth_mib = (large - small) / 1024
    assert growth_mib < GROWTH_BOUND_MIB, (small, large)
    assert large / 1024 < PEAK_BOUND_MIB, (small, large)
