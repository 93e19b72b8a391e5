"""Concurrency on PostgreSQL with real threads: issuance never hands out one status index
twice; concurrent revocations of one list lose no bit and revoke a credential once.

Eight threads issue at once, each with its *own* StatusService — eight processes, each with
its own in-memory allocation map, so only the database's primary key ``(status_list_id,
status_index)`` keeps them apart. Lists are small (256 entries) so that draws collide often
and lists fill up while others are allocating: opening "the next list" races too. Every
transaction must commit, every credential must get exactly one entry per purpose, and no index
may repeat.
"""

from __future__ import annotations

import secrets
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from identity_testkit import FAST, World, build_world
from sqlalchemy import text
from status_service_testkit import issue_with_status, status_service
from storage_helpers import StepClock

from microcred.errors import Conflict
from microcred.services.access import Role
from microcred.services.identity import PasswordHashing
from microcred.services.platform import build_platform
from microcred.settings import load_settings
from microcred.status.bitstring import StatusBitstring
from microcred.status.lists import parse_status_entry
from microcred.storage import Credential, StatusEntry, StatusList
from microcred.storage.repositories import StatusListRepository

THREADS = 8
PER_THREAD = 40
SIZE = 256

pytestmark = pytest.mark.parametrize(
    "backend", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)


@pytest.fixture
def busy_world(database_url: str, tmp_path: Path) -> Iterator[World]:
    """The platform with a pool big enough for every thread (issuing transaction + signer)."""
    settings = load_settings(
        home=tmp_path / "home",
        database_url=database_url,
        base_url="https://credentials.example.edu",
        kek=secrets.token_hex(32),
        database_pool_size=2 * THREADS,
        database_max_overflow=2,
    )
    platform = build_platform(
        settings,
        clock=StepClock(),
        passwords=PasswordHashing(FAST),
        allow_network=False,
        migrate_database=False,
    )
    try:
        yield build_world(platform)
    finally:
        platform.close()


def _issue_many(
    world: World, barrier: threading.Barrier, retried: Counter, lock: threading.Lock
) -> list[tuple[uuid.UUID, list[dict]]]:
    service = status_service(world.platform, list_size=SIZE)  # one "process"
    issued = []
    barrier.wait()
    for _ in range(PER_THREAD):
        for _attempt in range(20):
            credential_id = uuid.uuid4()
            try:
                with world.platform.uow() as tx:
                    entries = service.allocate_entries(tx, world.issuer_a.id, credential_id)
                    tx.credentials.add(
                        Credential(
                            id=credential_id,
                            issuer_id=world.issuer_a.id,
                            definition_version_id=None,
                            learner_id=None,
                            credential_uri=f"urn:uuid:{credential_id}",
                            document={"credentialStatus": entries},
                        )
                    )
                    tx.commit()
            except Conflict as conflict:  # a deadlock/serialisation report: retry the whole tx
                assert conflict.extra.get("retryable"), conflict
                with lock:
                    retried["transactions"] += 1
                continue
            issued.append((credential_id, entries))
            break
        else:
            raise AssertionError("an issuance kept failing")
    return issued


def test_concurrent_issuance_never_allocates_an_index_twice(
    busy_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = busy_world
    collisions: Counter = Counter()
    retried: Counter = Counter()
    lock = threading.Lock()
    allocate = StatusListRepository.allocate_entries_refused

    def counting(self, picks):  # type: ignore[no-untyped-def]
        refused = allocate(self, picks)
        with lock:
            collisions["refused"] += len(refused)
        return refused

    monkeypatch.setattr(StatusListRepository, "allocate_entries_refused", counting)
    barrier = threading.Barrier(THREADS)
    with ThreadPoolExecutor(THREADS) as pool:
        results = list(
            pool.map(lambda _: _issue_many(world, barrier, retried, lock), range(THREADS))
        )
    issued = [item for batch in results for item in batch]
    assert len(issued) == THREADS * PER_THREAD

    seen = Counter()
    for _, entries in issued:
        assert [e["statusPurpose"] for e in entries] == ["revocation", "suspension"]
        for entry in entries:
            parsed = parse_status_entry(entry)
            assert 0 <= parsed.index < SIZE
            seen[(parsed.list_url, parsed.index)] += 1
    assert max(seen.values()) == 1  # no index handed out twice
    # the processes really did draw the same indexes: the database refused the second ones
    assert collisions["refused"] > 0, collisions
    total = THREADS * PER_THREAD
    # 320 credentials in lists of 256: every purpose filled list 1 and opened list 2
    per_list = Counter(url for url, _ in seen)
    assert sorted(per_list.items()) == [
        ("https://credentials.example.edu/status/alpha/revocation/1", SIZE),
        ("https://credentials.example.edu/status/alpha/revocation/2", total - SIZE),
        ("https://credentials.example.edu/status/alpha/suspension/1", SIZE),
        ("https://credentials.example.edu/status/alpha/suspension/2", total - SIZE),
    ]

    with world.platform.uow(read_only=True) as tx:
        session = tx.session
        stored = session.query(StatusEntry).count()
        numbers = sorted((row.purpose.value, row.number) for row in session.query(StatusList))
        by_credential = Counter(row.credential_id for row in session.query(StatusEntry))
    assert stored == 2 * total
    assert numbers == [("revocation", 1), ("revocation", 2), ("suspension", 1), ("suspension", 2)]
    assert set(by_credential.values()) == {2}
    assert set(by_credential) == {credential_id for credential_id, _ in issued}


def test_concurrent_revocations_lose_no_bit_and_revoke_once(busy_world: World) -> None:
    world = busy_world
    service = status_service(world.platform)
    rows = [issue_with_status(world.platform, service, world.issuer_a.id) for _ in range(6)]
    admin = world.members[Role.ADMIN]
    targets = [row.id for row in rows] + [rows[0].id] * 3  # the first one four times
    barrier = threading.Barrier(len(targets))

    def revoke(credential_id: uuid.UUID) -> str:
        barrier.wait()
        try:
            service.revoke(admin, world.issuer_a.id, credential_id, "concurrent test")
        except Conflict as conflict:
            return conflict.detail
        return "revoked"

    with ThreadPoolExecutor(len(targets)) as pool:
        outcomes = list(pool.map(revoke, targets))
    assert outcomes.count("revoked") == 6
    assert sorted(set(outcomes) - {"revoked"}) == ["this credential is already revoked"]

    document, _ = service.status_list_credential("alpha", "revocation", 1)
    bits = StatusBitstring.decode(document["credentialSubject"]["encodedList"])
    expected = sorted(int(r.document["credentialStatus"][0]["statusListIndex"]) for r in rows)
    assert bits.set_indexes() == expected  # every revocation published, none lost
    with world.platform.uow(read_only=True) as tx:
        (revocation,) = [
            lst
            for lst in tx.status_lists.list_for_issuer(world.issuer_a.id)
            if lst.purpose.value == "revocation"
        ]
        assert revocation.version == 1 + 6  # one re-signed version per revocation
        log = tx.audit.list_for_issuer(world.issuer_a.id, limit=100)
    assert sum(1 for entry in log if entry.action == "credential.revoke") == 6


def _list_of(entries: list[list[dict]]) -> set[str]:
    return {entry["statusListCredential"] for credential in entries for entry in credential}


def test_concurrent_bulk_transactions_draw_from_different_lists_without_waiting(
    busy_world: World,
) -> None:
    """Two bulk workers (two services: two processes) never wait for each other's chunk:
    the second is refused the list the first holds and opens the next one, instead of
    colliding with the first one's uncommitted indexes."""
    world = busy_world
    first, second = (status_service(world.platform, list_size=SIZE) for _ in range(2))
    issue_with_status(world.platform, first, world.issuer_a.id)  # lists 1, committed
    with world.platform.uow() as tx_a, world.platform.uow() as tx_b:
        a = first.allocate_entries_bulk(tx_a, world.issuer_a.id, [uuid.uuid4() for _ in range(60)])
        # a wait for tx_a would fail here instead of hanging until tx_a ends
        tx_b.session.execute(text("SET LOCAL lock_timeout = '3s'"))
        b = second.allocate_entries_bulk(tx_b, world.issuer_a.id, [uuid.uuid4() for _ in range(60)])
        assert {url.rsplit("/", 1)[1] for url in _list_of(a)} == {"1"}
        assert {url.rsplit("/", 1)[1] for url in _list_of(b)} == {"2"}
        tx_b.rollback()
        tx_a.rollback()
    # once the first transaction is over, its list is free again for the next bulk chunk
    with world.platform.uow() as tx:
        again = second.allocate_entries_bulk(tx, world.issuer_a.id, [uuid.uuid4()])
        assert {url.rsplit("/", 1)[1] for url in _list_of(again)} == {"1"}
        tx.rollback()
