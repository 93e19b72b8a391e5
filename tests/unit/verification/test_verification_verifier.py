"""The Verifier end to end with the real engine pieces (no network)."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from verification_testkit import NOW, badge, examples_context, standards_file

from microcred.clock import FixedClock
from microcred.did.dereference import VerificationMethod
from microcred.did.key import did_key_from_public, did_key_verification_method
from microcred.errors import DIDNotFoundError
from microcred.keys.ed25519 import Ed25519KeyPair
from microcred.proof.data_integrity import add_proof
from microcred.proof.options import ProofOptions
from microcred.verification import codes
from microcred.verification.checks.base import CheckContext
from microcred.verification.report import CheckFailed, CheckResult, Outcome, VerificationReport
from microcred.verification.verifier import Verifier, summarize
from microcred.wiring import build_engine

ISSUER_KEY = Ed25519KeyPair.from_seed(bytes(range(32)))
OTHER_KEY = Ed25519KeyPair.from_seed(bytes(range(1, 33)))
HOLDER_KEY = Ed25519KeyPair.from_seed(bytes(range(2, 34)))


def did(key: Ed25519KeyPair) -> str:
    return did_key_from_public(key.public_bytes)


def vm(key: Ed25519KeyPair) -> str:
    return did_key_verification_method(key.public_bytes)


@pytest.fixture(scope="module")
def engine():  # type: ignore[no-untyped-def]
    return build_engine(
        allow_network=False, clock=FixedClock(NOW), extra_contexts=examples_context()
    )


@pytest.fixture(scope="module")
def verifier(engine) -> Verifier:  # type: ignore[no-untyped-def]
    return engine.verifier


def unsigned_badge(issuer: str | None = None) -> dict[str, Any]:
    doc = badge(proof=None)
    doc["issuer"]["id"] = issuer or did(ISSUER_KEY)
    return doc


def sign(engine, doc: dict[str, Any], key: Ed25519KeyPair = ISSUER_KEY, **options: Any):  # type: ignore[no-untyped-def]
    suite_name = options.pop("suite", "eddsa-rdfc-2022")
    suite = engine.registry.get(suite_name)
    opts = ProofOptions(
        cryptosuite=suite_name,
        verification_method=vm(key),
        created=datetime(2026, 1, 15, 9, 0, tzinfo=UTC),
        **options,
    )
    return add_proof(doc, suite, opts, key.signer(vm(key)))


def by_code(report: VerificationReport) -> dict[str, CheckResult]:
    return {c.code: c for c in report.checks}


@pytest.fixture(scope="module")
def signed(engine) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return sign(engine, unsigned_badge())


def test_signed_badge_verifies_with_every_check_in_order(verifier: Verifier, signed) -> None:  # type: ignore[no-untyped-def]
    report = verifier.verify_credential(signed)
    assert report.verified, report.failures
    assert [c.code for c in report.checks] == [
        "structure.object",
        "structure.context",
        "structure.type",
        "structure.issuer",
        "structure.subject",
        "structure.ids",
        "structure.dates",
        "structure.reserved",
        "structure.proof",
        "jsonld.contexts",
        "jsonld.terms",
        "schema.openbadges",
        "proof.verified",
        "issuer.key",
        "dates.valid-from",
        "dates.valid-until",
        "eu.elements",
        "status",
        "anchor",
    ]
    outcomes = {c.code: c.outcome for c in report.checks}
    assert outcomes["status"] is Outcome.SKIPPED and outcomes["anchor"] is Outcome.SKIPPED
    assert outcomes["eu.elements"] is Outcome.SKIPPED  # this badge states no EU elements
    assert by_code(report)["issuer.key"].message == (
        f"The signing key belongs to the issuer ({did(ISSUER_KEY)})."
    )
    assert report.summary == {
        "id": signed["id"],
        "name": "Data Literacy",
        "validFrom": "2026-01-15T09:00:00Z",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": did(ISSUER_KEY),
        "issuerName": "Example University",
        "subject": "did:example:learner-42",
        "achievement": "Data Literacy",
    }
    json.dumps(report.to_json())  # serialisable


def test_jcs_signed_badge_verifies(engine, verifier: Verifier) -> None:  # type: ignore[no-untyped-def]
    report = verifier.verify_credential(sign(engine, unsigned_badge(), suite="eddsa-jcs-2022"))
    assert report.verified, report.failures


def test_tampered_badge_fails_the_proof_check(verifier: Verifier, signed) -> None:  # type: ignore[no-untyped-def]
    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["achievement"]["name"] = "Data Mastery"
    report = verifier.verify_credential(tampered)
    assert not report.verified
    assert [c.code for c in report.failures] == ["proof.signature_invalid"]


def _leaf_paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, Mapping):
        return [p for k, v in node.items() for p in _leaf_paths(v, (*path, k))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _leaf_paths(v, (*path, i))]
    return [path]


def test_every_single_field_change_is_detected(verifier: Verifier, signed) -> None:  # type: ignore[no-untyped-def]
    paths = [p for p in _leaf_paths(signed) if p[0] != "@context"]
    assert len(paths) > 15
    for path in paths:
        tampered = copy.deepcopy(signed)
        parent = tampered
        for step in path[:-1]:
            parent = parent[step]
        old = parent[path[-1]]
        parent[path[-1]] = (old + "x") if isinstance(old, str) else "changed"
        assert not verifier.verify_credential(tampered).verified, path


W3C_VECTORS = (
    "vc-di-eddsa/TestVectors/eddsa-rdfc-2022/signedDataInt.json",
    "vc-di-eddsa/TestVectors/eddsa-jcs-2022/signedJCS.json",
)


@pytest.mark.parametrize("relative", W3C_VECTORS)
def test_official_vectors_sign_correctly_but_their_issuer_is_unbound(
    verifier: Verifier, relative: str
) -> None:
    """The W3C vectors name an https issuer and sign with a did:key nothing links to it.

    Their signatures verify; the issuer binding fails, so the report is not verified.
    """
    doc = json.loads(standards_file(relative).read_text())
    report = verifier.verify_credential(doc)
    assert not report.verified
    assert report.input_problem() is None
    assert [c.code for c in report.failures] == ["issuer.key"]
    proofs = [c for c in report.checks if c.code.startswith("proof")]
    assert [(c.code, c.outcome) for c in proofs] == [("proof.verified", Outcome.PASSED)]
    issuer = by_code(report)["issuer.key"]
    assert issuer.outcome is Outcome.FAILED
    key_owner = doc["proof"]["verificationMethod"].split("#")[0]
    assert issuer.details == {
        "verificationMethod": doc["proof"]["verificationMethod"],
        "controller": key_owner,
        "issuer": "https://vc.example/issuers/5678",
    }
    assert "nothing links the two" in issuer.message


def test_without_the_examples_context_the_vectors_are_unreadable() -> None:
    path = "vc-di-eddsa/TestVectors/eddsa-rdfc-2022/signedDataInt.json"
    doc = json.loads(standards_file(path).read_text())
    report = build_engine(allow_network=False).verifier.verify_credential(doc)
    problem = report.input_problem()
    assert problem is not None and problem.code == "jsonld.contexts"
    assert problem.details["unknown"] == ["https://www.w3.org/ns/credentials/examples/v2"]


def test_open_badges_vector_with_an_https_key_supplied_out_of_band() -> None:
    doc = json.loads(standards_file("openbadges/test-vectors/obv3p0/signed.json").read_text())
    pair = json.loads(standards_file("openbadges/test-vectors/obv3p0/keyPair.json").read_text())
    method = VerificationMethod.from_multikey(
        pair["verificationMethod"], pair["publicKeyMultibase"], controller=pair["controller"]
    )
    engine = build_engine(
        allow_network=False,
        clock=FixedClock(NOW),
        static_methods={pair["verificationMethod"]: method},
    )
    report = engine.verifier.verify_credential(doc)
    assert report.verified, report.failures
    found = by_code(report)
    assert found["schema.openbadges"].outcome is Outcome.PASSED
    assert found["issuer.key"].outcome is Outcome.PASSED
    assert found["issuer.key"].message == (
        "The signing key belongs to the issuer (https://example.edu/issuers/565049)."
    )
    without_key = build_engine(allow_network=False, clock=FixedClock(NOW)).verifier
    failed = {c.code for c in without_key.verify_credential(doc).failures}
    assert failed == {"proof.key_not_found", "issuer.key"}


def test_legacy_signature_verifies_with_a_warning_but_its_issuer_is_unbound(
    verifier: Verifier,
) -> None:
    path = "vc-di-eddsa/TestVectors/Ed25519Signature2020/signedEdSig.json"
    doc = json.loads(standards_file(path).read_text())
    report = verifier.verify_credential(doc)
    proof = by_code(report)["proof.verified"]
    assert proof.outcome is Outcome.WARNING
    assert proof.details["legacy"] is True and proof.details["type"] == "Ed25519Signature2020"
    assert "older Ed25519Signature2020 format" in proof.message
    assert [c.code for c in report.failures] == ["issuer.key"]
    assert not report.verified


def test_issuer_did_not_controlling_the_key_fails(engine, verifier: Verifier) -> None:  # type: ignore[no-untyped-def]
    doc = sign(engine, unsigned_badge(issuer=did(OTHER_KEY)))
    report = verifier.verify_credential(doc)
    assert [c.code for c in report.failures] == ["issuer.key"]
    assert by_code(report)["proof.verified"].outcome is Outcome.PASSED
    assert did(OTHER_KEY) in report.failures[0].message


def test_unknown_context_names_the_url(verifier: Verifier, signed) -> None:  # type: ignore[no-untyped-def]
    doc = copy.deepcopy(signed)
    doc["@context"].append("https://example.org/unknown/v9")
    report = verifier.verify_credential(doc)
    problem = report.input_problem()
    assert problem is not None and problem.code == codes.JSONLD_CONTEXTS
    assert "https://example.org/unknown/v9" in problem.message
    assert by_code(report)["jsonld.terms"].outcome is Outcome.SKIPPED


def test_undefined_term_is_named(engine, verifier: Verifier) -> None:  # type: ignore[no-untyped-def]
    doc = unsigned_badge()
    doc["favouriteColour"] = "green"
    report = verifier.verify_credential(doc | {"proof": {"type": "DataIntegrityProof"}})
    terms = by_code(report)["jsonld.terms"]
    assert terms.outcome is Outcome.FAILED
    assert "favouriteColour" in terms.message


@pytest.mark.parametrize("value", [[], 3, None, True, [{"a": 1}]])
def test_non_objects_yield_a_report(verifier: Verifier, value: Any) -> None:
    report = verifier.verify_credential(value)
    assert not report.verified
    assert report.checks[0].code == "structure.object"
    assert {c.outcome for c in report.checks[1:]} == {Outcome.SKIPPED}
    assert report.input_problem() is report.checks[0]


def test_an_object_that_is_not_a_credential(verifier: Verifier) -> None:
    report = verifier.verify_credential({"hello": "world"})
    problem = report.input_problem()
    assert problem is not None and problem.code == "structure.type"
    assert by_code(report)["proof"].outcome is Outcome.SKIPPED


@pytest.mark.parametrize("value", ['{"a": 1}', b"{}", bytearray(b"{}")])
def test_text_input_is_misuse(verifier: Verifier, value: Any) -> None:
    with pytest.raises(TypeError, match="json.loads"):
        verifier.verify_credential(value)


def test_expired_badge(engine) -> None:  # type: ignore[no-untyped-def]
    doc = sign(engine, unsigned_badge() | {"validUntil": "2026-03-03T10:00:00Z"})
    report = engine.verifier.verify_credential(doc)
    assert [c.code for c in report.failures] == ["dates.valid-until"]
    assert report.failures[0].message == "This credential expired on 3 March 2026."


def test_only_an_unknown_proof_type_is_not_enough(verifier: Verifier, signed) -> None:  # type: ignore[no-untyped-def]
    doc = copy.deepcopy(signed)
    doc["proof"] = {"type": "MerkleAnchorProof2026", "proofValue": "z1"}
    report = verifier.verify_credential(doc)
    found = by_code(report)
    assert found["proof.unsupported_type"].outcome is Outcome.SKIPPED
    assert found["proof.none-verified"].outcome is Outcome.FAILED
    assert found["issuer.key"].outcome is Outcome.SKIPPED


def test_unknown_proofs_next_to_a_signature_are_skipped(verifier: Verifier, signed) -> None:  # type: ignore[no-untyped-def]
    doc = copy.deepcopy(signed)
    vocab = "https://anchor.example/vocab#"
    anchor = {
        "@context": {"MerkleAnchorProof2026": vocab + "Proof", "anchorRoot": vocab + "root"},
        "type": "MerkleAnchorProof2026",
        "anchorRoot": "z1",
    }
    other_suite = dict(doc["proof"], cryptosuite="ecdsa-rdfc-2019")
    doc["proof"] = [doc["proof"], anchor, other_suite]
    report = verifier.verify_credential(doc)
    assert report.verified, report.failures
    outcomes = [(c.code, c.outcome) for c in report.checks if c.code.startswith("proof.")]
    assert outcomes == [
        ("proof.verified", Outcome.PASSED),
        ("proof.unsupported_type", Outcome.SKIPPED),
        ("proof.unknown_cryptosuite", Outcome.SKIPPED),
    ]


def test_key_resolution_failure_is_reported(engine, signed) -> None:  # type: ignore[no-untyped-def]
    class Nowhere:
        def resolve(self, vm_url: str, purpose: str = "assertionMethod") -> Any:
            raise DIDNotFoundError(f"{vm_url} is nowhere")

    verifier = Verifier(engine.registry, engine.loader, Nowhere(), FixedClock(NOW))
    report = verifier.verify_credential(signed)
    assert {c.code for c in report.failures} == {"proof.key_not_found", "issuer.key"}


class _Family:
    def __init__(self, family: str, behaviour: str) -> None:
        self.family = family
        self.behaviour = behaviour

    def run(self, credential: Mapping[str, Any], context: CheckContext) -> Sequence[CheckResult]:
        if self.behaviour == "raise":
            raise CheckFailed(f"{self.family}.revoked", "This credential was revoked.")
        if self.behaviour == "explode":
            raise DIDNotFoundError("status list missing")
        if self.behaviour == "empty":
            return []
        return [CheckResult.passed(f"{self.family}.ok", f"checked at {context.now.year}")]


def test_extra_checks_replace_hooks_and_report(engine, signed) -> None:  # type: ignore[no-untyped-def]
    def run_with(*extras: _Family) -> dict[str, CheckResult]:
        v = Verifier(engine.registry, engine.loader, engine.vm_resolver, FixedClock(NOW), extras)
        return by_code(v.verify_credential(signed))

    found = run_with(_Family("status", "pass"), _Family("trust", "pass"))
    assert "status" not in found and found["status.ok"].message == "checked at 2026"
    assert list(found)[-2:] == ["anchor", "trust.ok"]
    assert run_with(_Family("status", "raise"))["status.revoked"].outcome is Outcome.FAILED
    error = run_with(_Family("anchor", "explode"))["anchor.error"]
    assert error.outcome is Outcome.FAILED and "status list missing" in error.message
    assert run_with(_Family("trust", "empty"))["trust"].outcome is Outcome.SKIPPED


def test_extra_check_misuse(engine) -> None:  # type: ignore[no-untyped-def]
    args = (engine.registry, engine.loader, engine.vm_resolver, FixedClock(NOW))
    with pytest.raises(ValueError):
        Verifier(*args, [_Family("status", "pass"), _Family("status", "pass")])
    with pytest.raises(ValueError):
        Verifier(*args, [_Family("structure", "pass")])


def test_naive_clock_is_misuse(engine, signed) -> None:  # type: ignore[no-untyped-def]
    class Naive:
        def now(self) -> datetime:
            return datetime(2026, 1, 1)

    v = Verifier(engine.registry, engine.loader, engine.vm_resolver, Naive())
    with pytest.raises(ValueError):
        v.verify_credential(signed)


def test_summary_ignores_nested_values() -> None:
    assert summarize({"id": {"x": 1}, "name": ["a"], "issuer": {"name": 3}}) == {}


# ---------------------------------------------------------------------- presentations


def presentation(engine, credential: dict[str, Any], **options: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    vp = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": did(HOLDER_KEY),
        "verifiableCredential": [credential],
    }
    if not options:
        return vp
    return sign(engine, vp, HOLDER_KEY, proof_purpose="authentication", **options)


def test_signed_presentation_with_challenge(engine, verifier: Verifier, signed) -> None:  # type: ignore[no-untyped-def]
    vp = presentation(engine, signed, challenge="nonce-123", domain="https://employer.example")
    report = verifier.verify_presentation(
        vp, challenge="nonce-123", domain="https://employer.example"
    )
    assert report.verified, (report.failures, [r.failures for r in report.credentials])
    assert report.kind == "presentation"
    assert by_code(report)["presentation.credential"].outcome is Outcome.PASSED
    assert report.to_json()["credentials"][0]["verified"] is True
    wrong = verifier.verify_presentation(vp, challenge="other")
    assert "proof.challenge_mismatch" in [c.code for c in wrong.failures]


def test_presentation_with_a_tampered_credential(engine, verifier: Verifier, signed) -> None:  # type: ignore[no-untyped-def]
    tampered = copy.deepcopy(signed)
    tampered["name"] = "Other"
    report = verifier.verify_presentation(presentation(engine, tampered))
    assert not report.verified
    assert [c.code for c in report.failures] == ["presentation.credential"]
    assert by_code(report)["presentation.proof"].outcome is Outcome.WARNING


def test_unsigned_presentation_cannot_answer_a_challenge(
    engine, verifier: Verifier, signed
) -> None:  # type: ignore[no-untyped-def]
    report = verifier.verify_presentation(presentation(engine, signed), challenge="abc")
    assert [c.code for c in report.failures] == ["presentation.proof"]


def test_not_a_presentation(verifier: Verifier, signed) -> None:  # type: ignore[no-untyped-def]
    report = verifier.verify_presentation(signed)
    problem = report.input_problem()
    assert problem is not None and problem.code == "presentation.type"
