"""parse_proof: every malformed proof is refused with a message naming the problem."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from microcred.proof._encoding import encode_proof_value
from microcred.proof._validation import parse_proof
from microcred.proof.results import ProofCheckError, ProofCode

GOOD: dict[str, Any] = {
    "type": "DataIntegrityProof",
    "cryptosuite": "eddsa-rdfc-2022",
    "created": "2024-05-01T12:00:00Z",
    "verificationMethod": "did:key:z6Mk#z6Mk",
    "proofPurpose": "assertionMethod",
    "proofValue": encode_proof_value(bytes(64)),
}


def _with(**changes: Any) -> dict[str, Any]:
    proof = dict(GOOD)
    for key, value in changes.items():
        if value is ...:
            del proof[key]
        else:
            proof[key] = value
    return proof


def test_good_proof_parses() -> None:
    parsed = parse_proof(
        _with(domain=["a", "b"], previousProof="urn:p", expires="2030-01-01T00:00:00Z"),
        expected_type="DataIntegrityProof",
        expected_cryptosuite="eddsa-rdfc-2022",
    )
    assert parsed.signature == bytes(64)
    assert parsed.created == datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert parsed.expires == datetime(2030, 1, 1, tzinfo=UTC)
    assert parsed.domain == ("a", "b")
    assert parsed.previous_proof == ("urn:p",)
    assert parsed.context is None


@pytest.mark.parametrize(
    ("proof", "message"),
    [
        ("not an object", "JSON object"),
        (_with(type=...), "has no type"),
        (_with(type=["DataIntegrityProof"]), "type must be a non-empty string"),
        (_with(verificationMethod=...), "has no verificationMethod"),
        (_with(verificationMethod={"id": "x"}), "verificationMethod must be"),
        (_with(proofPurpose=...), "has no proofPurpose"),
        (_with(proofPurpose=""), "proofPurpose must be"),
        (_with(proofValue=...), "has no proofValue"),
        (_with(proofValue="uAAAA"), "starting with 'z'"),
        (_with(proofValue=encode_proof_value(bytes(65))), "65 bytes"),
        (_with(created="2024-05-01"), "created is not a valid date-time"),
        (_with(created="2024-05-01T12:00:00"), "time zone"),
        (_with(created=1714564800), "created must be a date-time string"),
        (_with(expires="soon"), "expires is not a valid date-time"),
        (_with(domain=[]), "domain must be"),
        (_with(challenge=7), "challenge must be"),
        (_with(previousProof=[None]), "previousProof must be"),
        (_with(id=""), "id must be"),
        (_with(**{"@context": []}), "@context"),
        (_with(cryptosuite="eddsa-jcs-2022"), "expected 'eddsa-rdfc-2022'"),
        (_with(cryptosuite=...), "no cryptosuite"),
        (_with(type="Ed25519Signature2020"), "expected 'DataIntegrityProof'"),
    ],
)
def test_malformed_proofs(proof: Any, message: str) -> None:
    with pytest.raises(ProofCheckError, match=message) as info:
        parse_proof(
            proof, expected_type="DataIntegrityProof", expected_cryptosuite="eddsa-rdfc-2022"
        )
    assert info.value.code == ProofCode.MALFORMED


def test_legacy_proof_must_not_name_a_cryptosuite() -> None:
    proof = _with(type="Ed25519Signature2020")
    with pytest.raises(ProofCheckError, match="must not have a cryptosuite"):
        parse_proof(proof, expected_type="Ed25519Signature2020")
    del proof["cryptosuite"]
    assert parse_proof(proof, expected_type="Ed25519Signature2020").cryptosuite is None
