"""IssuerService on SQLite and PostgreSQL: creation, DIDs, keys and rotation, hosted DID
documents and resolution, signing, profile updates, listing and the audit log."""

from __future__ import annotations

import json
import uuid

import pytest
from identity_testkit import BASE_URL, World, make_platform
from sqlalchemy import text
from storage_helpers import StepClock

from microcred.definition.samples import sample_achievement, sample_issuer
from microcred.did.web import did_web_to_url
from microcred.errors import (
    Conflict,
    DIDNotFoundError,
    InvalidInput,
    KeyStoreError,
    NotFound,
    PermissionDenied,
)
from microcred.issuance.pipeline import IssuancePipeline
from microcred.keys.ed25519 import verify_ed25519
from microcred.keys.multikey import decode_public_multikey
from microcred.services.access import Permission, Role
from microcred.services.platform import Platform
from microcred.services.schemas_identity import IssuerCreate, IssuerProfileUpdate
from microcred.storage.database import Database

# --------------------------------------------------------------------------- creation


def test_did_web_issuer_is_hosted_under_the_base_url(world: World) -> None:
    platform = world.platform
    alpha = world.issuer_a
    assert alpha.did == "did:web:credentials.example.edu:issuers:alpha"
    assert alpha.did_method == "web"
    assert alpha.did_document_url == f"{BASE_URL}/issuers/alpha/did.json"
    # what an outside verifier fetches is exactly where the platform serves it
    assert did_web_to_url(alpha.did) == alpha.did_document_url
    key = alpha.active_key
    assert key is not None
    assert key.key_store_id == f"issuer-{alpha.id}-1"
    assert key.verification_method == alpha.did + "#key-1"
    assert key.status == "active" and key.rotated_at is None
    assert platform.key_store.public_key_multibase(key.key_store_id) == key.public_key_multibase

    document = platform.issuers.did_document("alpha")
    assert document == {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": alpha.did,
        "verificationMethod": [
            {
                "id": alpha.did + "#key-1",
                "type": "Multikey",
                "controller": alpha.did,
                "publicKeyMultibase": key.public_key_multibase,
            }
        ],
        "authentication": [alpha.did + "#key-1"],
        "assertionMethod": [alpha.did + "#key-1"],
    }


def test_did_key_issuer(world: World) -> None:
    issuers = world.platform.issuers
    info = issuers.create_issuer(
        world.operator, IssuerCreate(slug="gamma", name="Gamma Academy", did_method="key")
    )
    assert info.did_method == "key" and info.did_document_url is None
    key = info.active_key
    assert key is not None
    assert info.did == "did:key:" + key.public_key_multibase
    assert key.verification_method == f"{info.did}#{key.public_key_multibase}"
    with pytest.raises(NotFound):
        issuers.did_document("gamma")
    with pytest.raises(InvalidInput, match="did:key issuer cannot rotate") as caught:
        issuers.rotate_key(world.operator, info.id)
    assert "new key would be a new DID" in caught.value.detail
    # the engine resolves did:key issuers by computation
    method = world.platform.engine.vm_resolver.resolve(key.verification_method)
    assert method.public_key == decode_public_multikey(key.public_key_multibase)


def test_loopback_base_url_becomes_localhost(database_url: str, tmp_path, clock: StepClock) -> None:
    built = make_platform(database_url, tmp_path / "h", clock, base_url="http://127.0.0.1:8000")
    try:
        built.identity.create_user(None, "op@example.org", "operator passphrase", is_operator=True)
        operator = built.identity.authenticate_password("op@example.org", "operator passphrase")
        info = built.issuers.create_issuer(operator, IssuerCreate(slug="demo", name="Demo"))
        assert info.did == "did:web:localhost%3A8000:issuers:demo"
        assert info.did_document_url == "http://127.0.0.1:8000/issuers/demo/did.json"
        assert built.hosted_did_resolver.resolve(info.did)["id"] == info.did
    finally:
        built.close()


def test_only_operators_create_issuers_and_slugs_are_unique(world: World) -> None:
    issuers = world.platform.issuers
    for principal in [*world.members.values(), world.admin_b]:
        with pytest.raises(PermissionDenied):
            issuers.create_issuer(principal, IssuerCreate(slug="delta", name="Delta"))
    with pytest.raises(Conflict, match="slug 'alpha' is already taken"):
        issuers.create_issuer(world.operator, IssuerCreate(slug="alpha", name="Other"))


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"slug": "Bad Slug"}, "slug"),
        ({"slug": "x"}, "slug"),
        ({"country_code": "XX"}, "ISO 3166-1"),
        ({"country_code": "de"}, "ISO 3166-1"),
        ({"country_code": "DE", "region_code": "FR-75"}, "belongs to country FR"),
        ({"region_code": "DE-BY"}, "needs a country"),
        ({"homepage": "javascript:alert(1)"}, "https:// or http://"),
        ({"homepage": "https://user:pw@example.edu"}, "user name or password"),
        ({"email": "not-an-address"}, "e-mail"),
        ({"logo_uri": "data:text/html;base64,PGgxPg=="}, "data:image"),
        ({"name": "  "}, "must not be empty"),
        ({"did_method": "ethr"}, "did_method"),
        ({"unknown": 1}, "unknown"),
        ({"registration_identifiers": [{"scheme": "Bad Scheme", "value": "1"}]}, "scheme"),
    ],
)
def test_profile_validation(world: World, fields: dict, problem: str) -> None:  # type: ignore[type-arg]
    data = {"slug": "epsilon", "name": "Epsilon Institute", **fields}
    with pytest.raises(InvalidInput, match=problem):
        world.platform.issuers.create_issuer(world.operator, IssuerCreate.from_json(data))


def test_full_profile_round_trips(world: World) -> None:
    data = IssuerCreate.from_json(
        {
            "slug": "zeta",
            "name": "Zeta Hochschule",
            "legalName": "Zeta Hochschule für Angewandte Wissenschaften",
            "homepage": "https://www.zeta.example",
            "email": "Credentials@Zeta.Example",
            "countryCode": "DE",
            "regionCode": "DE21",
            "logoUri": "https://www.zeta.example/logo.png",
            "registrationIdentifiers": [{"scheme": "erasmus-pic", "value": "999999999"}],
        }
    )
    info = world.platform.issuers.create_issuer(world.operator, data)
    assert (info.legal_name, info.email, info.region_code) == (
        "Zeta Hochschule für Angewandte Wissenschaften",
        "credentials@zeta.example",
        "DE21",
    )
    assert info.registration_identifiers == ({"scheme": "erasmus-pic", "value": "999999999"},)
    assert world.platform.issuers.get_issuer(world.operator, info.id) == info


# --------------------------------------------------------------------------- profile


def test_update_profile(world: World, clock: StepClock) -> None:
    issuers = world.platform.issuers
    admin = world.members[Role.ADMIN]
    a = world.issuer_a.id
    clock.advance(minutes=5)
    updated = issuers.update_profile(
        admin, a, IssuerProfileUpdate(homepage="https://alpha.example", region_code="DE-BY")
    )
    assert updated.homepage == "https://alpha.example" and updated.region_code == "DE-BY"
    assert updated.updated_at == clock.now()
    assert updated.did == world.issuer_a.did and updated.slug == "alpha"
    with pytest.raises(InvalidInput, match="belongs to country DE"):
        issuers.update_profile(admin, a, IssuerProfileUpdate(country_code="NL"))
    cleared = issuers.update_profile(
        admin, a, IssuerProfileUpdate(country_code="NL", region_code=None, homepage=None)
    )
    assert (cleared.country_code, cleared.region_code, cleared.homepage) == ("NL", None, None)
    entry = issuers.audit_log(admin, a, limit=1)[0]
    assert entry.action == "issuer.update" and entry.actor_user_id == admin.user_id
    assert entry.details == {
        "changes": {"country_code": "NL", "region_code": None, "homepage": None}
    }
    with pytest.raises(PermissionDenied):
        issuers.update_profile(world.members[Role.DESIGNER], a, IssuerProfileUpdate(name="X"))


def test_list_issuers(world: World) -> None:
    issuers = world.platform.issuers
    assert [i.slug for i in issuers.list_issuers(world.operator)] == ["alpha", "beta"]
    for principal in world.members.values():
        assert [i.slug for i in issuers.list_issuers(principal)] == ["alpha"]
    assert [i.slug for i in issuers.list_issuers(world.admin_b)] == ["beta"]
    secret, _ = world.platform.identity.create_token(
        world.members[Role.ADMIN], world.issuer_a.id, "t", [Permission.TOKENS_MANAGE]
    )
    token = world.platform.identity.principal_for_token(secret)
    assert issuers.list_issuers(token) == []  # no issuer:read scope


# --------------------------------------------------------------------------- keys


def test_rotation_keeps_old_keys_resolvable_with_their_expiry_time(
    world: World, clock: StepClock
) -> None:
    platform = world.platform
    admin = world.members[Role.ADMIN]
    a = world.issuer_a
    resolver = platform.issuers.hosted_did_resolver()  # made before the rotation
    first = a.active_key
    assert first is not None
    clock.advance(days=30)
    rotated_at = clock.now()
    second = platform.issuers.rotate_key(admin, a.id)
    assert second.verification_method == a.did + "#key-2"
    assert second.key_store_id == f"issuer-{a.id}-2"
    assert second.public_key_multibase != first.public_key_multibase

    document = resolver.resolve(a.did)  # sees the rotation at once
    assert document == platform.issuers.did_document("alpha")
    methods = {m["id"]: m for m in document["verificationMethod"]}
    # an ordinary rotation: the old key expires; "revoked" would mean a compromise
    assert methods[a.did + "#key-1"]["expires"] == rotated_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert "revoked" not in methods[a.did + "#key-1"]
    assert "revoked" not in methods[a.did + "#key-2"] and "expires" not in methods[a.did + "#key-2"]
    assert document["authentication"] == [a.did + "#key-2"]
    assert document["assertionMethod"] == [a.did + "#key-2", a.did + "#key-1"]

    keys = platform.issuers.list_keys(world.members[Role.VIEWER], a.id)
    assert [(k.status, k.rotated_at) for k in keys] == [("rotated", rotated_at), ("active", None)]
    assert platform.issuers.get_issuer(admin, a.id).active_key == second

    entry = platform.issuers.audit_log(admin, a.id, limit=1)[0]
    assert entry.action == "issuer.key_rotate" and entry.target_id == str(second.id)
    assert entry.details == {
        "new_verification_method": a.did + "#key-2",
        "old_verification_method": a.did + "#key-1",
    }
    # the engine's resolver (hosted in-process) dereferences both keys
    old = platform.engine.vm_resolver.resolve(a.did + "#key-1")
    assert (old.expires, old.revoked) == (rotated_at, None)
    current = platform.engine.vm_resolver.resolve(a.did + "#key-2")
    assert (current.expires, current.revoked) == (None, None)


def test_a_leftover_key_file_is_skipped_not_reused(world: World) -> None:
    platform = world.platform
    a = world.issuer_a.id
    platform.key_store.create(f"issuer-{a}-2")  # as if a rotation died before its commit
    key = platform.issuers.rotate_key(world.members[Role.ADMIN], a)
    assert key.key_store_id == f"issuer-{a}-3"
    assert key.verification_method.endswith("#key-3")


def test_signer_signs_with_the_active_key(world: World) -> None:
    issuers = world.platform.issuers
    a = world.issuer_a
    with issuers.signer_for_issuer(a.id) as signer:
        signature = signer.sign(b"hello")
        assert signer.verification_method == a.did + "#key-1"
    with pytest.raises(KeyStoreError):
        signer.sign(b"after the block")
    assert a.active_key is not None
    assert verify_ed25519(
        decode_public_multikey(a.active_key.public_key_multibase), b"hello", signature
    )
    issuers.rotate_key(world.operator, a.id)
    with issuers.signer_for_issuer(a.id) as signer:
        assert signer.verification_method == a.did + "#key-2"
    with pytest.raises(NotFound), issuers.signer_for_issuer(uuid.uuid4()):
        pass


def test_credentials_signed_before_a_rotation_still_verify(world: World, clock: StepClock) -> None:
    platform = world.platform
    engine = platform.engine
    pipeline = IssuancePipeline(engine.registry, engine.loader, engine.verifier)
    a = world.issuer_a

    def issue(number: int) -> dict:  # type: ignore[type-arg]
        with platform.issuers.signer_for_issuer(a.id) as signer:
            return pipeline.compose_and_issue(
                sample_achievement(awarding_body=a.did),
                "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
                sample_issuer(a.did),
                credential_id=f"urn:uuid:{uuid.UUID(int=number)}",
                valid_from=clock.now(),
                signer=signer,
                suite_name="eddsa-jcs-2022",
                now=clock.now(),
            )

    before = issue(1)
    assert before["proof"]["verificationMethod"] == a.did + "#key-1"
    clock.advance(days=1)
    platform.issuers.rotate_key(world.members[Role.ADMIN], a.id)
    clock.advance(days=1)
    after = issue(2)
    assert after["proof"]["verificationMethod"] == a.did + "#key-2"
    for credential in (before, after):
        report = engine.verifier.verify_credential(credential)
        assert report.verified, json.dumps(report.to_json(), indent=1)
        assert report.warnings == [], json.dumps(report.to_json(), indent=1)

    # a proof made with the old key *after* its rotation is not accepted
    with platform.key_store.signer_for(f"issuer-{a.id}-1", a.did + "#key-1") as old_signer:
        late = pipeline.sign(
            {k: v for k, v in before.items() if k != "proof"},
            old_signer,
            "eddsa-jcs-2022",
            now=clock.now(),
        )
    report = engine.verifier.verify_credential(late).to_json()
    assert report["verified"] is False
    failed = [c for c in report["checks"] if c["outcome"] == "failed"]
    assert [c["code"] for c in failed] == ["proof.key_expired_before_signing"], failed
    assert "The signing key expired on" in failed[0]["message"]


def test_hosted_resolver_knows_only_hosted_did_web_issuers(world: World) -> None:
    resolver = world.platform.hosted_did_resolver
    with pytest.raises(DIDNotFoundError):
        resolver.resolve("did:web:credentials.example.edu:issuers:nobody")
    with pytest.raises(DIDNotFoundError):
        resolver.resolve("did:web:elsewhere.example")
    # the engine does not go to the network for others (network is off in tests)
    with pytest.raises(DIDNotFoundError, match="network"):
        world.platform.engine.did_resolver.resolve("did:web:elsewhere.example")


# --------------------------------------------------------------------------- audit


def test_audit_log_of_an_issuer(world: World, clock: StepClock) -> None:
    issuers = world.platform.issuers
    admin = world.members[Role.ADMIN]
    entries = issuers.audit_log(admin, world.issuer_a.id)
    actions = [e.action for e in reversed(entries)]
    assert actions[0] == "issuer.create"
    # the world has one member of each role
    assert actions.count("member.add") == len(Role) and actions.count("user.create") == len(Role)
    assert all(e.issuer_id == world.issuer_a.id for e in entries)
    create = entries[-1]
    assert create.actor_user_id == world.operator.user_id
    assert create.ip == "192.0.2.1"
    assert create.details == {
        "slug": "alpha",
        "did": world.issuer_a.did,
        "did_method": "web",
    }
    # paging: newest first, then older than the smallest id seen
    first_page = issuers.audit_log(admin, world.issuer_a.id, limit=3)
    second_page = issuers.audit_log(admin, world.issuer_a.id, limit=3, before=first_page[-1].id)
    assert [e.id for e in first_page + second_page] == [e.id for e in entries[:6]]
    assert [
        e.action for e in issuers.audit_log(admin, world.issuer_a.id, action="issuer.create")
    ] == ["issuer.create"]
    # tokens are named as actors
    secret, info = world.platform.identity.create_token(
        admin, world.issuer_a.id, "bot", [Permission.KEYS_MANAGE, Permission.AUDIT_READ]
    )
    bot = world.platform.identity.principal_for_token(secret, ip="2001:db8::1")
    clock.advance(minutes=1)
    issuers.rotate_key(bot, world.issuer_a.id)
    latest = issuers.audit_log(bot, world.issuer_a.id, limit=1)[0]
    assert (latest.actor_user_id, latest.actor_token_id, latest.ip) == (
        admin.user_id,
        info.id,
        "2001:db8::1",
    )
    assert latest.at == clock.now()
    with pytest.raises(PermissionDenied):
        issuers.platform_audit_log(admin)


def test_audit_log_of_one_target_reaches_back_past_later_entries(
    world: World, clock: StepClock, database: Database
) -> None:
    """``target`` reads one target's whole history, however many newer entries the issuer has
    (the console's credential page; it used to filter the issuer's latest entries)."""
    issuers = world.platform.issuers
    admin = world.members[Role.ADMIN]
    viewer = world.members[Role.VIEWER]
    added = issuers.audit_log(admin, world.issuer_a.id, action="member.add", limit=1000)
    [entry] = [e for e in added if e.target_id == str(viewer.user_id)]
    for _ in range(4):  # newer entries about another target
        clock.advance(minutes=1)
        issuers.rotate_key(admin, world.issuer_a.id)
    latest = issuers.audit_log(admin, world.issuer_a.id, limit=4)
    assert entry.id not in [e.id for e in latest]

    mine = issuers.audit_log(admin, world.issuer_a.id, limit=4, target=viewer.user_id)
    # its account was created, then added to the issuer: both entries, nothing else
    assert [e.action for e in mine] == ["member.add", "user.create"]
    assert mine[0].id == entry.id and {e.target_id for e in mine} == {str(viewer.user_id)}
    assert issuers.audit_log(admin, world.issuer_a.id, target=str(viewer.user_id)) == mine
    assert issuers.audit_log(admin, world.issuer_a.id, target=uuid.uuid4()) == []
    # another issuer's log never shows it, even asked for that target
    assert issuers.audit_log(world.admin_b, world.issuer_b.id, target=viewer.user_id) == []

    # the lookup has its (issuer_id, target_id) index: SQLite's plan uses it; PostgreSQL's
    # planner picks by table statistics, so there the index itself is checked
    with database.engine.connect() as connection:
        if database.backend == "sqlite":
            plan = connection.execute(
                text(
                    "EXPLAIN QUERY PLAN SELECT id FROM audit_log WHERE issuer_id = :issuer "
                    "AND target_id = :target ORDER BY id DESC LIMIT 100"
                ),
                {"issuer": world.issuer_a.id.hex, "target": "x"},
            ).all()
            assert "ix_audit_log_issuer_id_target_id" in str(plan), plan
        else:
            definition = connection.execute(
                text(
                    "SELECT indexdef FROM pg_indexes WHERE tablename = 'audit_log' "
                    "AND indexname = 'ix_audit_log_issuer_id_target_id'"
                )
            ).scalar_one()
            assert "(issuer_id, target_id)" in definition, definition


def test_failed_change_writes_no_audit_entry(world: World) -> None:
    issuers = world.platform.issuers
    admin = world.members[Role.ADMIN]
    before = issuers.audit_log(admin, world.issuer_a.id, limit=1000)
    with pytest.raises(Conflict):
        world.platform.identity.change_role(admin, world.issuer_a.id, admin.user_id, Role.VIEWER)
    with pytest.raises(InvalidInput):
        issuers.update_profile(admin, world.issuer_a.id, IssuerProfileUpdate(region_code="FR-75"))
    assert issuers.audit_log(admin, world.issuer_a.id, limit=1000) == before


def test_platform_can_be_rebuilt_on_the_same_database(
    world: World, database_url: str, tmp_path, clock: StepClock
) -> None:
    # another process with another key store directory still serves the DID documents
    other: Platform = make_platform(database_url, tmp_path / "second", clock)
    try:
        assert other.issuers.did_document("alpha") == world.platform.issuers.did_document("alpha")
        with pytest.raises(KeyStoreError), other.issuers.signer_for_issuer(world.issuer_a.id):
            pass
    finally:
        other.close()
