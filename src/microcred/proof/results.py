"""Per-proof verification results and their stable codes.

:func:`microcred.proof.data_integrity.verify_proofs` returns one
:class:`ProofResult` per entry of a document's ``proof`` (Data Integrity 1.0 §4.5
"Verify Proof Sets and Chains" produces one verification result per proof). The
``code`` strings below are stable API: the verifier, the HTTP API and the docs key
on them; ``message`` is plain language for people who are not cryptographers.

A proof of a type that no registered cryptosuite handles (for example an anchor
proof such as ``MerkleAnchorProof2026``) is *not* a failure: its result has
``code == "proof.unsupported_type"``, ``verified == False`` and ``skipped == True``;
callers decide what to do with it (usually: ignore it, or hand it to another check).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from microcred.errors import ProofError

__all__ = ["ProofCheckError", "ProofCode", "ProofResult", "proofs_verified"]


class ProofCode:
    """The stable result codes (string constants)."""

    VERIFIED = "proof.verified"
    MALFORMED = "proof.malformed"
    UNSUPPORTED_TYPE = "proof.unsupported_type"
    UNKNOWN_CRYPTOSUITE = "proof.unknown_cryptosuite"
    PURPOSE_MISMATCH = "proof.purpose_mismatch"
    CHALLENGE_MISMATCH = "proof.challenge_mismatch"
    DOMAIN_MISMATCH = "proof.domain_mismatch"
    EXPIRED = "proof.expired"
    PREVIOUS_PROOF_MISSING = "proof.previous_proof_missing"
    PREVIOUS_PROOF_INVALID = "proof.previous_proof_invalid"
    KEY_NOT_FOUND = "proof.key_not_found"
    KEY_NOT_AUTHORISED = "proof.key_not_authorised"
    KEY_REVOKED_BEFORE_SIGNING = "proof.key_revoked_before_signing"
    KEY_EXPIRED_BEFORE_SIGNING = "proof.key_expired_before_signing"
    CONTROLLER_NOT_ISSUER = "proof.controller_not_issuer"
    CONTROLLER_NOT_HOLDER = "proof.controller_not_holder"
    CONTEXT_MISMATCH = "proof.context_mismatch"
    UNDEFINED_TERM = "proof.undefined_term"
    UNKNOWN_CONTEXT = "proof.unknown_context"
    DOCUMENT_INVALID = "proof.document_invalid"
    SIGNATURE_INVALID = "proof.signature_invalid"

    ALL: frozenset[str] = frozenset(
        {
            VERIFIED,
            MALFORMED,
            UNSUPPORTED_TYPE,
            UNKNOWN_CRYPTOSUITE,
            PURPOSE_MISMATCH,
            CHALLENGE_MISMATCH,
            DOMAIN_MISMATCH,
            EXPIRED,
            PREVIOUS_PROOF_MISSING,
            PREVIOUS_PROOF_INVALID,
            KEY_NOT_FOUND,
            KEY_NOT_AUTHORISED,
            KEY_REVOKED_BEFORE_SIGNING,
            KEY_EXPIRED_BEFORE_SIGNING,
            CONTROLLER_NOT_ISSUER,
            CONTROLLER_NOT_HOLDER,
            CONTEXT_MISMATCH,
            UNDEFINED_TERM,
            UNKNOWN_CONTEXT,
            DOCUMENT_INVALID,
            SIGNATURE_INVALID,
        }
    )


class ProofCheckError(ProofError):
    """A proof failed one named check; ``code`` is one of :class:`ProofCode`.

    Raised inside the proof package (cryptosuites, purposes) and turned into a
    :class:`ProofResult` by ``verify_proofs``; a caller using a cryptosuite directly
    sees it as an ordinary :class:`~microcred.errors.ProofError`.
    """

    def __init__(self, code: str, detail: str, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.code = code


@dataclass(frozen=True)
class ProofResult:
    """The outcome of checking one proof of a document.

    ``index`` is the position in the document's proof set (0 for a lone proof);
    ``created`` is the proof's own (signer-asserted) creation time when it could be
    read. ``skipped`` is true only for proofs this package does not verify at all
    (``proof.unsupported_type``): they neither pass nor fail the document.
    """

    index: int
    proof_id: str | None
    type: str | None
    cryptosuite: str | None
    verification_method: str | None
    proof_purpose: str | None
    created: datetime | None
    verified: bool
    code: str
    message: str
    legacy: bool = False
    skipped: bool = False

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (dates as ISO strings) for reports and the API."""
        return {
            "index": self.index,
            "proofId": self.proof_id,
            "type": self.type,
            "cryptosuite": self.cryptosuite,
            "verificationMethod": self.verification_method,
            "proofPurpose": self.proof_purpose,
            "created": self.created.isoformat() if self.created else None,
            "verified": self.verified,
            "code": self.code,
            "message": self.message,
            "legacy": self.legacy,
            "skipped": self.skipped,
        }


def proofs_verified(results: list[ProofResult]) -> bool:
    """True when at least one proof verified and every proof not skipped verified."""
    checked = [r for r in results if not r.skipped]
    return bool(checked) and all(r.verified for r in checked)
