"""Eight issuing processes at once against PostgreSQL: no status index handed out twice, no
audit entry lost.

Eight real processes (``issuer_worker.py``), each with its own platform and connection pool —
so each its own in-memory status-list allocation state — start together (a file barrier) and
issue to the same issuer, revoking every fourth credential as they go. Afterwards: every
credential has exactly one status entry per purpose, no ``(list, index)`` pair repeats, every
revocation bit is set in its list, and the audit log holds exactly one ``credential.issue``
per credential and one ``credential.revoke`` per revocation.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path

import pytest
from issuance_testkit import BASE_URL, make_kit
from sqlalchemy import func, select
from storage_helpers import StepClock

from microcred.storage import AuditEntry, StatusEntry, StatusList

pytestmark = pytest.mark.slow

WORKER = Path(__file__).with_name("issuer_worker.py")
PROCESSES = 8
PER_PROCESS = 12
REVOKE_EVERY = 4


@pytest.mark.parametrize(
    "backend", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_eight_concurrent_issuers_on_postgresql(
    database_url: str, clock: StepClock, tmp_path: Path
) -> None:
    kek = secrets.token_hex(32)
    home = tmp_path / "home"
    kit = make_kit(database_url, clock, home, settings={"kek": kek})
    try:
        definition = kit.published()
        assert kit.admin.user_id is not None
        go = tmp_path / "go"
        arguments = {
            "home": str(home),
            "database_url": database_url,
            "base_url": BASE_URL,
            "kek": kek,
            "issuer_id": str(kit.issuer.id),
            "user_id": str(kit.admin.user_id),
            "definition_id": str(definition.id),
            "count": PER_PROCESS,
            "revoke_every": REVOKE_EVERY,
            "go": str(go),
        }
        with kit.uow(read_only=True) as tx:
            audit_before = Counter(
                dict(
                    tx.session.execute(
                        select(AuditEntry.action, func.count()).group_by(AuditEntry.action)
                    ).all()
                )
            )
        workers = [
            subprocess.Popen(
                [sys.executable, str(WORKER), json.dumps(arguments | {"worker": f"w{index}"})],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for index in range(PROCESSES)
        ]
        go.touch()
        issued: list[uuid.UUID] = []
        revoked: list[uuid.UUID] = []
        for worker in workers:
            out, err = worker.communicate(timeout=600)
            assert worker.returncode == 0, err[-3000:]
            result = json.loads(out.strip().splitlines()[-1])
            issued += [uuid.UUID(i) for i in result["issued"]]
            revoked += [uuid.UUID(i) for i in result["revoked"]]
        assert len(set(issued)) == PROCESSES * PER_PROCESS
        assert len(revoked) == PROCESSES * (PER_PROCESS // REVOKE_EVERY)

        with kit.uow(read_only=True) as tx:
            entries = tx.session.scalars(
                select(StatusEntry).where(StatusEntry.credential_id.in_(issued))
            ).all()
            purposes = {
                row.id: str(row.purpose) for row in tx.session.scalars(select(StatusList)).all()
            }
            audit_after = Counter(
                dict(
                    tx.session.execute(
                        select(AuditEntry.action, func.count()).group_by(AuditEntry.action)
                    ).all()
                )
            )
            states = {
                c: tx.credentials.get(kit.issuer.id, c).state
                for c in issued  # type: ignore[attr-defined]
            }
        # no (list, index) twice, one entry per credential and purpose
        positions = Counter((e.status_list_id, e.status_index) for e in entries)
        assert max(positions.values()) == 1
        per_purpose = Counter((e.credential_id, purposes[e.status_list_id]) for e in entries)
        assert set(per_purpose.values()) == {1}
        assert {c for c, _ in per_purpose} == set(issued)
        # no lost audit entry: one per operation
        delta = audit_after - audit_before
        assert delta["credential.issue"] == len(issued)
        assert delta["credential.revoke"] == len(revoked)
        assert {c for c, s in states.items() if "revoked" in str(s).lower()} == set(revoked)
        # the revocation bits are really set in the published lists
        for credential_id in revoked[:4]:
            with kit.uow(read_only=True) as tx:
                document = tx.credentials.get(kit.issuer.id, credential_id).document
            report = kit.verify(document)
            assert not report.verified
    finally:
        kit.platform.close()
