"""W3C Data Integrity 1.0 proofs with the EdDSA cryptosuites (see docs/proofs.md)."""

from microcred.proof.cryptosuites.base import Cryptosuite
from microcred.proof.cryptosuites.ed25519_signature_2020 import Ed25519Signature2020
from microcred.proof.cryptosuites.eddsa_jcs_2022 import EddsaJcs2022
from microcred.proof.cryptosuites.eddsa_rdfc_2022 import EddsaRdfc2022
from microcred.proof.data_integrity import add_proof, verify_proofs
from microcred.proof.options import ProofOptions
from microcred.proof.purposes import (
    AssertionMethodPurpose,
    AuthenticationPurpose,
    ProofPurpose,
    VerificationMethodLookup,
)
from microcred.proof.registry import CryptosuiteRegistry
from microcred.proof.results import ProofCheckError, ProofCode, ProofResult, proofs_verified

__all__ = [
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
