"""The public names of microcred.proof are pinned."""

from __future__ import annotations

import microcred.proof as proof


def test_public_names_are_pinned() -> None:
    assert sorted(proof.__all__) == [
        "AssertionMethodPurpose",
        "AuthenticationPurpose",
        "Cryptosuite",
        "CryptosuiteRegistry",
        "Ed25519Signature2020",
        "EddsaJcs2022",
        "EddsaRdfc2022",
        "ProofCheckError",
        "ProofCode",
        "ProofOptions",
        "ProofPurpose",
        "ProofResult",
        "VerificationMethodLookup",
        "add_proof",
        "proofs_verified",
        "verify_proofs",
    ]
    for name in proof.__all__:
        assert getattr(proof, name) is not None
