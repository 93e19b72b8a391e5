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


_ABSENT: Any = object()
_RARE_MEMBERS = frozenset({"id", "challenge", "nonce", "expires", "domain", "previousProof"})


def _plain_strings(value: Any) -> tuple[str, ...] | None:
    """``domain``/``previousProof`` as :func:`_string_list` reads them, for exact types only;
    None for anything else (also for what it would refuse)."""
    if type(value) is str:
        return (value,) if value else None
    if type(value) is list and value:
        for item in value:
            if type(item) is not str or not item:
                return None
        return tuple(value)
    return None


def _parse_plain(
    proof: dict[str, Any], expected_type: str | None, expected_cryptosuite: str | None
) -> ParsedProof | None:
    """What :func:`parse_proof` returns for a proof of exact JSON types that passes every
    check; None for anything else (then the general code gives the result or the error).

    One look at each member and no exception on the way: this is the common case of
    :func:`~microcred.proof.data_integrity.verify_proofs`. It never accepts what the
    general code refuses (``tests/unit/proof/test_proof_validation_fast.py``).
    """
    get = proof.get
    proof_type = get("type")
    method = get("verificationMethod")
    purpose = get("proofPurpose")
    value = get("proofValue")
    if not (
        type(proof_type) is str
        and type(method) is str
        and type(purpose) is str
        and type(value) is str
        and proof_type.strip()
        and method.strip()
        and purpose.strip()
        and value.strip()
    ):
        return None
    if expected_type is not None and proof_type != expected_type:
        return None
    cryptosuite = get("cryptosuite", _ABSENT)
    if cryptosuite is _ABSENT:
        cryptosuite = None
    elif type(cryptosuite) is not str or not cryptosuite:
        return None
    if expected_cryptosuite is not None:
        if cryptosuite != expected_cryptosuite:
            return None
    elif expected_type is not None and cryptosuite is not None:
        return None
    created = get("created", _ABSENT)
    if created is _ABSENT:
        created = None
    elif type(created) is not str:
        return None
    else:
        try:
            created = parse_xml_datetime(created)
        except ValueError:
            return None
    if _RARE_MEMBERS.isdisjoint(proof):  # most proofs: one C-level look for all six
        ident = challenge = nonce = expires = domain = None
        previous: Any = ()
    else:
        ident = get("id", _ABSENT)
        if ident is _ABSENT:
            ident = None
        elif type(ident) is not str or not ident:
            return None
        challenge = get("challenge", _ABSENT)
        if challenge is _ABSENT:
            challenge = None
        elif type(challenge) is not str or not challenge:
            return None
        nonce = get("nonce", _ABSENT)
        if nonce is _ABSENT:
            nonce = None
        elif type(nonce) is not str or not nonce:
            return None
        expires = get("expires", _ABSENT)
        if expires is _ABSENT:
            expires = None
        elif type(expires) is not str:
            return None
        else:
            try:
                expires = parse_xml_datetime(expires)
            except ValueError:
                return None
        domain = get("domain", _ABSENT)
        if domain is not _ABSENT:
            domain = _plain_strings(domain)
            if domain is None:
                return None
        else:
            domain = None
        previous = get("previousProof", _ABSENT)
        if previous is not _ABSENT:
            previous = _plain_strings(previous)
            if previous is None:
                return None
        else:
            previous = ()
    context = get("@context", _ABSENT)
    if context is _ABSENT:
        context = None
    else:
        kind = type(context)
        if kind is list and context:
            context = list(context)
        elif kind is str or kind is dict:
            context = [context]
        else:
            return None
    try:
        signature = decode_proof_value(value)
    except ValueError:
        return None
    # a frozen dataclass's __init__ sets each of its 14 fields through object.__setattr__
    # (~3 µs); filling the instance dictionary at once gives the same object (~0.6 µs)
    parsed = object.__new__(ParsedProof)
    parsed.__dict__.update(
        raw=proof,
        type=proof_type,
        cryptosuite=cryptosuite,
        id=ident,
        verification_method=method,
        proof_purpose=purpose,
        signature=signature,
        created=created,
        expires=expires,
        challenge=challenge,
        domain=domain,
        nonce=nonce,
        previous_proof=previous,
        context=context,
    )
    return parsed


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
    if type(proof) is dict:
        parsed = _parse_plain(proof, expected_type, expected_cryptosuite)
        if parsed is not None:
            return parsed
    return _parse_general(proof, expected_type, expected_cryptosuite)


def _parse_general(
    proof: object, expected_type: str | None, expected_cryptosuite: str | None
) -> ParsedProof:
    """:func:`parse_proof` for any value: every check in turn, the first failure raised."""
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
