"""eddsa-rdfc-2022 with the real JSON-LD layer: safe mode and the proof @context rule."""

from __future__ import annotations

from typing import Any

import pytest
from proof_testkit import CREATED, Methods, credential, did_of, key_pair, vm_of

from microcred.errors import ProofError, UndefinedTermError
from microcred.proof.cryptosuites.eddsa_rdfc_2022 import EddsaRdfc2022
from microcred.proof.data_integrity import add_proof, verify_proofs
from microcred.proof.options import ProofOptions
from microcred.proof.registry import CryptosuiteRegistry
from microcred.proof.results import ProofCheckError, ProofCode

processing = pytest.importorskip("microcred.jsonld.processing")
static_loader = pytest.importorskip("microcred.jsonld.static_loader")

KEY = key_pair(5)
VC_V1 = "https://www.w3.org/2018/credentials/v1"
DI_V2 = "https://w3id.org/security/data-integrity/v2"


@pytest.fixture(scope="module")
def suite() -> EddsaRdfc2022:
    return EddsaRdfc2022(static_loader.StaticDocumentLoader.bundled())


def _sign(suite: EddsaRdfc2022, document: dict[str, Any]) -> dict[str, Any]:
    options = ProofOptions("eddsa-rdfc-2022", vm_of(KEY), created=CREATED)
    return add_proof(document, suite, options, KEY.signer(vm_of(KEY)))


def _vc11(**subject: Any) -> dict[str, Any]:
    return {
        "@context": [VC_V1, DI_V2],
        "id": "urn:uuid:0f6d8e1c-2d0b-4e0a-9c53-6a2b1b7f0a11",
        "type": ["VerifiableCredential"],
        "issuer": did_of(KEY),
        "issuanceDate": "2024-05-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:learner", **subject},
    }


def test_default_canonizer_signs_and_verifies(suite: EddsaRdfc2022) -> None:
    signed = _sign(suite, credential(did_of(KEY)))
    [result] = verify_proofs(signed, CryptosuiteRegistry([suite]), Methods().add(KEY))
    assert result.code == ProofCode.VERIFIED
    assert "@context" not in signed["proof"]


def test_vc11_document_with_data_integrity_context(suite: EddsaRdfc2022) -> None:
    signed = _sign(suite, _vc11())
    [result] = verify_proofs(signed, CryptosuiteRegistry([suite]), Methods().add(KEY))
    assert result.code == ProofCode.VERIFIED


def test_undefined_term_is_refused_when_signing(suite: EddsaRdfc2022) -> None:
    with pytest.raises(UndefinedTermError, match="favouriteColour"):
        _sign(suite, _vc11(favouriteColour="green"))


def test_undefined_term_is_reported_when_verifying(suite: EddsaRdfc2022) -> None:
    signed = _sign(suite, _vc11())
    signed["credentialSubject"]["favouriteColour"] = "green"
    [result] = verify_proofs(signed, CryptosuiteRegistry([suite]), Methods().add(KEY))
    assert result.code == ProofCode.UNDEFINED_TERM
    assert "favouriteColour" in result.message


def test_proof_type_must_be_defined_by_the_document_contexts(suite: EddsaRdfc2022) -> None:
    document = _vc11()
    document["@context"] = [VC_V1]  # VC 1.1 alone does not define DataIntegrityProof
    with pytest.raises(UndefinedTermError):
        _sign(suite, document)


def test_proof_context_must_prefix_the_document_context(suite: EddsaRdfc2022) -> None:
    signed = _sign(suite, credential(did_of(KEY)))
    unsecured = {k: v for k, v in signed.items() if k != "proof"}
    same = {**signed["proof"], "@context": unsecured["@context"]}
    assert suite.verify_proof(unsecured, same, KEY.public_bytes) is True
    other = {**signed["proof"], "@context": [DI_V2]}
    with pytest.raises(ProofError, match="@context") as info:
        suite.verify_proof(unsecured, other, KEY.public_bytes)
    assert isinstance(info.value, ProofCheckError)
    assert info.value.code == ProofCode.CONTEXT_MISMATCH


def test_unknown_context_is_reported(suite: EddsaRdfc2022) -> None:
    signed = _sign(suite, credential(did_of(KEY)))
    signed["@context"] = [*signed["@context"], "https://example.org/unknown-context/v1"]
    [result] = verify_proofs(signed, CryptosuiteRegistry([suite]), Methods().add(KEY))
    assert result.code == ProofCode.UNKNOWN_CONTEXT


def test_suite_refuses_foreign_proofs(suite: EddsaRdfc2022) -> None:
    signed = _sign(suite, credential(did_of(KEY)))
    unsecured = {k: v for k, v in signed.items() if k != "proof"}
    foreign = {**signed["proof"], "cryptosuite": "eddsa-jcs-2022"}
    with pytest.raises(ProofCheckError) as info:
        suite.verify_proof(unsecured, foreign, KEY.public_bytes)
    assert info.value.code == ProofCode.MALFORMED
    options = ProofOptions("eddsa-jcs-2022", vm_of(KEY), created=CREATED)
    with pytest.raises(ProofError, match="eddsa-rdfc-2022 only handles"):
        add_proof(credential(did_of(KEY)), suite, options, KEY.signer(vm_of(KEY)))
    no_context = {k: v for k, v in credential(did_of(KEY)).items() if k != "@context"}
    with pytest.raises(ProofError, match="no @context"):
        _sign(suite, no_context)
