"""A VC-JWT through the Verifier: the same report as a Data Integrity credential."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from verification_testkit import NOW, badge

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "proof"))
from jwt_testkit import ISSUER_KEY, OTHER_KEY, did, sign_raw, split, vm  # noqa: E402

from microcred.clock import FixedClock  # noqa: E402
from microcred.did.resolver import HostedDIDResolver  # noqa: E402
from microcred.did.web import DidWebKey, build_did_web_document  # noqa: E402
from microcred.proof.data_integrity import add_proof  # noqa: E402
from microcred.proof.jose import claims_for, encode_vc_jwt  # noqa: E402
from microcred.proof.jose.compact import b64url_encode  # noqa: E402
from microcred.proof.options import ProofOptions  # noqa: E402
from microcred.verification.report import CheckResult, Outcome, VerificationReport  # noqa: E402
from microcred.wiring import build_engine  # noqa: E402

WEB_DID = "did:web:uni.example"
SAME_FAMILIES = [
    "structure",
    "jsonld",
    "schema",
    "proof",
    "issuer",
    "dates",
    "eu",
    "status",
    "anchor",
]


@pytest.fixture(scope="module")
def engine():  # type: ignore[no-untyped-def]
    document = build_did_web_document(
        WEB_DID,
        [DidWebKey("key-2026", OTHER_KEY.public_key_multibase)],
        [
            DidWebKey(
                "key-2025",
                ISSUER_KEY.public_key_multibase,
                revoked=datetime(2026, 1, 1, tzinfo=UTC),
            )
        ],
    )
    return build_engine(
        allow_network=False,
        clock=FixedClock(NOW),
        web_resolver=HostedDIDResolver({WEB_DID: document}),
    )


def unsigned(issuer: str | None = None, **changes: Any) -> dict[str, Any]:
    doc = badge(proof=None)
    doc["issuer"]["id"] = issuer or did(ISSUER_KEY)
    doc.update(changes)
    return doc


def token_for(doc: dict[str, Any], key=ISSUER_KEY, kid: str | None = None, **kw: Any) -> str:  # type: ignore[no-untyped-def]
    return encode_vc_jwt(doc, key.signer(kid or vm(key)), **kw)


def by_code(report: VerificationReport) -> dict[str, CheckResult]:
    return {c.code: c for c in report.checks}


def families(report: VerificationReport) -> list[str]:
    return list(dict.fromkeys(c.code.split(".")[0] for c in report.checks))


def test_a_vc_jwt_gets_the_same_report_as_a_data_integrity_credential(engine) -> None:  # type: ignore[no-untyped-def]
    doc = unsigned()
    jwt_report = engine.verifier.verify_credential(token_for(doc))
    suite = engine.registry.get("eddsa-rdfc-2022")
    options = ProofOptions(
        cryptosuite="eddsa-rdfc-2022",
        verification_method=vm(ISSUER_KEY),
        created=datetime(2026, 1, 15, 9, tzinfo=UTC),
    )
    di_report = engine.verifier.verify_credential(
        add_proof(doc, suite, options, ISSUER_KEY.signer(vm(ISSUER_KEY)))
    )
    assert jwt_report.verified and di_report.verified
    assert families(jwt_report) == families(di_report) == SAME_FAMILIES
    checks = by_code(jwt_report)
    assert checks["proof.jws"].outcome is Outcome.PASSED
    assert checks["proof.jwt-claims"].outcome is Outcome.PASSED
    assert checks["structure.proof"].details["format"] == "vc+jwt"
    assert checks["issuer.key"].details["verificationMethod"] == vm(ISSUER_KEY)
    assert jwt_report.summary["format"] == "vc+jwt"
    assert jwt_report.summary["id"] == doc["id"]


def test_an_enveloped_credential_and_a_presentation_of_one(engine) -> None:  # type: ignore[no-untyped-def]
    token = token_for(unsigned())
    enveloped = {
        "@context": "https://www.w3.org/ns/credentials/v2",
        "id": f"data:application/vc+jwt,{token}",
        "type": "EnvelopedVerifiableCredential",
    }
    assert engine.verifier.verify_credential(enveloped).verified
    presentation = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": [enveloped],
    }
    report = engine.verifier.verify_presentation(presentation)
    assert report.verified and report.credentials[0].summary["format"] == "vc+jwt"


def failed(report: VerificationReport) -> dict[str, str]:
    return {c.code: c.message for c in report.failures}


def test_alg_none_is_refused(engine) -> None:  # type: ignore[no-untyped-def]
    doc = unsigned()
    token = sign_raw({"alg": "none", "kid": vm(ISSUER_KEY)}, {**doc, **claims_for(doc)})
    report = engine.verifier.verify_credential(token)
    assert not report.verified
    assert 'alg "none"' in failed(report)["proof.jws"]
    unsecured = token.rsplit(".", 1)[0] + "."
    report = engine.verifier.verify_credential(unsecured)
    assert report.input_problem() is not None
    assert "no signature" in failed(report)["structure.object"]


def test_wrong_kid(engine) -> None:  # type: ignore[no-untyped-def]
    # signed by ISSUER_KEY but naming OTHER_KEY: the signature does not match that key
    report = engine.verifier.verify_credential(token_for(unsigned(), kid=vm(OTHER_KEY)))
    assert "does not match" in failed(report)["proof.jws"]
    assert "belongs to" in failed(report)["issuer.key"]
    # a kid that resolves nowhere
    report = engine.verifier.verify_credential(token_for(unsigned(), kid="did:web:nowhere#k"))
    assert "could not be found" in failed(report)["proof.jws"]


def test_key_of_another_controller(engine) -> None:  # type: ignore[no-untyped-def]
    # a valid signature by OTHER_KEY on a credential naming ISSUER_KEY's DID
    report = engine.verifier.verify_credential(token_for(unsigned(), key=OTHER_KEY))
    assert set(failed(report)) == {"issuer.key"}


def test_tampered_payload_header_and_signature(engine) -> None:  # type: ignore[no-untyped-def]
    token = token_for(unsigned())
    head, body, sig = token.split(".")
    header, payload = split(token)
    payload["name"] = "Rocket Science"
    forged_body = b64url_encode(__import__("json").dumps(payload).encode())
    assert (
        "does not match"
        in failed(engine.verifier.verify_credential(f"{head}.{forged_body}.{sig}"))["proof.jws"]
    )
    header["typ"] = "vc+jwt"
    forged_head = b64url_encode(__import__("json").dumps(header).encode())
    assert (
        "does not match"
        in failed(engine.verifier.verify_credential(f"{forged_head}.{body}.{sig}"))["proof.jws"]
    )
    flipped = ("B" if sig[0] == "A" else "A") + sig[1:]
    assert (
        "does not match"
        in failed(engine.verifier.verify_credential(f"{head}.{body}.{flipped}"))["proof.jws"]
    )


def test_claim_mismatch_fails_with_reason(engine) -> None:  # type: ignore[no-untyped-def]
    doc = unsigned()
    payload = {**doc, **claims_for(doc), "iss": "did:example:someone-else"}
    report = engine.verifier.verify_credential(
        sign_raw({"alg": "EdDSA", "kid": vm(ISSUER_KEY)}, payload)
    )
    assert list(failed(report)) == ["proof.jwt-claims"]
    assert "the iss claim is did:example:someone-else" in failed(report)["proof.jwt-claims"]


def test_expired_and_not_yet_valid(engine) -> None:  # type: ignore[no-untyped-def]
    expired = token_for(unsigned(validUntil="2026-02-01T00:00:00Z"))
    report = engine.verifier.verify_credential(expired)
    assert list(failed(report)) == ["dates.valid-until"]
    future = token_for(unsigned(validFrom="2026-06-01T00:00:00Z"))
    report = engine.verifier.verify_credential(future)
    assert list(failed(report)) == ["dates.valid-from"]


def test_a_key_revoked_before_the_token_was_dated(engine) -> None:  # type: ignore[no-untyped-def]
    doc = unsigned(issuer=WEB_DID)
    report = engine.verifier.verify_credential(token_for(doc, kid=f"{WEB_DID}#key-2025"))
    assert "retired this key on 1 January 2026" in failed(report)["proof.jws"]
    fine = token_for(doc, key=OTHER_KEY, kid=f"{WEB_DID}#key-2026")
    assert engine.verifier.verify_credential(fine).verified


def test_an_embedded_data_integrity_proof_is_checked_too(engine) -> None:  # type: ignore[no-untyped-def]
    suite = engine.registry.get("eddsa-jcs-2022")
    options = ProofOptions(
        cryptosuite="eddsa-jcs-2022",
        verification_method=vm(ISSUER_KEY),
        created=datetime(2026, 1, 15, 9, tzinfo=UTC),
    )
    secured = add_proof(unsigned(), suite, options, ISSUER_KEY.signer(vm(ISSUER_KEY)))
    report = engine.verifier.verify_credential(token_for(secured))
    assert report.verified
    codes = [c.code for c in report.checks if c.code.startswith("proof.")]
    assert codes[:2] == ["proof.jws", "proof.jwt-claims"] and len(codes) == 3
    secured["proof"]["proofValue"] = secured["proof"]["proofValue"][:-2] + "zz"
    assert not engine.verifier.verify_credential(token_for(secured)).verified


def test_unreadable_token_is_an_input_problem_and_text_is_still_misuse(engine) -> None:  # type: ignore[no-untyped-def]
    report = engine.verifier.verify_credential("abc.def.ghi")
    assert report.input_problem() is not None
    assert failed(report)["structure.object"].startswith("This is not a readable VC-JWT")
    with pytest.raises(TypeError):
        engine.verifier.verify_credential('{"a": 1}')


def test_a_jades_sealed_compact_jws_is_still_read_as_a_seal(engine) -> None:  # type: ignore[no-untyped-def]
    doc = unsigned()
    sealed = sign_raw({"alg": "ES256", "x5c": ["MIIB"], "sigT": "2026-01-01T00:00:00Z"}, doc)
    report = engine.verifier.verify_credential(sealed)
    assert report.summary.get("sealed") == "jades"
    assert "format" not in report.summary
