"""Legacy ``Ed25519Signature2020`` proofs: verification only.

Many Open Badges 3.0 credentials issued before Data Integrity 1.0 carry this proof
type (W3C CCG "Ed25519Signature2020" suite, context
https://w3id.org/security/suites/ed25519-2020/v1). Its hashing is the same as
``eddsa-rdfc-2022`` (Data Integrity EdDSA Cryptosuites v1.0 §3.2.3–§3.2.7):
``SHA-256(canonical proof options with the document's @context) ||
SHA-256(canonical document)``, both RDFC-1.0 (safe mode here), Ed25519 signature in a
base58-btc Multibase ``proofValue``. The document must include the suite context
(that is where the ``Ed25519Signature2020`` term is defined), as the original suite
required. microcred never creates such proofs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from microcred.errors import ProofError, UnsupportedError
from microcred.jsonld.protocols import DocumentLoader
from microcred.keys.protocols import Signer
from microcred.proof._validation import context_values, parse_proof
from microcred.proof.cryptosuites.base import (
    Canonizer,
    SigningInput,
    apply_proof_context,
    compute_signing_input,
    verify_ed25519_signature,
)
from microcred.proof.options import ProofOptions
from microcred.proof.results import ProofCheckError, ProofCode

__all__ = ["ED25519_2020_CONTEXT", "Ed25519Signature2020"]

ED25519_2020_CONTEXT = "https://w3id.org/security/suites/ed25519-2020/v1"
_PROOF_TYPE = "Ed25519Signature2020"


class Ed25519Signature2020:
    """Verifier for legacy ``Ed25519Signature2020`` proofs (``legacy = True``)."""

    name = _PROOF_TYPE
    proof_type = _PROOF_TYPE
    legacy = True

    def __init__(self, loader: DocumentLoader, *, canonizer: Canonizer | None = None) -> None:
        if canonizer is None:
            from microcred.jsonld.processing import canonize

            canonizer = canonize
        self._loader = loader
        self._canonize = canonizer

    def _transform(self, unsecured: Mapping[str, Any]) -> bytes:
        """RDFC-1.0 canonical N-Quads of the document (safe mode), UTF-8."""
        if ED25519_2020_CONTEXT not in context_values(unsecured.get("@context")):
            raise ProofCheckError(
                ProofCode.CONTEXT_MISMATCH,
                "An Ed25519Signature2020 proof needs the document's @context to include "
                f"{ED25519_2020_CONTEXT}; this document does not.",
            )
        return self._canonize(unsecured, self._loader, safe=True).encode("utf-8")

    def _proof_configuration(
        self, unsecured: Mapping[str, Any], options: Mapping[str, Any]
    ) -> bytes:
        """Canonical N-Quads of the proof without its value, with the document's @context."""
        if options.get("type") != _PROOF_TYPE:
            raise ProofError("Ed25519Signature2020 only handles proofs of that type.")
        config = {k: v for k, v in options.items() if k not in ("proofValue", "@context")}
        config["@context"] = unsecured["@context"]
        return self._canonize(config, self._loader, safe=True).encode("utf-8")

    def _signing_input(
        self, unsecured: Mapping[str, Any], options: Mapping[str, Any]
    ) -> SigningInput:
        canonical_document = self._transform(unsecured)
        return compute_signing_input(
            canonical_document, self._proof_configuration(unsecured, options)
        )

    def create_proof(
        self, unsecured: Mapping[str, Any], options: ProofOptions, signer: Signer
    ) -> dict[str, Any]:
        """Refused: legacy proofs are only verified. Sign with ``eddsa-rdfc-2022``."""
        raise UnsupportedError(
            "Ed25519Signature2020 is a legacy proof type that microcred only verifies; "
            "create new proofs with the eddsa-rdfc-2022 cryptosuite."
        )

    def verify_proof(
        self, unsecured: Mapping[str, Any], proof: Mapping[str, Any], public_key: bytes
    ) -> bool:
        parsed = parse_proof(proof, expected_type=_PROOF_TYPE)
        document = apply_proof_context(unsecured, parsed)
        signing = self._signing_input(document, proof)
        return verify_ed25519_signature(public_key, signing.hash_data, parsed.signature)
