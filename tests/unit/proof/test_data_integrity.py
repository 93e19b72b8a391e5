"""add_proof / verify_proofs: proof sets, chains, result codes and messages (eddsa-jcs-2022)."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from proof_testkit import CREATED, Methods, credential, did_of, key_pair, vm_of

from microcred.errors import InvalidInput, ProofError
from microcred.proof._encoding import encode_proof_value
from microcred.proof.cryptosuites.eddsa_jcs_2022 import EddsaJcs2022
from microcred.proof.data_integrity import add_proof, verify_proofs
from microcred.proof.options import ProofOptions
from microcred.proof.purposes import AssertionMethodPurpose
from microcred.proof.registry import CryptosuiteRegistry
from microcred.proof.results import ProofCode, ProofResult, proofs_verified

SUITE = EddsaJcs2022()
REGISTRY = CryptosuiteRegistry([SUITE])
ISSUER_KEY = key_pair(1)
OTHER_KEY = key_pair(2)
DOCS = Path(__file__).resolve().parents[3] / "docs" / "proofs.md"


def _options(key=ISSUER_KEY, **extra: Any) -> ProofOptions:
    return ProofOptions("eddsa-jcs-2022", vm_of(key), created=CREATED, **extra)


def _sign(document: dict[str, Any], key=ISSUER_KEY, **extra: Any) -> dict[str, Any]:
    return add_proof(document, SUITE, _options(key, **extra), key.signer(vm_of(key)))


def _methods() -> Methods:
    return Methods().add(ISSUER_KEY).add(OTHER_KEY)


def _verify(document: dict[str, Any], **kwargs: Any) -> list[ProofResult]:
    return verify_proofs(document, REGISTRY, kwargs.pop("methods", _methods()), **kwargs)


def test_sign_and_verify() -> None:
    unsigned = credential(did_of(ISSUER_KEY))
    before = copy.deepcopy(unsigned)
    signed = _sign(unsigned)
    assert unsigned == before  # the input is not modified
    assert isinstance(signed["proof"], dict)
    assert signed["proof"]["@context"] == unsigned["@context"]
    [result] = _verify(signed)
    assert result.verified and result.code == ProofCode.VERIFIED
    assert (result.index, result.cryptosuite, result.created) == (0, "eddsa-jcs-2022", CREATED)
    assert did_of(ISSUER_KEY) in result.message and "2024-05-01T12:00:00Z" in result.message
    assert result.to_json()["created"] == "2024-05-01T12:00:00+00:00"
    assert proofs_verified([result])


def test_second_proof_makes_a_proof_set() -> None:
    signed = _sign(_sign(credential(did_of(ISSUER_KEY))), OTHER_KEY)
    assert isinstance(signed["proof"], list) and len(signed["proof"]) == 2
    results = _verify(signed, purpose=AssertionMethodPurpose(require_issuer_controller=False))
    assert [r.code for r in results] == [ProofCode.VERIFIED, ProofCode.VERIFIED]
    # each proof of a set signs the document without the other proofs
    [only_second] = _verify(
        {**signed, "proof": signed["proof"][1]},
        purpose=AssertionMethodPurpose(require_issuer_controller=False),
    )
    assert only_second.verified


def test_chained_proof_covers_the_previous_one() -> None:
    first = _sign(credential(did_of(ISSUER_KEY)), id="urn:proof:1")
    chained = _sign(first, OTHER_KEY, previous_proof="urn:proof:1")
    loose = AssertionMethodPurpose(require_issuer_controller=False)
    assert [r.code for r in _verify(chained, purpose=loose)] == [ProofCode.VERIFIED] * 2
    # change the first proof's created date: its signature and the chained one break
    chained["proof"][0]["created"] = "2024-05-01T12:00:01Z"
    codes = [r.code for r in _verify(chained, purpose=loose)]
    assert codes == [ProofCode.SIGNATURE_INVALID, ProofCode.SIGNATURE_INVALID]


def test_chain_onto_a_missing_proof_is_refused() -> None:
    with pytest.raises(ProofError, match="urn:proof:nope"):
        _sign(_sign(credential(did_of(ISSUER_KEY))), previous_proof=["urn:proof:nope"])


def test_unknown_proof_types_are_skipped_not_failed() -> None:
    signed = _sign(credential(did_of(ISSUER_KEY)))
    anchor = {"type": "MerkleAnchorProof2026", "merkleRoot": "00" * 32}
    signed["proof"] = [signed["proof"], anchor]
    results = _verify(signed)
    assert [r.code for r in results] == [ProofCode.VERIFIED, ProofCode.UNSUPPORTED_TYPE]
    skipped = results[1]
    assert (skipped.verified, skipped.skipped, skipped.type) == (
        False,
        True,
        "MerkleAnchorProof2026",
    )
    assert "skipped" in skipped.message
    assert proofs_verified(results)
    assert not proofs_verified([skipped])
    assert not proofs_verified([])


@pytest.mark.parametrize(
    ("proof", "code", "words"),
    [
        ("a string", ProofCode.MALFORMED, "not a JSON object"),
        ({"proofValue": "z1"}, ProofCode.MALFORMED, "does not say what type"),
        ({"type": "DataIntegrityProof"}, ProofCode.MALFORMED, "does not name its cryptosuite"),
        (
            {"type": "DataIntegrityProof", "cryptosuite": "ecdsa-rdfc-2019"},
            ProofCode.UNKNOWN_CRYPTOSUITE,
            "ecdsa-rdfc-2019",
        ),
    ],
)
def test_unusable_proofs(proof: Any, code: str, words: str) -> None:
    document = {**credential(did_of(ISSUER_KEY)), "proof": proof}
    [result] = _verify(document)
    assert (result.code, result.verified, result.skipped) == (code, False, False)
    assert words in result.message


def _mutated_proof(**changes: Any) -> dict[str, Any]:
    signed = _sign(credential(did_of(ISSUER_KEY)))
    signed["proof"].update(changes)
    return signed


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"proofValue": "not-multibase"}, ProofCode.MALFORMED),
        ({"proofValue": encode_proof_value(bytes(64))}, ProofCode.SIGNATURE_INVALID),
        ({"created": "2024-05-01T12:00:00"}, ProofCode.MALFORMED),
        ({"created": "2024-05-01T12:00:01Z"}, ProofCode.SIGNATURE_INVALID),
        ({"proofPurpose": "authentication"}, ProofCode.PURPOSE_MISMATCH),
        ({"verificationMethod": "did:key:z6MkNope#z6MkNope"}, ProofCode.KEY_NOT_FOUND),
        ({"verificationMethod": vm_of(OTHER_KEY)}, ProofCode.SIGNATURE_INVALID),
        ({"@context": ["https://example.org/other"]}, ProofCode.CONTEXT_MISMATCH),
        ({"previousProof": "urn:proof:gone"}, ProofCode.PREVIOUS_PROOF_MISSING),
    ],
)
def test_each_failure_has_its_code(changes: dict[str, Any], code: str) -> None:
    [result] = _verify(_mutated_proof(**changes))
    assert result.code == code
    assert not result.verified
    assert result.message


def test_key_not_authorised_for_assertions() -> None:
    methods = Methods().add(ISSUER_KEY, purposes=("authentication",))
    [result] = _verify(_sign(credential(did_of(ISSUER_KEY))), methods=methods)
    assert result.code == ProofCode.KEY_NOT_AUTHORISED
    assert "not authorised" in result.message


def test_expired_proof() -> None:
    signed = _sign(credential(did_of(ISSUER_KEY)), expires=CREATED + timedelta(days=30))
    assert _verify(signed, now=CREATED + timedelta(days=1))[0].verified
    [result] = _verify(signed, now=CREATED + timedelta(days=31))
    assert result.code == ProofCode.EXPIRED


def test_challenge_and_domain_for_presentations() -> None:
    presentation = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": did_of(OTHER_KEY),
    }
    signed = _sign(
        presentation,
        OTHER_KEY,
        proof_purpose="authentication",
        challenge="nonce-123",
        domain="verifier.example",
    )
    ok = _verify(
        signed,
        expected_purpose="authentication",
        challenge="nonce-123",
        domain="verifier.example",
    )
    assert ok[0].code == ProofCode.VERIFIED
    bad_challenge = _verify(signed, expected_purpose="authentication", challenge="nonce-999")
    assert bad_challenge[0].code == ProofCode.CHALLENGE_MISMATCH
    bad_domain = _verify(signed, expected_purpose="authentication", domain="evil.example")
    assert bad_domain[0].code == ProofCode.DOMAIN_MISMATCH
    as_assertion = _verify(signed)
    assert as_assertion[0].code == ProofCode.PURPOSE_MISMATCH
    wrong_holder = _verify({**signed, "holder": "did:example:x"}, expected_purpose="authentication")
    assert wrong_holder[0].code == ProofCode.SIGNATURE_INVALID  # holder is signed data


def test_revoked_key() -> None:
    signed = _sign(credential(did_of(ISSUER_KEY)))
    revoked_later = Methods().add(ISSUER_KEY, revoked=CREATED + timedelta(days=1))
    assert _verify(signed, methods=revoked_later)[0].verified
    revoked_before = Methods().add(ISSUER_KEY, revoked=CREATED - timedelta(days=1))
    [result] = _verify(signed, methods=revoked_before)
    assert result.code == ProofCode.KEY_REVOKED_BEFORE_SIGNING


def test_key_of_another_controller_than_the_issuer() -> None:
    signed = _sign(credential("https://uni.example/issuer"))
    [result] = _verify(signed)
    assert result.code == ProofCode.CONTROLLER_NOT_ISSUER
    assert "https://uni.example/issuer" in result.message
    lenient = _verify(signed, purpose=AssertionMethodPurpose(require_issuer_controller=False))
    assert lenient[0].verified


def test_signer_must_match_the_options() -> None:
    with pytest.raises(ProofError, match="must be the same key"):
        add_proof(
            credential(did_of(ISSUER_KEY)),
            SUITE,
            _options(ISSUER_KEY),
            OTHER_KEY.signer(vm_of(OTHER_KEY)),
        )


def test_misuse_raises() -> None:
    with pytest.raises(InvalidInput):
        verify_proofs(["not", "a", "dict"], REGISTRY, _methods())  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="timezone-aware"):
        _verify(credential("x"), now=datetime(2024, 1, 1))
    with pytest.raises(InvalidInput):
        add_proof("doc", SUITE, _options(), ISSUER_KEY.signer(vm_of(ISSUER_KEY)))  # type: ignore[arg-type]


def test_document_without_proof_has_no_results() -> None:
    assert _verify(credential("x")) == []
    assert _verify({**credential("x"), "proof": []}) == []


def test_every_code_is_documented() -> None:
    if not DOCS.exists():
        pytest.skip("docs/proofs.md not written yet")
    text = DOCS.read_text(encoding="utf-8")
    missing = [code for code in sorted(ProofCode.ALL) if f"`{code}`" not in text]
    assert not missing


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=25, deadline=None)
@given(subject=st.dictionaries(st.text(min_size=1, max_size=6), json_values, max_size=4))
def test_any_json_subject_signs_verifies_and_detects_change(subject: dict[str, Any]) -> None:
    document = credential(did_of(ISSUER_KEY), credentialSubject=subject)
    signed = _sign(document)
    assert _verify(signed)[0].verified
    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"] = {**subject, "extra": True}
    assert _verify(tampered)[0].code == ProofCode.SIGNATURE_INVALID


def test_docs_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("microcred.jsonld.processing")
    if not DOCS.exists():
        pytest.skip("docs/proofs.md not written yet")
    text = DOCS.read_text(encoding="utf-8")
    snippet = text.split("```python\n", 1)[1].split("```", 1)[0]
    exec(compile(snippet, str(DOCS), "exec"), {"__name__": "docs_example"})
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "proof.verified"
    assert lines[1].startswith("The signature is valid")
    assert lines[2:] == ["True", "proof.signature_invalid"]
