"""CLR 2.0 and Open Badges endorsements: the official vector through the whole engine.

``test_ob_vectors.py`` checks the CLR 2.0 vector's canonical forms, hashes and signature byte
for byte; this file goes further with the same vector:

* ``compose_clr`` rebuilds the vector's unsigned ``ClrCredential`` from its embedded credential,
  and signing it with the vector's key and date reproduces the vector's ``proofValue``;
* the ``Verifier`` verifies the record *and* its embedded credential (``clr.credential``), and
  a change inside the embedded credential is reported on that check as well as on the record's
  proof;
* what we compose validates against the official JSON Schemas (the OB 3.0
  ``EndorsementCredential`` schema; the ``Achievement`` and ``Association`` definitions of the
  CLR schema, whose ``ClrCredential`` envelope is VC 1.1-era and not used).

Reads ``../shared/standards``; skipped when absent.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from di_testkit import OB_VECTORS, STANDARDS, read_json

from microcred.clock import FixedClock
from microcred.definition.clr import compose_clr
from microcred.definition.endorsement import compose_endorsement
from microcred.did.dereference import VerificationMethod
from microcred.keys.ed25519 import Ed25519KeyPair
from microcred.model import Achievement, Profile
from microcred.model.clr import Association, ClrCredential
from microcred.proof.data_integrity import add_proof
from microcred.proof.options import ProofOptions
from microcred.verification import codes
from microcred.wiring import build_engine

jsonschema = pytest.importorskip("jsonschema")

CLR = OB_VECTORS / "clrv2p0"
pytestmark = pytest.mark.skipif(
    not (CLR / "signed.json").is_file(), reason="../shared/standards is not available"
)
NOW = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def engine():  # type: ignore[no-untyped-def]
    pair = read_json(CLR / "keyPair.json")
    method = VerificationMethod.from_multikey(
        pair["verificationMethod"], pair["publicKeyMultibase"], controller=pair["controller"]
    )
    return build_engine(
        allow_network=False,
        clock=FixedClock(NOW),
        static_methods={pair["verificationMethod"]: method},
    )


def _key() -> tuple[Ed25519KeyPair, dict[str, Any]]:
    pair = read_json(CLR / "keyPair.json")
    return Ed25519KeyPair.from_seed(bytes.fromhex(pair["privateKeyHex"])[:32]), pair


def test_the_clr_model_round_trips_the_vector_exactly() -> None:
    for name in ("unsigned.json", "signed.json"):
        document = read_json(CLR / name)
        assert ClrCredential.from_json(document).to_json() == document


def test_compose_clr_rebuilds_the_vector_and_signing_reproduces_its_proof(engine) -> None:
    unsigned = read_json(CLR / "unsigned.json")
    subject = unsigned["credentialSubject"]
    composed = compose_clr(
        subject["verifiableCredential"],
        subject["id"],
        Profile.from_json(unsigned["issuer"]),
        credential_id=unsigned["id"],
        valid_from=datetime(2010, 1, 1, tzinfo=UTC),
        name=unsigned["name"],
        achievements=[Achievement.from_json(a) for a in subject["achievement"]],
        associations=[Association.from_json(a) for a in subject["association"]],
    )
    assert composed == unsigned
    key, pair = _key()
    signed = add_proof(
        composed,
        engine.registry.get("eddsa-rdfc-2022"),
        ProofOptions.from_json(read_json(CLR / "proofOptions.json")),
        key.signer(pair["verificationMethod"]),
    )
    expected = read_json(CLR / "signed.json")
    assert signed["proof"]["proofValue"] == expected["proof"][0]["proofValue"]
    assert {**signed, "proof": [signed["proof"]]} == expected


def test_the_verifier_verifies_the_record_and_each_embedded_credential(engine) -> None:
    report = engine.verifier.verify_credential(read_json(CLR / "signed.json"))
    assert report.verified, [c.to_json() for c in report.failures]
    [embedded] = [c for c in report.checks if c.code == codes.CLR_CREDENTIAL]
    assert embedded.outcome.value == "passed"
    assert embedded.details["id"] == "urn:uuid:91537dba-56cb-11ec-bf63-0242ac130002"
    [inner] = report.credentials
    assert inner.verified
    assert "proof.verified" in [c.code for c in inner.checks]
    assert report.to_json()["credentials"][0]["verified"] is True


def test_a_change_inside_an_embedded_credential_is_reported_on_clr_credential(engine) -> None:
    signed = read_json(CLR / "signed.json")
    signed["credentialSubject"]["verifiableCredential"][0]["credentialSubject"]["achievement"][
        "name"
    ] = "Achievement 1 (with honours)"
    report = engine.verifier.verify_credential(signed)
    failed = {c.code: c for c in report.failures}
    assert not report.verified
    assert "proof.signature_invalid" in failed  # the record's own proof covers the bundle
    assert failed[codes.CLR_CREDENTIAL].details["failed"] == ["proof.signature_invalid"]
    assert not report.credentials[0].verified


def test_a_record_re_signed_around_a_changed_credential_still_fails_on_that_credential(
    engine,
) -> None:
    unsigned = read_json(CLR / "unsigned.json")
    unsigned["credentialSubject"]["verifiableCredential"][0]["name"] = "Forged Degree"
    key, pair = _key()
    resigned = add_proof(
        unsigned,
        engine.registry.get("eddsa-rdfc-2022"),
        ProofOptions.from_json(read_json(CLR / "proofOptions.json")),
        key.signer(pair["verificationMethod"]),
    )
    report = engine.verifier.verify_credential(resigned)
    assert [c.code for c in report.failures] == [codes.CLR_CREDENTIAL]
    assert "Forged Degree" in report.failures[0].message


def _schema_validator(path, definition: str | None = None):  # type: ignore[no-untyped-def]
    schema = json.loads(path.read_text(encoding="utf-8"))
    if definition is not None:
        schema = {**schema, "$ref": f"#/$defs/{definition}"}
        schema.pop("properties", None)
        schema.pop("required", None)
        schema.pop("additionalProperties", None)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def test_our_endorsement_validates_against_the_official_schema() -> None:
    endorsement = compose_endorsement(
        "https://uni.example/issuers/demo/achievements/robotics/v1",
        Profile.from_json({"id": "did:web:partner.example", "type": ["Profile"], "name": "Acme"}),
        credential_id="urn:uuid:0d5b7c0e-4b9e-4c43-9d4e-2f7f2b8f6a10",
        valid_from=datetime(2026, 1, 1, tzinfo=UTC),
        comment="Acme Robotics recognises this course for its apprentices.",
    )
    schema = STANDARDS / "openbadges" / "schema" / "ob_v3p0_endorsementcredential_schema.json"
    errors = list(_schema_validator(schema).iter_errors(endorsement))
    assert errors == []
    broken = copy.deepcopy(endorsement)
    del broken["credentialSubject"]["type"]
    assert list(_schema_validator(schema).iter_errors(broken))


def test_our_clr_achievements_and_associations_validate_against_the_clr_schema() -> None:
    schema = STANDARDS / "openbadges" / "clr-schema"
    path = schema / "clr_v2p0_clrcredential_schema_draft4.legacy-vc11.json"
    unsigned = read_json(CLR / "unsigned.json")
    subject = unsigned["credentialSubject"]
    composed = compose_clr(
        subject["verifiableCredential"],
        subject["id"],
        unsigned["issuer"]["id"],
        credential_id="urn:uuid:6b1f0c9e-7a43-4d0c-9a61-5f2e8d8b7c11",
        valid_from=NOW,
        name="Transcript",
        achievements=[Achievement.from_json(a) for a in subject["achievement"]],
        associations=[Association.from_json(a) for a in subject["association"]],
    )
    for achievement in composed["credentialSubject"]["achievement"]:
        assert list(_schema_validator(path, "Achievement").iter_errors(achievement)) == []
    for association in composed["credentialSubject"]["association"]:
        assert list(_schema_validator(path, "Association").iter_errors(association)) == []
    bad = {**composed["credentialSubject"]["association"][0], "associationType": "isCousinOf"}
    assert list(_schema_validator(path, "Association").iter_errors(bad))
