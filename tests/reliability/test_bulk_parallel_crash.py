"""``kill -9`` of one of several PostgreSQL import workers: the job still completes, exactly once.

A coordinating process (``bulk_parallel_worker.py``) runs an import job of 400 rows with
:func:`~microcred.services.bulk_runner.run_job_parallel`: two worker processes share the job
through PostgreSQL (``FOR UPDATE SKIP LOCKED`` chunks, one transaction per chunk), then the
coordinator issues what is left and anchors everything. Once some chunks are committed, one of
the two workers gets SIGKILL — mostly in the middle of a chunk (signing, storing). The survivor
and the coordinator must finish the job: every row issued exactly once, one credential per
row, every status index handed out once, every credential in exactly one completed anchoring
batch with one anchor proof, and the credentials verify.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from issuance_testkit import BASE_URL, Kit, make_kit
from sqlalchemy import select
from storage_helpers import StepClock

from microcred.anchoring.proof import anchor_proofs
from microcred.services.imports import ImportRequest, ImportService
from microcred.storage import ImportJobState, ImportRowState, import_idempotency_key
from microcred.storage.ledger_tables import AnchorBatch, AnchorBatchItem, AnchorBatchState

pytestmark = pytest.mark.slow

COORDINATOR = Path(__file__).with_name("bulk_parallel_worker.py")
ROWS = 400
CHUNK = 20
KILL_AFTER = 60  # issued rows before the kill: a few chunks committed by each worker


def _cohort() -> bytes:
    lines = ["Student ID,Full name,Email,Grade\r\n"]
    for n in range(1, ROWS + 1):
        lines.append(f"P{n:05d},Learner Number {n},learner{n}@uni.example,{n % 5 + 1}\r\n")
    return "".join(lines).encode()


def _issued(kit: Kit, job_id: Any) -> int:
    with kit.uow(read_only=True) as tx:
        return tx.imports.progress(kit.issuer.id, job_id).issued


def _workers_of(pid: int) -> list[int]:
    """The multiprocessing worker processes started by ``pid`` (not its resource tracker)."""
    found: list[int] = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            children = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
        except OSError:
            continue
        for child in children:
            try:
                command = Path(f"/proc/{child}/cmdline").read_bytes()
            except OSError:
                continue
            if b"spawn_main" in command:
                found.append(int(child))
    return found


def test_kill_9_one_of_two_postgres_workers(
    backend: str, database_url: str, clock: StepClock, tmp_path: Path
) -> None:
    if backend != "postgresql":
        pytest.skip("several worker processes share a job through PostgreSQL only")
    kek = secrets.token_hex(32)
    home = tmp_path / "home"
    suite = "eddsa-jcs-2022"  # faster signing; what is tested is the crash
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
        assert job.pending_rows == ROWS
        assert kit.registrar.user_id is not None
        arguments = {
            "home": str(home),
            "database_url": database_url,
            "base_url": BASE_URL,
            "kek": kek,
            "issuer_id": str(kit.issuer.id),
            "user_id": str(kit.registrar.user_id),
            "job_id": str(job.id),
            "workers": "2",
            "chunk": str(CHUNK),
            "default_cryptosuite": suite,
        }
        coordinator = subprocess.Popen(
            [sys.executable, str(COORDINATOR), json.dumps(arguments)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        killed: int | None = None
        try:
            deadline = time.monotonic() + 300
            while killed is None:
                if coordinator.poll() is not None:
                    _, err = coordinator.communicate()
                    pytest.fail(f"the job ended before the kill: {err[-2000:]}")
                if time.monotonic() > deadline:
                    pytest.fail("the workers issued too few rows in time")
                workers = _workers_of(coordinator.pid)
                if len(workers) == 2 and _issued(kit, job.id) >= KILL_AFTER:
                    killed = workers[0]
                    os.kill(killed, signal.SIGKILL)
                time.sleep(0.02)
            issued_at_kill = _issued(kit, job.id)
            out, err = coordinator.communicate(timeout=600)
        finally:
            if coordinator.poll() is None:
                coordinator.kill()
                coordinator.communicate()
        assert issued_at_kill < ROWS, "the kill must land before the job is done"
        assert coordinator.returncode == 0, err[-3000:]
        outcome = json.loads(out.strip().splitlines()[-1])
        assert outcome == {
            "state": "completed",
            "issued": ROWS,
            "pending": 0,
            "mode": "processes",
            "anchoring_ok": True,
        }

        with kit.uow(read_only=True) as tx:
            final = tx.imports.get_job(kit.issuer.id, job.id)
            rows = tx.imports.list_rows(kit.issuer.id, job.id, limit=1000)
            credentials = tx.credentials.list_for_issuer(kit.issuer.id, limit=1000)
            learners = tx.learners.count_for_issuer(kit.issuer.id)
            items = list(tx.session.scalars(select(AnchorBatchItem)))
            batches = list(tx.session.scalars(select(AnchorBatch)))
        # every row issued exactly once, nothing lost, nothing doubled
        assert final.state is ImportJobState.COMPLETED
        assert all(row.state is ImportRowState.ISSUED for row in rows)
        assert len(credentials) == ROWS
        assert learners == ROWS
        by_id = {credential.id: credential for credential in credentials}
        assert {row.credential_id for row in rows} == set(by_id)
        for row in rows:
            key = import_idempotency_key(job.id, row.row_number)
            assert by_id[row.credential_id].idempotency_key == key
        # every status index handed out once per purpose
        entries = Counter(
            (entry["statusPurpose"], entry["statusListCredential"], entry["statusListIndex"])
            for credential in credentials
            for entry in _status_entries(credential.document)
        )
        assert entries and max(entries.values()) == 1
        assert len(entries) % ROWS == 0
        # every credential in exactly one completed batch, carrying exactly one anchor proof
        assert sorted(str(item.credential_id) for item in items) == sorted(map(str, by_id))
        assert all(item.applied_at is not None and item.problem is None for item in items)
        assert batches and all(b.state is AnchorBatchState.COMPLETED for b in batches)
        assert sum(b.size for b in batches) == ROWS
        assert all(len(anchor_proofs(c.document)) == 1 for c in credentials)
        # the worker processes issued on the real clock: verify after it
        clock.instant = datetime.now(UTC) + timedelta(minutes=1)
        for credential in credentials[:: ROWS // 4]:
            assert kit.verify(credential.document).verified
    finally:
        kit.platform.close()


def _status_entries(document: dict[str, Any]) -> list[dict[str, Any]]:
    status = document.get("credentialStatus")
    if status is None:
        return []
    return list(status) if isinstance(status, list) else [status]
