"""Endorsements inside a badge and credentials inside a CLR, through the real Verifier
(did:key issuers, eddsa-rdfc-2022, no network): one ``endorsement`` / ``clr.credential`` result
per embedded credential, a moved endorsement, an expired one (warning), nesting limits."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from verification_testkit import NOW

from microcred.clock import FixedClock
from microcred.definition import compose_credential
from microcred.definition.clr import compose_clr
from microcred.definition.endorsement import compose_endorsement
from microcred.definition.samples import sample_achievement
from microcred.did.key import did_key_from_public, did_key_verification_method
from microcred.errors import InvalidInput
from microcred.keys.ed25519 import Ed25519KeyPair
from microcred.model import Achievement, Profile
from microcred.proof.data_integrity import add_proof
from microcred.proof.options import ProofOptions
from microcred.verification import codes
from microcred.verification.checks.embedded import find_endorsements
from microcred.wiring import build_engine

ISSUER = Ed25519KeyPair.from_seed(bytes(range(32)))
PARTNER = Ed25519KeyPair.from_seed(bytes(range(3, 35)))
ISSUER_DID = did_key_from_public(ISSUER.public_bytes)
PARTNER_DID = did_key_from_public(PARTNER.public_bytes)
START = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def engine():  # type: ignore[no-untyped-def]
    return build_engine(allow_network=False, clock=FixedClock(NOW))


def sign(engine, document: dict[str, Any], key: Ed25519KeyPair) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    method = did_key_verification_method(key.public_bytes)
    options = ProofOptions(cryptosuite="eddsa-rdfc-2022", verification_method=method, created=START)
    return add_proof(document, engine.registry.get("eddsa-rdfc-2022"), options, key.signer(method))


def endorsement(engine, subject: str, **options: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    unsigned = compose_endorsement(
        subject,
        Profile.from_json({"id": PARTNER_DID, "type": ["Profile"], "name": "Acme"}),
        credential_id="urn:uuid:5c1f8a0e-9f4b-4a8e-8d1c-3b2a1f0e9d8c",
        valid_from=START,
        comment="Good.",
        **options,
    )
    return sign(engine, unsigned, PARTNER)


def badge(engine, *, endorse_with: dict[str, Any] | None = None) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    achievement = sample_achievement()
    if endorse_with is not None:
        achievement = Achievement.from_json(
            {**achievement.to_json(), "endorsement": [endorse_with]}
        )
    unsigned = compose_credential(
        achievement,
        "did:example:learner-1",
        Profile.from_json({"id": ISSUER_DID, "type": ["Profile"], "name": "Uni"}),
        credential_id="urn:uuid:0f3e1c2a-7b6d-4e5f-8a9b-1c2d3e4f5a6b",
        valid_from=START,
    )
    return sign(engine, unsigned, ISSUER)


def results(report, code: str):  # type: ignore[no-untyped-def]
    return [c for c in report.checks if c.code == code]


def test_an_endorsed_badge_reports_its_endorsement(engine) -> None:  # type: ignore[no-untyped-def]
    achievement_id = sample_achievement().id
    signed = badge(engine, endorse_with=endorsement(engine, achievement_id))
    report = engine.verifier.verify_credential(signed)
    assert report.verified, [c.to_json() for c in report.failures]
    [result] = results(report, codes.ENDORSEMENT)
    assert result.outcome.value == "passed"
    assert result.details["endorser"] == PARTNER_DID
    assert result.details["comment"] == "Good."
    assert result.details["where"] == "credentialSubject.achievement"


def test_an_endorsement_of_something_else_fails_as_moved(engine) -> None:  # type: ignore[no-untyped-def]
    signed = badge(engine, endorse_with=endorsement(engine, "https://other.example/a/1"))
    report = engine.verifier.verify_credential(signed)
    [result] = results(report, codes.ENDORSEMENT)
    assert result.outcome.value == "failed" and "moved" in result.message
    assert not report.verified


def test_an_expired_endorsement_is_a_warning(engine) -> None:  # type: ignore[no-untyped-def]
    expired = endorsement(
        engine, sample_achievement().id, valid_until=datetime(2026, 2, 1, tzinfo=UTC)
    )
    report = engine.verifier.verify_credential(badge(engine, endorse_with=expired))
    [result] = results(report, codes.ENDORSEMENT)
    assert result.outcome.value == "warning" and "no longer current" in result.message
    assert report.verified


def test_a_non_credential_endorsement_fails(engine) -> None:  # type: ignore[no-untyped-def]
    doc = badge(engine)
    doc["endorsement"] = ["not an object"]
    report = engine.verifier.verify_credential(doc)
    [result] = results(report, codes.ENDORSEMENT)
    assert result.outcome.value == "failed"


def test_a_clr_reports_each_credential_and_a_forged_one(engine) -> None:  # type: ignore[no-untyped-def]
    one = badge(engine)
    two = badge(engine, endorse_with=endorsement(engine, sample_achievement().id))
    record = sign(
        engine,
        compose_clr(
            [one, two],
            "did:example:learner-1",
            ISSUER_DID,
            credential_id="urn:uuid:1a2b3c4d-5e6f-4a0b-9c8d-7e6f5a4b3c2d",
            valid_from=START,
            name="Transcript",
        ),
        ISSUER,
    )
    report = engine.verifier.verify_credential(record)
    assert report.verified, [c.to_json() for c in report.failures]
    assert [r.outcome.value for r in results(report, codes.CLR_CREDENTIAL)] == ["passed"] * 2
    assert results(report.credentials[1], codes.ENDORSEMENT)[0].outcome.value == "passed"

    unsigned = copy.deepcopy(record)
    del unsigned["proof"]
    inner = unsigned["credentialSubject"]["verifiableCredential"][1]
    inner["credentialSubject"]["achievement"]["endorsement"][0]["credentialSubject"][
        "endorsementComment"
    ] = "Forged"
    report = engine.verifier.verify_credential(sign(engine, unsigned, ISSUER))
    [first, second] = results(report, codes.CLR_CREDENTIAL)
    assert first.outcome.value == "passed" and second.outcome.value == "failed"
    assert "endorsement" in second.details["failed"]


def test_nesting_is_bounded(engine) -> None:  # type: ignore[no-untyped-def]
    doc: dict[str, Any] = badge(engine)
    deep = copy.deepcopy(doc)
    for _ in range(4):
        deep = {**copy.deepcopy(doc), "endorsement": [deep]}
    report = engine.verifier.verify_credential(deep)
    assert not report.verified
    assert any(c.code == codes.EMBEDDED_NESTING for c in report.failures) or any(
        c.code == codes.ENDORSEMENT for c in report.failures
    )


def test_find_endorsements_looks_at_every_place_ob_allows() -> None:
    doc = {
        "id": "urn:x:c",
        "endorsement": [{"a": 1}],
        "issuer": {"id": "did:x:i", "endorsement": [{"b": 1}]},
        "credentialSubject": {
            "achievement": {
                "id": "urn:x:a",
                "endorsement": [{"c": 1}],
                "creator": {"id": "did:x:k", "endorsement": [{"d": 1}]},
            }
        },
    }
    found = find_endorsements(doc)
    assert [(f.where, f.attached_to) for f in found] == [
        ("credential", "urn:x:c"),
        ("issuer", "did:x:i"),
        ("credentialSubject.achievement", "urn:x:a"),
        ("credentialSubject.achievement.creator", "did:x:k"),
    ]


def test_compose_refuses_bad_input() -> None:
    with pytest.raises(InvalidInput):
        compose_clr(
            [], "did:example:1", ISSUER_DID, credential_id="urn:x:1", valid_from=START, name="x"
        )
    with pytest.raises(InvalidInput):
        compose_endorsement("relative/id", PARTNER_DID, credential_id="urn:x:1", valid_from=START)
    with pytest.raises(InvalidInput):
        compose_endorsement(
            "urn:x:2", PARTNER_DID, credential_id="urn:x:1", valid_from=datetime(2026, 1, 1)
        )
