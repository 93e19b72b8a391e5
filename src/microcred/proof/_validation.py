"""Strict structural validation of a proof object before it is used.

Data Integrity 1.0 §2.1 (Proofs) and §4.4 (Verify Proof, step 3): ``type``,
``verificationMethod`` and ``proofPurpose`` must exist; ``created``/``expires`` are
``dateTimeStamp`` strings; for the EdDSA suites ``proofValue`` is a base58-btc
Multibase 64-byte signature (EdDSA Cryptosuites v1.0 §3.2.2 step 3). Anything else
raises :class:`~microcred.proof.results.ProofCheckError` with code
``proof.malformed`` and a message that names the offending member.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from microcred.proof._datetime import parse_xml_datetime
from microcred.proof._encoding import decode_proof_value
from microcred.proof.results import ProofCheckError, ProofCode

__all__ = ["ParsedProof", "context_values", "parse_proof"]


@dataclass(frozen=True)
class ParsedProof:
    """A validated proof; ``raw`` is the original JSON object."""

    raw: Mapping[str, Any]
    type: str
    cryptosuite: str | None
    id: str | None
    verification_method: str
    proof_purpose: str
    signature: bytes
    created: datetime | None
    expires: datetime | None
    challenge: str | None
    domain: tuple[str, ...] | None
    nonce: str | None
    previous_proof: tuple[str, ...]
    context: list[Any] | None


def _malformed(message: str) -> ProofCheckError:
    return ProofCheckError(ProofCode.MALFORMED, message)


def _required_string(proof: Mapping[str, Any], key: str) -> str:
    if key not in proof:
        raise _malformed(f"The proof has no {key}.")
    value = proof[key]
    if not isinstance(value, str) or not value.strip():
        raise _malformed(f"The proof's {key} must be a non-empty string.")
    return value


def _optional_string(proof: Mapping[str, Any], key: str) -> str | None:
    if key not in proof:
        return None
    value = proof[key]
    if not isinstance(value, str) or not value:
        raise _malformed(f"The proof's {key} must be a non-empty string.")
    return value


def _string_list(proof: Mapping[str, Any], key: str) -> tuple[str, ...] | None:
    if key not in proof:
        return None
    value = proof[key]
    if isinstance(value, str) and value:
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
        return tuple(value)
    raise _malformed(f"The proof's {key} must be a string or a non-empty list of strings.")


def _datetime(proof: Mapping[str, Any], key: str) -> datetime | None:
    if key not in proof:
        return None
    value = proof[key]
    if not isinstance(value, str):
        raise _malformed(f"The proof's {key} must be a date-time string.")
    try:
        return parse_xml_datetime(value)
    except ValueError as exc:
        raise _malformed(f"The proof's {key} is not a valid date-time: {exc}.") from None


def context_values(context: object) -> list[Any]:
    """An ``@context`` value as a list (a lone string or object becomes one item)."""
    if isinstance(context, list):
        return list(context)
    return [context]


def parse_proof(
    proof: object,
    *,
    expected_type: str | None = None,
    expected_cryptosuite: str | None = None,
) -> ParsedProof:
    """Validate ``proof`` and return its typed form, or raise ``proof.malformed``.

    With ``expected_type``/``expected_cryptosuite`` the proof must also carry exactly
    those values (a cryptosuite object must only accept its own proofs).
    """
    if not isinstance(proof, Mapping):
        raise _malformed("The proof must be a JSON object.")
    proof_type = _required_string(proof, "type")
    if expected_type is not None and proof_type != expected_type:
        raise _malformed(f"The proof type is {proof_type!r}, expected {expected_type!r}.")
    cryptosuite = _optional_string(proof, "cryptosuite")
    if expected_cryptosuite is not None and cryptosuite != expected_cryptosuite:
        found = "no cryptosuite" if cryptosuite is None else f"cryptosuite {cryptosuite!r}"
        raise _malformed(f"The proof has {found}, expected {expected_cryptosuite!r}.")
    if expected_type is not None and expected_cryptosuite is None and cryptosuite is not None:
        raise _malformed(f"A {proof_type} proof must not have a cryptosuite.")
    verification_method = _required_string(proof, "verificationMethod")
    proof_purpose = _required_string(proof, "proofPurpose")
    proof_value = _required_string(proof, "proofValue")
    try:
        signature = decode_proof_value(proof_value)
    except ValueError as exc:
        raise _malformed(f"The proof's proofValue is not usable: {exc}.") from None
    context = proof.get("@context")
    if "@context" in proof and not (
        isinstance(context, str | dict) or (isinstance(context, list) and context)
    ):
        raise _malformed("The proof's @context must be a string, an object or a list.")
    previous = _string_list(proof, "previousProof")
    return ParsedProof(
        raw=proof,
        type=proof_type,
        cryptosuite=cryptosuite,
        id=_optional_string(proof, "id"),
        verification_method=verification_method,
        proof_purpose=proof_purpose,
        signature=signature,
        created=_datetime(proof, "created"),
        expires=_datetime(proof, "expires"),
        challenge=_optional_string(proof, "challenge"),
        domain=_string_list(proof, "domain"),
        nonce=_optional_string(proof, "nonce"),
        previous_proof=previous or (),
        context=context_values(context) if "@context" in proof else None,
    )
