"""A process for tests/reliability/test_bulk_memory.py (not a test module).

``python bulk_memory_worker.py '<json>'`` builds a platform on a fresh SQLite file, seeds the
demo issuer and definition, then runs the bulk import path (``run_job_parallel`` with one
worker: this process) and anchoring on a first CSV of ``first`` rows and a second of
``second`` rows, printing the process's peak resident memory (``VmHWM``) after each as JSON.
A bulk job that keeps anything per row in memory has a peak that grows with the rows.
"""

from __future__ import annotations

import json
import secrets
import sys
from pathlib import Path
from typing import Any

from microcred.services.bulk_runner import run_job_parallel
from microcred.services.identity import Argon2Parameters, PasswordHashing
from microcred.services.imports import ImportRequest
from microcred.services.platform import build_platform
from microcred.services.seed import local_principal, seed_demo
from microcred.settings import load_settings

ADMIN = "memory@example.edu"


def _peak_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise SystemExit("no VmHWM in /proc/self/status")


def _cohort(path: Path, first: int, rows: int) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("Student ID,Full name,Email,Grade\r\n")
        for n in range(first, first + rows):
            out.write(f"M{n:07d},Learner Number {n},learner{n}@uni.example,{n % 5 + 1}\r\n")
    return path


def main(arguments: dict[str, Any]) -> int:
    home = Path(arguments["home"])
    settings = load_settings(
        home=home,
        database_url=f"sqlite:///{home / 'memory.db'}",
        base_url="https://credentials.example.edu",
        kek=secrets.token_hex(32),
        default_cryptosuite=arguments["default_cryptosuite"],
    )
    fast = PasswordHashing(Argon2Parameters(time_cost=1, memory_cost=64, parallelism=1))
    platform = build_platform(settings, allow_network=False, passwords=fast)
    try:
        seed = seed_demo(platform, admin_email=ADMIN)
        principal = local_principal(platform, ADMIN)
        request = ImportRequest(definition_id=seed.published.id)
        peaks: list[int] = []
        start = 1
        for rows in (int(arguments["first"]), int(arguments["second"])):
            csv = _cohort(home / f"cohort-{start}.csv", start, rows)
            start += rows
            job = platform.imports.create_job(principal, seed.issuer.id, csv, csv.name, request)
            outcome = run_job_parallel(platform, principal, seed.issuer.id, job.id, workers=1)
            assert outcome.job.issued_rows == rows, outcome.job
            assert outcome.anchoring is not None and outcome.anchoring.ok, outcome.anchoring
            peaks.append(_peak_kib())
        print(json.dumps({"peak_kib": peaks}), flush=True)
    finally:
        platform.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(json.loads(sys.argv[1])))
