"""``kill -9`` during a bulk import, then resume: nothing lost, nothing duplicated.

A real worker process (``import_worker.py``) runs an import job of 300 rows against the database
under test (a SQLite file, or PostgreSQL). Once some rows are issued (the test polls the
database), the worker gets SIGKILL — no chance to clean up, whatever it was doing. A second
worker process then runs the same job to the end. Every good row must be issued exactly once:
one credential per row, with the row's idempotency key, and no credential without its row.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from issuance_testkit import BASE_URL, Kit, make_kit
from storage_helpers import START, StepClock

from microcred.services.imports import ImportRequest, ImportService
from microcred.storage import ImportJobState, ImportRowState, import_idempotency_key

pytestmark = pytest.mark.slow

WORKER = Path(__file__).with_name("import_worker.py")
ROWS = 300
BAD_EVERY = 50  # rows 50, 100, ... have no e-mail: 6 rows fail validation
GOOD = ROWS - ROWS // BAD_EVERY
KILL_AFTER = 40  # issued rows before the kill


def _cohort() -> bytes:
    lines = ["Student ID,Full name,Email,Grade\r\n"]
    for n in range(1, ROWS + 1):
        email = "" if n % BAD_EVERY == 0 else f"learner{n}@uni.example"
        lines.append(f"S{n:05d},Learner Number {n},{email},{n % 5 + 1}\r\n")
    return "".join(lines).encode()


def _issued(kit: Kit, job_id: Any) -> int:
    with kit.uow(read_only=True) as tx:
        return tx.imports.progress(kit.issuer.id, job_id).issued


def _worker(arguments: dict[str, str], name: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), json.dumps(arguments | {"worker": name})],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_kill_9_mid_import_then_resume(database_url: str, clock: StepClock, tmp_path: Path) -> None:
    kek = secrets.token_hex(32)
    home = tmp_path / "home"
    # eddsa-jcs-2022 signs faster than the default; what is tested here is crash and resume
    suite = "eddsa-jcs-2022"
    kit = make_kit(database_url, clock, home, settings={"kek": kek, "default_cryptosuite": suite})
    try:
        definition = kit.published()
        imports = ImportService.for_issuance(kit.uow, kit.issuance)
        job = imports.create_job(
            kit.registrar,
            kit.issuer.id,
            _cohort(),
            "cohort.csv",
            ImportRequest(definition_id=definition.id),
        )
        assert (job.total_rows, job.pending_rows, job.failed_rows) == (ROWS, GOOD, ROWS - GOOD)
        assert kit.registrar.user_id is not None
        arguments = {
            "home": str(home),
            "database_url": database_url,
            "base_url": BASE_URL,
            "kek": kek,
            "now": START.isoformat(),
            "issuer_id": str(kit.issuer.id),
            "user_id": str(kit.registrar.user_id),
            "job_id": str(job.id),
            "batch_size": "10",
            "default_cryptosuite": suite,
        }

        # 1. the first worker dies by SIGKILL once some rows are issued
        first = _worker(arguments, "first")
        deadline = time.monotonic() + 240
        try:
            while _issued(kit, job.id) < KILL_AFTER:
                if first.poll() is not None:
                    _, err = first.communicate()
                    pytest.fail(f"the worker ended early ({first.returncode}): {err[-2000:]}")
                if time.monotonic() > deadline:
                    pytest.fail("the worker issued too few rows in time")
                time.sleep(0.02)
            os.kill(first.pid, signal.SIGKILL)
        finally:
            if first.poll() is None:
                first.kill()
            first.communicate()
        assert first.returncode == -signal.SIGKILL
        issued_at_kill = _issued(kit, job.id)
        assert KILL_AFTER <= issued_at_kill < GOOD, "the kill must land mid-way"

        # what a crash leaves behind is consistent: no credential without its issued row
        with kit.uow(read_only=True) as tx:
            credentials = tx.credentials.list_for_issuer(kit.issuer.id, limit=1000)
            status = tx.imports.get_job(kit.issuer.id, job.id)
        assert len(credentials) == issued_at_kill
        assert status.state is ImportJobState.RUNNING

        # 2. a second worker resumes the job and finishes it
        for attempt in range(5):
            second = _worker(arguments, f"second-{attempt}")
            out, err = second.communicate(timeout=300)
            assert second.returncode == 0, err[-3000:]
            if out.strip().endswith("state completed"):
                break
            # PostgreSQL may still hold the dead worker's row locks for a moment
            time.sleep(1)
        else:
            pytest.fail("the job never completed")

        # 3. every good row issued exactly once, nothing lost, nothing doubled
        with kit.uow(read_only=True) as tx:
            progress = tx.imports.progress(kit.issuer.id, job.id)
            rows = tx.imports.list_rows(kit.issuer.id, job.id, limit=1000)
            credentials = tx.credentials.list_for_issuer(kit.issuer.id, limit=1000)
            learners = tx.learners.count_for_issuer(kit.issuer.id)
            final = tx.imports.get_job(kit.issuer.id, job.id)
        assert final.state is ImportJobState.COMPLETED
        assert (progress.issued, progress.failed, progress.pending) == (GOOD, ROWS - GOOD, 0)
        assert len(credentials) == GOOD
        issued_rows = [row for row in rows if row.state is ImportRowState.ISSUED]
        assert len({row.credential_id for row in issued_rows}) == GOOD
        by_id = {credential.id: credential for credential in credentials}
        for row in issued_rows:
            credential = by_id[row.credential_id]  # every row points at a stored credential
            assert credential.idempotency_key == import_idempotency_key(job.id, row.row_number)
        assert learners == GOOD
        failed = [row.row_number for row in rows if row.state is ImportRowState.FAILED]
        assert failed == [n + 1 for n in range(BAD_EVERY, ROWS + 1, BAD_EVERY)]
        assert kit.verify(credentials[0].document).verified
    finally:
        kit.platform.close()
