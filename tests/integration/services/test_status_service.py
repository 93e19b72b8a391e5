"""StatusService on SQLite and PostgreSQL: allocation, revoke/suspend/reinstate, publication.

Credentials are issued the way issuance does it (entries allocated in the issuing
transaction, then composed, signed with the issuer's key from the encrypted key store, stored)
and verified by the real verifier whose ``status`` family reads the platform's lists
in-process and checks their proofs against the hosted did:web documents.
"""

from __future__ import annotations

import json
import uuid

import pytest
from identity_testkit import World
from status_service_testkit import (
    CountingSigners,
    issue_with_status,
    sequence,
    status_result,
    status_service,
    verifier_for,
)

from microcred.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from microcred.services.access import Role
from microcred.services.status import CredentialStatusUpdate, StatusService
from microcred.status.bitstring import StatusBitstring
from microcred.status.lists import parse_status_entry
from microcred.storage import CredentialState, StatusPurpose

BASE = "https://credentials.example.edu"


@pytest.fixture
def service(world: World) -> StatusService:
    return status_service(world.platform)


def _list(service: StatusService, purpose: str = "revocation", number: int = 1):
    return service.status_list_credential("alpha", purpose, number)


# --------------------------------------------------------------------------- allocation


def test_issuing_allocates_one_entry_per_purpose_and_publishes_signed_lists(
    world: World, service: StatusService
) -> None:
    row = issue_with_status(world.platform, service, world.issuer_a.id)
    revocation, suspension = row.document["credentialStatus"]
    assert revocation["statusListCredential"] == f"{BASE}/status/alpha/revocation/1"
    assert suspension["statusListCredential"] == f"{BASE}/status/alpha/suspension/1"
    for entry, purpose in ((revocation, "revocation"), (suspension, "suspension")):
        parsed = parse_status_entry(entry)
        assert parsed.purpose == purpose and 0 <= parsed.index < 131_072
        assert entry["id"] == f"{entry['statusListCredential']}#{parsed.index}"

    document, etag = _list(service)
    assert document["id"] == f"{BASE}/status/alpha/revocation/1"
    assert document["issuer"] == world.issuer_a.did
    assert document["credentialSubject"]["ttl"] == 300_000
    assert document["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert etag.startswith('"') and len(etag) == 66
    assert StatusBitstring.decode(document["credentialSubject"]["encodedList"]).entries == 131_072
    # the published list verifies with the platform's own engine (hosted did:web)
    assert world.platform.engine.verifier.verify_credential(document).verified

    verifier = verifier_for(world.platform, service)
    report = verifier.verify_credential(row.document)
    assert report.verified, report.failures
    assert status_result(verifier, row.document, "revocation")[1].startswith("Not revoked")


def test_indexes_are_spread_and_never_repeat(world: World, service: StatusService) -> None:
    indexes = {"revocation": set(), "suspension": set()}
    with world.platform.uow() as tx:
        for _ in range(300):
            for entry in service.allocate_entries(tx, world.issuer_a.id, uuid.uuid4()):
                parsed = parse_status_entry(entry)
                assert parsed.index not in indexes[parsed.purpose]
                indexes[parsed.purpose].add(parsed.index)
        # uncommitted: the entries' credentials were never stored, so nothing may commit
        with pytest.raises(Conflict, match="does not exist"):
            tx.commit()
    revocation = sorted(indexes["revocation"])
    assert revocation[0] < 131_072 // 4 and revocation[-1] > 3 * 131_072 // 4  # not sequential
    with world.platform.uow(read_only=True) as tx:
        assert tx.status_lists.list_for_issuer(world.issuer_a.id) == []  # all rolled back


def test_lists_opened_by_a_rolled_back_transaction_are_not_reused(
    world: World, service: StatusService
) -> None:
    with world.platform.uow() as tx:
        service.allocate_entries(tx, world.issuer_a.id, uuid.uuid4())  # opens both lists
        tx.rollback()
    row = issue_with_status(world.platform, service, world.issuer_a.id)
    assert row.document["credentialStatus"][0]["statusListCredential"].endswith("/revocation/1")
    assert _list(service)[0]["id"].endswith("/revocation/1")


def test_bulk_allocation_matches_single_allocation(world: World, service: StatusService) -> None:
    ids = [uuid.uuid4() for _ in range(50)]
    with world.platform.uow() as tx:
        bulk = service.allocate_entries_bulk(tx, world.issuer_a.id, ids)
        assert [service.allocate_entries(tx, world.issuer_a.id, i) for i in ids] == bulk
    assert len({e["statusListIndex"] for entries in bulk for e in entries[:1]}) == 50


def test_allocating_twice_for_one_credential_returns_the_same_entries(
    world: World, service: StatusService
) -> None:
    credential_id = uuid.uuid4()
    with world.platform.uow() as tx:
        first = service.allocate_entries(tx, world.issuer_a.id, credential_id)
        second = service.allocate_entries(tx, world.issuer_a.id, credential_id)
    assert first == second


def test_a_full_list_opens_the_next_one(world: World) -> None:
    service = status_service(world.platform, list_size=16)
    rows = [issue_with_status(world.platform, service, world.issuer_a.id) for _ in range(17)]
    urls = [r.document["credentialStatus"][0]["statusListCredential"] for r in rows]
    assert urls[:16] == [f"{BASE}/status/alpha/revocation/1"] * 16
    assert urls[16] == f"{BASE}/status/alpha/revocation/2"
    first_list = sorted(
        int(r.document["credentialStatus"][0]["statusListIndex"]) for r in rows[:16]
    )
    assert first_list == list(range(16))
    lists = service.status_lists(world.members[Role.VIEWER], world.issuer_a.id)
    assert [(i.purpose, i.number, i.allocated) for i in lists] == [
        ("revocation", 1, 16),
        ("revocation", 2, 1),
        ("suspension", 1, 16),
        ("suspension", 2, 1),
    ]


def test_a_collision_with_another_process_is_retried(world: World) -> None:
    # two services = two processes with their own allocation maps, same random draws
    first = status_service(world.platform, randbelow=sequence(5, 5))
    second = status_service(world.platform, randbelow=sequence(5, 5, 9, 9))
    a = issue_with_status(world.platform, first, world.issuer_a.id)
    b = issue_with_status(world.platform, second, world.issuer_a.id)
    assert [e["statusListIndex"] for e in a.document["credentialStatus"]] == ["5", "5"]
    # the second process drew 5 (taken in the database), got Conflict, drew 9
    assert [e["statusListIndex"] for e in b.document["credentialStatus"]] == ["9", "9"]


def test_an_allocation_map_is_loaded_from_the_database_once(world: World) -> None:
    first = status_service(world.platform)
    issued = [issue_with_status(world.platform, first, world.issuer_a.id) for _ in range(5)]
    taken = {int(r.document["credentialStatus"][0]["statusListIndex"]) for r in issued}
    # a fresh process whose random source offers the taken indexes first skips them
    fresh = status_service(world.platform, randbelow=sequence(*sorted(taken), 77))
    row = issue_with_status(world.platform, fresh, world.issuer_a.id)
    assert row.document["credentialStatus"][0]["statusListIndex"] == "77"


# --------------------------------------------------------------------------- changes


def test_revocation_is_signed_published_and_seen_by_verifiers(
    world: World, service: StatusService
) -> None:
    row = issue_with_status(world.platform, service, world.issuer_a.id)
    verifier = verifier_for(world.platform, service)
    before, old_etag = _list(service)
    world.platform.clock.advance(minutes=3)

    change = service.revoke(
        world.members[Role.REGISTRAR], world.issuer_a.id, row.id, "Academic misconduct (case 17)"
    )

    assert (change.state, change.purpose, change.published, change.changed) == (
        CredentialState.REVOKED,
        "revocation",
        True,
        True,
    )
    entry = row.document["credentialStatus"][0]
    assert change.status_list_credential == entry["statusListCredential"]
    assert str(change.status_list_index) == entry["statusListIndex"]
    assert change.list_version == 2
    after, new_etag = _list(service)
    assert new_etag != old_etag
    assert after["validFrom"] > before["validFrom"] and after["proof"] != before["proof"]
    bits = StatusBitstring.decode(after["credentialSubject"]["encodedList"])
    assert bits.set_indexes() == [change.status_list_index]
    assert "misconduct" not in json.dumps(after)  # the reason is never published
    assert status_result(verifier, row.document, "revocation") == (
        "failed",
        "Revoked by the issuer.",
    )
    assert not verifier.verify_credential(row.document).verified
    log = world.platform.issuers.audit_log(world.members[Role.ADMIN], world.issuer_a.id)
    revoked = next(e for e in log if e.action == "credential.revoke")
    assert revoked.details["reason"] == "Academic misconduct (case 17)"
    assert revoked.details["statusListIndex"] == change.status_list_index

    with pytest.raises(Conflict, match="already revoked"):
        service.revoke(world.members[Role.ADMIN], world.issuer_a.id, row.id, "again")
    with pytest.raises(Conflict, match="cannot be reinstated"):
        service.reinstate(world.members[Role.ADMIN], world.issuer_a.id, row.id, "undo")
    with pytest.raises(Conflict, match="cannot be suspended"):
        service.suspend(world.members[Role.ADMIN], world.issuer_a.id, row.id, "pause")


def test_suspension_can_be_lifted(world: World, service: StatusService) -> None:
    row = issue_with_status(world.platform, service, world.issuer_a.id)
    verifier = verifier_for(world.platform, service)
    registrar = world.members[Role.REGISTRAR]

    suspended = service.suspend(registrar, world.issuer_a.id, row.id, "Under review")
    assert suspended.state is CredentialState.SUSPENDED
    assert status_result(verifier, row.document, "suspension") == (
        "failed",
        "Suspended by the issuer.",
    )
    assert status_result(verifier, row.document, "revocation")[0] == "passed"

    reinstated = service.reinstate(registrar, world.issuer_a.id, row.id, "Review closed")
    assert reinstated.state is CredentialState.ISSUED and reinstated.list_version == 3
    assert verifier.verify_credential(row.document).verified
    with pytest.raises(Conflict, match="not suspended"):
        service.reinstate(registrar, world.issuer_a.id, row.id, "again")
    actions = [
        e.action
        for e in world.platform.issuers.audit_log(world.members[Role.ADMIN], world.issuer_a.id)
    ]
    assert actions[:2] == ["credential.reinstate", "credential.suspend"]


def test_access_and_tenancy(world: World, service: StatusService) -> None:
    row = issue_with_status(world.platform, service, world.issuer_a.id)
    with pytest.raises(NotFound):
        service.revoke(world.admin_b, world.issuer_a.id, row.id, "not yours")
    with pytest.raises(NotFound):  # B's admin naming B as the issuer: A's credential is unknown
        service.revoke(world.admin_b, world.issuer_b.id, row.id, "not yours")
    with pytest.raises(PermissionDenied):
        service.revoke(world.members[Role.VIEWER], world.issuer_a.id, row.id, "viewer")
    with pytest.raises(PermissionDenied):
        service.suspend(world.members[Role.DESIGNER], world.issuer_a.id, row.id, "designer")
    with pytest.raises(NotFound):
        service.status_lists(world.operator, world.issuer_a.id)  # operators do not read lists
    with pytest.raises(InvalidInput, match="reason"):
        service.revoke(world.members[Role.ADMIN], world.issuer_a.id, row.id, "   ")
    with pytest.raises(InvalidInput, match="control"):
        service.revoke(world.members[Role.ADMIN], world.issuer_a.id, row.id, "a\x00b")
    with world.platform.uow(read_only=True) as tx:
        assert tx.credentials.get(world.issuer_a.id, row.id).state is CredentialState.ISSUED


def test_a_credential_without_entries_changes_state_but_is_not_published(
    world: World, service: StatusService
) -> None:
    row = issue_with_status(world.platform, service, world.issuer_a.id, with_status=False)
    change = service.revoke(world.members[Role.ADMIN], world.issuer_a.id, row.id, "old one")
    assert change.state is CredentialState.REVOKED
    assert (change.published, change.status_list_credential) == (False, None)


def test_reads_never_sign(world: World) -> None:
    signers = CountingSigners(world.platform.issuers)
    service = StatusService(
        world.platform.uow, signers, world.platform.engine.registry, base_url=BASE
    )
    issue_with_status(world.platform, service, world.issuer_a.id)
    assert signers.calls == 2  # one new list per purpose
    first = _list(service)
    for _ in range(5):
        assert _list(service) == first
        assert service.published_list(f"{BASE}/status/alpha/revocation/1") == first[0]
    assert signers.calls == 2
    assert service.cache_control == "public, max-age=300"


def test_lists_are_re_signed_with_the_new_key_after_a_rotation(
    world: World, service: StatusService
) -> None:
    row = issue_with_status(world.platform, service, world.issuer_a.id)
    before, etag = _list(service)
    world.platform.clock.advance(days=1)
    world.platform.issuers.rotate_key(world.members[Role.ADMIN], world.issuer_a.id)
    with pytest.raises(PermissionDenied):
        service.resign_lists(world.members[Role.REGISTRAR], world.issuer_a.id)
    assert service.resign_lists(world.operator, world.issuer_a.id) == 2
    after, new_etag = _list(service)
    assert before["proof"]["verificationMethod"].endswith("#key-1")
    assert after["proof"]["verificationMethod"].endswith("#key-2")
    assert new_etag != etag
    assert after["credentialSubject"]["encodedList"] == before["credentialSubject"]["encodedList"]
    assert verifier_for(world.platform, service).verify_credential(row.document).verified


@pytest.mark.parametrize(
    ("slug", "purpose", "number"),
    [
        ("alpha", "revocation", 2),
        ("alpha", "message", 1),
        ("alpha", "revocation", 0),
        ("alpha", "revocation", 2**40),
        ("x" * 5000, "revocation", 1),
        ("nobody", "revocation", 1),
        ("beta", "revocation", 1),
    ],
)
def test_unknown_lists_are_not_found(
    world: World, service: StatusService, slug: str, purpose: str, number: int
) -> None:
    issue_with_status(world.platform, service, world.issuer_a.id)
    with pytest.raises(NotFound):
        service.status_list_credential(slug, purpose, number)
    assert service.published_list(f"{BASE}/status/{slug}/{purpose}/{number}") is None


def test_credential_statuses_show_the_bits(world: World, service: StatusService) -> None:
    row = issue_with_status(world.platform, service, world.issuer_a.id)
    service.suspend(world.members[Role.ADMIN], world.issuer_a.id, row.id, "check")
    statuses = service.credential_statuses(world.members[Role.VIEWER], world.issuer_a.id, row.id)
    assert [(s.purpose, s.set) for s in statuses] == [("revocation", False), ("suspension", True)]
    with pytest.raises(NotFound):
        service.credential_statuses(world.admin_b, world.issuer_b.id, row.id)


def test_replacement_hook_revokes_the_old_credential(world: World, service: StatusService) -> None:
    old = issue_with_status(world.platform, service, world.issuer_a.id)

    class Replaced:
        issuer_id = world.issuer_a.id
        old_id = old.id
        new_uri = "urn:uuid:00000000-0000-4000-8000-000000000001"
        reason = "name corrected"

    with world.platform.uow() as tx:
        service.on_replaced(tx, Replaced())
        tx.commit()
    with world.platform.uow(read_only=True) as tx:
        stored = tx.credentials.get(world.issuer_a.id, old.id)
    assert stored.state is CredentialState.REVOKED
    assert stored.state_reason == f"replaced by {Replaced.new_uri}: name corrected"
    verifier = verifier_for(world.platform, service)
    assert status_result(verifier, old.document, "revocation")[1] == "Revoked by the issuer."


# --------------------------------------------------------------------------- VC-API


def test_vc_api_status_updates(world: World, service: StatusService) -> None:
    row = issue_with_status(world.platform, service, world.issuer_a.id)
    admin = world.members[Role.ADMIN]
    body = {
        "credentialId": row.credential_uri,
        "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "suspension"},
        "status": True,
    }
    change = service.credential_status(admin, world.issuer_a.id, body)
    assert (change.state, change.changed) == (CredentialState.SUSPENDED, True)
    again = service.credential_status(admin, world.issuer_a.id, body)  # a retried request
    assert (again.state, again.changed, again.list_version) == (
        CredentialState.SUSPENDED,
        False,
        change.list_version,
    )
    lifted = service.credential_status(admin, world.issuer_a.id, {**body, "status": False})
    assert lifted.state is CredentialState.ISSUED

    by_row_id = CredentialStatusUpdate.model_validate(
        {**body, "credentialId": str(row.id), "status": True}
    )
    assert service.credential_status(admin, world.issuer_a.id, by_row_id).changed

    revoke = {
        **body,
        "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"},
    }
    with pytest.raises(Conflict, match="cannot be undone"):
        service.credential_status(admin, world.issuer_a.id, {**revoke, "status": False})
    assert service.credential_status(admin, world.issuer_a.id, revoke).state is (
        CredentialState.REVOKED
    )
    assert not service.credential_status(admin, world.issuer_a.id, revoke).changed
    log = world.platform.issuers.audit_log(admin, world.issuer_a.id)
    assert log[0].details["reason"] == "status update through the VC-API"


@pytest.mark.parametrize(
    ("body", "error", "match"),
    [
        ({"credentialStatus": {"type": "X", "statusPurpose": "revocation"}}, InvalidInput, "type"),
        (
            {"credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "message"}},
            InvalidInput,
            "statusPurpose",
        ),
        ({"status": "yes"}, InvalidInput, "status"),
        ({"extra": 1}, InvalidInput, "extra"),
        ({"credentialId": "urn:uuid:00000000-0000-4000-8000-000000000000"}, NotFound, "not found"),
        ({"credentialId": "no such thing"}, NotFound, "not found"),
        (
            {
                "credentialStatus": {
                    "type": "BitstringStatusListEntry",
                    "statusPurpose": "revocation",
                    "statusListIndex": "131071131",
                }
            },
            InvalidInput,
            "does not have",
        ),
    ],
)
def test_vc_api_refuses_bad_requests(
    world: World, service: StatusService, body: dict, error: type, match: str
) -> None:
    row = issue_with_status(world.platform, service, world.issuer_a.id)
    request = {
        "credentialId": row.credential_uri,
        "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"},
        "status": True,
    }
    request.update(body)
    with pytest.raises(error, match=match):
        service.credential_status(world.members[Role.ADMIN], world.issuer_a.id, request)
    with world.platform.uow(read_only=True) as tx:
        assert tx.credentials.get(world.issuer_a.id, row.id).state is CredentialState.ISSUED
        (revocation,) = tx.status_lists.list_for_issuer(
            world.issuer_a.id, purpose=StatusPurpose.REVOCATION
        )
        assert revocation.version == 1
