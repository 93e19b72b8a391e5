"""What every cryptosuite object offers, and the steps the EdDSA suites share.

Data Integrity 1.0 §3 (Cryptographic Suites) says a cryptosuite provides
``createProof`` and ``verifyProof``; here a suite is a small object with
``name``, ``proof_type``, ``legacy``, :meth:`Cryptosuite.create_proof` and
:meth:`Cryptosuite.verify_proof`. The helpers below implement the parts of Data
Integrity EdDSA Cryptosuites v1.0 (W3C Recommendation 2025-05-15) common to its
suites: hashing (§3.2.4 / §3.3.4: ``SHA-256(proofConfig) || SHA-256(document)``),
serialisation with Ed25519 (§3.2.6) and verification (§3.2.7), and the proof
``@context`` rule of §3.3.2 step 4 (the secured document's ``@context`` must start
with the proof's ``@context``, which then replaces it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from microcred.errors import ProofError
from microcred.jsonld.protocols import DocumentLoader
from microcred.keys.ed25519 import verify_ed25519
from microcred.keys.protocols import Signer
from microcred.proof._encoding import ED25519_SIGNATURE_LENGTH
from microcred.proof._validation import ParsedProof, context_values
from microcred.proof.options import ProofOptions
from microcred.proof.results import ProofCheckError, ProofCode

__all__ = [
    "Canonizer",
    "Cryptosuite",
    "SigningInput",
    "apply_proof_context",
    "compute_signing_input",
    "sign_ed25519",
    "verify_ed25519_signature",
]


class Cryptosuite(Protocol):
    """A Data Integrity cryptosuite (one object per suite, built by the wiring)."""

    @property
    def name(self) -> str:
        """The ``cryptosuite`` identifier, or the proof type for legacy suites."""
        ...

    @property
    def proof_type(self) -> str:
        """The proof ``type`` this suite produces/accepts (``DataIntegrityProof``)."""
        ...

    @property
    def legacy(self) -> bool:
        """True for suites kept only to verify older credentials."""
        ...

    def create_proof(
        self, unsecured: Mapping[str, Any], options: ProofOptions, signer: Signer
    ) -> dict[str, Any]:
        """Return the proof object for ``unsecured`` (which it does not modify)."""
        ...

    def verify_proof(
        self, unsecured: Mapping[str, Any], proof: Mapping[str, Any], public_key: bytes
    ) -> bool:
        """Check ``proof`` over ``unsecured`` (the document as it was signed: without
        its proof set, or with only the proofs a chained proof references).

        Returns whether the signature matches; raises :class:`ProofError` (often a
        :class:`~microcred.proof.results.ProofCheckError` naming the failed check)
        when the proof is malformed or cannot apply to this document.
        """
        ...


class Canonizer(Protocol):
    """RDFC-1.0 canonicalisation as ``microcred.jsonld.processing.canonize`` offers it."""

    def __call__(
        self, document: Mapping[str, Any], loader: DocumentLoader, *, safe: bool = True
    ) -> str: ...


@dataclass(frozen=True)
class SigningInput:
    """Every intermediate value of §3.2.4 / §3.3.4 hashing, for tests and debugging."""

    canonical_document: bytes
    canonical_proof_config: bytes
    document_hash: bytes
    proof_hash: bytes

    @property
    def hash_data(self) -> bytes:
        """The 64 bytes that are signed: proof-config hash followed by document hash."""
        return self.proof_hash + self.document_hash


def compute_signing_input(canonical_document: bytes, canonical_proof_config: bytes) -> SigningInput:
    """Hash both canonical forms with SHA-256 (EdDSA Cryptosuites §3.2.4, §3.3.4)."""
    return SigningInput(
        canonical_document=canonical_document,
        canonical_proof_config=canonical_proof_config,
        document_hash=hashlib.sha256(canonical_document).digest(),
        proof_hash=hashlib.sha256(canonical_proof_config).digest(),
    )


def sign_ed25519(hash_data: bytes, signer: Signer, options: ProofOptions) -> bytes:
    """Proof serialisation (§3.2.6): Ed25519 over ``hash_data`` with the signer's key."""
    if signer.algorithm != "Ed25519":
        raise ProofError(
            f"The EdDSA cryptosuites need an Ed25519 key; this signer uses {signer.algorithm}."
        )
    if signer.verification_method != options.verification_method:
        raise ProofError(
            "The signer's key is "
            f"{signer.verification_method}, but the proof options name "
            f"{options.verification_method}; they must be the same key."
        )
    signature = signer.sign(hash_data)
    if len(signature) != ED25519_SIGNATURE_LENGTH:
        raise ProofError(f"The signer returned {len(signature)} bytes instead of 64.")
    return signature


def verify_ed25519_signature(public_key: bytes, hash_data: bytes, signature: bytes) -> bool:
    """Proof verification (§3.2.7): Ed25519 check of ``signature`` over ``hash_data``."""
    if len(public_key) != 32:
        raise ProofError(f"An Ed25519 public key has 32 bytes, not {len(public_key)}.")
    return verify_ed25519(public_key, hash_data, signature)


def apply_proof_context(unsecured: Mapping[str, Any], proof: ParsedProof) -> dict[str, Any]:
    """Apply the proof's ``@context`` to the document (EdDSA Cryptosuites §3.3.2 step 4).

    When the proof carries ``@context``, the document's ``@context`` must start with
    the same values in the same order, otherwise the proof was not made for this
    document: :class:`ProofCheckError` ``proof.context_mismatch``. The returned copy
    of the document then uses the proof's ``@context``.
    """
    document = dict(unsecured)
    if proof.context is None:
        return document
    if "@context" not in unsecured:
        raise ProofCheckError(
            ProofCode.CONTEXT_MISMATCH,
            "The proof names JSON-LD contexts but the document has no @context.",
        )
    doc_context = context_values(unsecured["@context"])
    if doc_context[: len(proof.context)] != proof.context:
        raise ProofCheckError(
            ProofCode.CONTEXT_MISMATCH,
            "The proof was made for a document whose @context starts with "
            f"{proof.context}, but this document's @context is {doc_context}.",
        )
    document["@context"] = proof.raw["@context"]
    return document
