"""``kill -9`` of the anchoring runner mid-batch, then a restart: every credential ends in
exactly one anchored batch, the ledger holds each batch root once, every credential verifies.

35 credentials are issued, then a real process (``anchoring_worker.py``) runs anchoring with
batches of 10 and SIGKILLs itself at a chosen instant of the second batch (or the first chunk
of proofs of the first): between the ledger write and the database record, between the record
and the proofs, in the middle of the proofs. A second process runs anchoring again. SQLite and
PostgreSQL, the embedded ledger.
"""

from __future__ import annotations

import json
import secrets
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from issuance_testkit import BASE_URL, make_kit
from sqlalchemy import select
from storage_helpers import START, StepClock

from microcred.storage.ledger_tables import AnchorBatch, AnchorBatchItem, LedgerEntryRow

pytestmark = pytest.mark.slow

WORKER = Path(__file__).with_name("anchoring_worker.py")
CREDENTIALS = 35
BATCH = 10


def _worker(arguments: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(WORKER), json.dumps(arguments)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize(
    ("kill", "nth"),
    [("after-publish", 2), ("after-record", 2), ("mid-apply", 1)],
)
def test_kill_9_mid_anchoring_then_restart(
    database_url: str, clock: StepClock, tmp_path: Path, kill: str, nth: int
) -> None:
    kek = secrets.token_hex(32)
    home = tmp_path / "home"
    suite = "eddsa-jcs-2022"
    kit = make_kit(database_url, clock, home, settings={"kek": kek, "default_cryptosuite": suite})
    try:
        definition = kit.published()
        issued = [
            kit.issuance.issue(
                kit.registrar,
                kit.issuer.id,
                kit.request(
                    definition, learner=kit.learner(name=f"Learner {n}", email=f"l{n}@x.example")
                ),
            ).id
            for n in range(CREDENTIALS)
        ]
        arguments = {
            "home": str(home),
            "database_url": database_url,
            "base_url": BASE_URL,
            "kek": kek,
            "now": START.isoformat(),
            "batch_size": BATCH,
        }

        crashed = _worker(arguments | {"kill": kill, "nth": nth})
        assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-3000:]

        with kit.uow(read_only=True) as tx:
            batches = tx.session.scalars(select(AnchorBatch)).all()
            states = Counter(str(b.state.value) for b in batches)
        # the kill landed mid-way: something was done, something was not
        assert 1 <= len(batches) < -(-CREDENTIALS // BATCH), states

        resumed = _worker(arguments)
        assert resumed.returncode == 0, resumed.stderr[-3000:]
        assert json.loads(resumed.stdout.strip().splitlines()[-1])["errors"] == []

        with kit.uow(read_only=True) as tx:
            batches = tx.session.scalars(select(AnchorBatch)).all()
            items = tx.session.scalars(select(AnchorBatchItem)).all()
            entries = tx.session.scalars(select(LedgerEntryRow)).all()
        assert {str(b.state.value) for b in batches} == {"completed"}
        assert len(batches) == -(-CREDENTIALS // BATCH)
        # every credential in exactly one batch, with its proof applied
        assert sorted(i.credential_id for i in items) == sorted(issued)
        assert all(i.applied_at is not None and i.problem is None for i in items)
        # the ledger has every batch root exactly once, and nothing else
        roots = Counter(bytes(e.root) for e in entries)
        assert set(roots.values()) == {1}
        assert set(roots) == {bytes(b.root) for b in batches}

        for credential_id in issued:
            with kit.uow(read_only=True) as tx:
                document = tx.credentials.get(kit.issuer.id, credential_id).document
            proofs = (
                document["proof"] if isinstance(document["proof"], list) else [document["proof"]]
            )
            assert len(proofs) == 2, "one signature and exactly one anchor proof"
        report = kit.verify(document)
        assert report.verified, report
    finally:
        kit.platform.close()
