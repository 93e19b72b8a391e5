"""ELM documents through the Verifier: DI signing round trip, tampering, seals, samples."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest
from elm_testkit import (
    ISSUER_KEY,
    ISSUER_VM,
    NOW,
    SAMPLES,
    FakeJadesSealer,
    load_sample,
    ob_credential,
)

from microcred.certificates.badge import badge_png
from microcred.clock import FixedClock
from microcred.did.key import did_key_verification_method
from microcred.elm import to_elm
from microcred.elm.reading import read_elm
from microcred.elm.sealing import Sealer, open_sealed
from microcred.elm.signing import sign_elm
from microcred.errors import InvalidInput
from microcred.keys.ed25519 import Ed25519KeyPair
from microcred.verification.report import Outcome, VerificationReport
from microcred.wiring import build_engine


@pytest.fixture(scope="module")
def engine():  # type: ignore[no-untyped-def]
    return build_engine(allow_network=False, clock=FixedClock(NOW))


@pytest.fixture(scope="module")
def signed(engine) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    doc = to_elm(
        ob_credential(), learner_name="Ana Andromeda", display_image=badge_png("X", size=64)
    )
    return sign_elm(doc, engine.registry, ISSUER_KEY.signer(ISSUER_VM), created=NOW)


def by_code(report: VerificationReport) -> dict[str, Any]:
    return {c.code: c for c in report.checks}


def test_signed_export_verifies(engine, signed) -> None:  # type: ignore[no-untyped-def]
    assert signed["proof"]["cryptosuite"] == "eddsa-jcs-2022"
    report = engine.verifier.verify_credential(signed)
    assert report.verified, report.failures
    checks = by_code(report)
    assert checks["proof.verified"].outcome is Outcome.PASSED
    assert checks["issuer.key"].outcome is Outcome.PASSED
    assert checks["jsonld.terms"].outcome is Outcome.PASSED
    assert checks["elm.elements"].outcome is Outcome.PASSED


@pytest.mark.parametrize(
    "path, value",
    [
        (("credentialSubject", "fullName", "en"), "Mallory"),
        (("credentialSubject", "hasClaim", "specifiedBy", "creditPoint", 0, "point"), "50"),
        (
            ("credentialSubject", "hasClaim", "specifiedBy", "eqfLevel", "id"),
            "http://data.europa.eu/snb/eqf/8",
        ),
        (("issued",), "2020-01-01T00:00:00Z"),
    ],
)
def test_tampering_is_detected(engine, signed, path, value) -> None:  # type: ignore[no-untyped-def]
    doc = copy.deepcopy(signed)
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    report = engine.verifier.verify_credential(doc)
    assert not report.verified
    assert any(c.code.startswith("proof") for c in report.failures)


def test_an_added_field_is_detected(engine, signed) -> None:  # type: ignore[no-untyped-def]
    doc = copy.deepcopy(signed)
    doc["credentialSubject"]["hasClaim"]["specifiedBy"]["nqfLevel"] = {"id": "urn:x"}
    assert not engine.verifier.verify_credential(doc).verified


def test_only_the_issuer_key_signs(engine) -> None:  # type: ignore[no-untyped-def]
    other = Ed25519KeyPair.from_seed(bytes(range(1, 33)))
    vm = did_key_verification_method(other.public_bytes)
    doc = to_elm(ob_credential(), display_image=badge_png("X", size=64))
    with pytest.raises(InvalidInput, match="signing key"):
        sign_elm(doc, engine.registry, other.signer(vm), created=NOW)


def test_fake_sealer_is_a_sealer() -> None:
    sealer: Sealer = FakeJadesSealer()
    assert "signatures" in sealer.seal({"type": ["VerifiableCredential"]})


def test_jades_sealed_credential_is_reported_as_sealed_not_invalid(engine) -> None:  # type: ignore[no-untyped-def]
    sample = load_sample("Sample-MC-Annex1-unsigned.jsonld")
    envelope = FakeJadesSealer().seal(sample)
    sealed = open_sealed(envelope)
    assert sealed is not None and sealed.jades and sealed.serialization == "general"
    assert sealed.payload == sample
    report = engine.verifier.verify_credential(envelope)
    checks = by_code(report)
    seal = checks["elm.seal"]
    assert seal.outcome is Outcome.WARNING
    assert "Sealed with an eIDAS certificate — seal not checked here" in seal.message
    assert "structure.proof" not in checks
    assert checks["structure.type"].outcome is Outcome.PASSED
    assert checks["elm.elements"].outcome is Outcome.WARNING  # the sample lacks QA
    assert not report.verified  # never "verified": the seal is not checked
    assert report.summary["sealed"] == "jades"
    assert report.input_problem() is None


def test_compact_and_flattened_jws_are_recognised(engine) -> None:  # type: ignore[no-untyped-def]
    sample = load_sample("credential-sample.jsonld")

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    header = b64(
        json.dumps({"alg": "RS256", "x5c": ["MIIB"], "sigT": "2026-01-01T00:00:00Z"}).encode()
    )
    payload = b64(json.dumps(sample).encode())
    compact = f"{header}.{payload}.{b64(b'sig')}"
    sealed = open_sealed(compact)
    assert sealed is not None and sealed.serialization == "compact" and sealed.has_certificate
    flattened = {"payload": payload, "protected": header, "signature": b64(b"sig")}
    assert open_sealed(flattened) is not None
    report = engine.verifier.verify_credential(compact)
    assert by_code(report)["elm.seal"].outcome is Outcome.WARNING


@pytest.mark.parametrize(
    "value",
    [
        "not.a.jws",
        "a.b",
        {"payload": "{}", "signatures": []},
        {"payload": "e30", "protected": "e30", "signature": "x"},  # payload {} is no credential
        {"payload": 3, "protected": "e30", "signature": "x"},
        {"@context": [], "payload": "x"},
    ],
)
def test_other_values_are_not_taken_for_seals(value: object) -> None:
    assert open_sealed(value) is None


@pytest.mark.parametrize("name", SAMPLES)
def test_official_samples_import_and_show(engine, name: str) -> None:  # type: ignore[no-untyped-def]
    sample = load_sample(name)
    view = read_elm(sample)
    assert view.title
    assert view.learner
    shown = {e.element_id: e.values for e in view.elements}
    assert shown["awarding_body"]
    report = engine.verifier.verify_credential(sample)
    checks = by_code(report)
    # readable (the ELM context is recognised), unsigned so not verified
    assert report.input_problem() is None
    assert checks["jsonld.contexts"].outcome is Outcome.PASSED
    assert checks["structure.proof"].outcome is Outcome.FAILED
    assert "elm.elements" in checks


def test_annex_sample_elements_are_read() -> None:
    view = read_elm(load_sample("Sample-MC-Annex1-unsigned.jsonld"))
    shown = {e.element_id: e.values for e in view.elements}
    assert view.learner == "Ana Andromeda"
    assert shown["notional_workload"] == ["2 ECTS", "PT60H"]
    assert shown["level"] == ["EQF Level 6", "NQF RQF Level 6"]
    assert shown["supervision_and_identity_verification"] == [
        "Unsupervised without ID Verification"
    ]
    assert shown["issuer_country_region"][:1] == ["Ireland"]
    assert [e.element_id for e in view.missing] == ["quality_assurance"]
