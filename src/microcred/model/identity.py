"""Learner identity objects and salted identity hashes (Open Badges 3.0).

OB 3.0 section "IdentityObject" and derived type "IdentityHash": an identity hash is an
algorithm identifier, a ``$`` separator and the hexadecimal hash of the identifier with the
salt appended, both UTF-8 encoded; ``sha256`` and ``md5`` are the only algorithms. For
example ``sha256$b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399`` is the
SHA-256 of ``'a@example.comKosher'`` (identifier ``a@example.com``, salt ``Kosher``).

We only *create* ``sha256`` hashes; ``md5`` is accepted when reading and checking.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, model_validator

from microcred.errors import InvalidInput
from microcred.model.base import StrictModel
from microcred.model.types import enum_ext

__all__ = [
    "IDENTIFIER_TYPES",
    "IdentityObject",
    "hash_email",
    "hash_identity",
    "identity_hash",
    "identity_matches",
    "normalize_email",
]

#: OB 3.0 IdentifierTypeEnum (extensible with ``ext:...``).
IDENTIFIER_TYPES = (
    "name",
    "sourcedId",
    "systemId",
    "productId",
    "userName",
    "accountId",
    "emailAddress",
    "nationalIdentityNumber",
    "isbn",
    "issn",
    "lisSourcedId",
    "oneRosterSourcedId",
    "sisSourcedId",
    "ltiContextId",
    "ltiDeploymentId",
    "ltiToolId",
    "ltiPlatformId",
    "ltiUserId",
    "identifier",
)

IdentifierType = Annotated[str, AfterValidator(enum_ext(IDENTIFIER_TYPES, "identifier type"))]

_HASH = re.compile(r"^(?P<alg>sha256|md5)\$(?P<hex>[0-9a-fA-F]+)$")
_HEX_LENGTH = {"sha256": 64, "md5": 32}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def identity_hash(value: str, salt: str = "", *, algorithm: Literal["sha256"] = "sha256") -> str:
    """``"sha256$" + hex(sha256(value + salt))`` over UTF-8 bytes."""
    if algorithm != "sha256":
        raise InvalidInput("only sha256 identity hashes are created")
    digest = hashlib.sha256((value + salt).encode("utf-8")).hexdigest()
    return f"sha256${digest}"


def normalize_email(email: str) -> str:
    """The form of an e-mail address that we hash: surrounding blanks removed, lower case.

    The same normalisation is applied when a learner later proves the address
    (:func:`identity_matches`), so ``Ana@Uni.EU`` and ``ana@uni.eu`` match.
    """
    value = email.strip().lower()
    if not _EMAIL.match(value):
        raise InvalidInput(f"{email!r} is not an e-mail address")
    return value


class IdentityObject(StrictModel):
    """A (usually hashed) identifier of the learner, used instead of or besides a DID."""

    type: Literal["IdentityObject"] = "IdentityObject"
    hashed: bool
    identity_hash: str
    identity_type: IdentifierType
    salt: str | None = None

    @model_validator(mode="after")
    def _hash_shape(self) -> Self:
        if self.hashed:
            m = _HASH.match(self.identity_hash)
            if not m or len(m["hex"]) != _HEX_LENGTH[m["alg"]]:
                raise ValueError(
                    "identityHash must look like 'sha256$<64 hex digits>' (or 'md5$<32 hex "
                    "digits>') when hashed is true"
                )
        elif not self.identity_hash.strip():
            raise ValueError("identityHash must not be empty")
        return self


def hash_identity(
    value: str, identity_type: str, *, salt: str | None = None, nbytes: int = 16
) -> IdentityObject:
    """A hashed :class:`IdentityObject` for ``value``.

    ``salt`` defaults to ``nbytes`` random bytes as hex (from :mod:`secrets`); pass one to
    get a reproducible result.
    """
    if not value:
        raise InvalidInput("the identity value must not be empty")
    if salt is None:
        salt = secrets.token_hex(nbytes)
    return IdentityObject(
        hashed=True,
        identity_hash=identity_hash(value, salt),
        identity_type=identity_type,
        salt=salt,
    )


def hash_email(email: str, *, salt: str | None = None) -> IdentityObject:
    """A hashed ``emailAddress`` identity for a learner (address normalised first)."""
    return hash_identity(normalize_email(email), "emailAddress", salt=salt)


def identity_matches(identity: IdentityObject, value: str) -> bool:
    """Whether ``value`` is the identifier that ``identity`` names (constant-time compare).

    For ``emailAddress`` identities the normalised address is tried as well as the raw one.
    """
    candidates = [value]
    if identity.identity_type == "emailAddress":
        try:
            normalized = normalize_email(value)
        except InvalidInput:
            normalized = None
        if normalized is not None and normalized != value:
            candidates.append(normalized)
    if not identity.hashed:
        return any(hmac.compare_digest(c, identity.identity_hash) for c in candidates)
    m = _HASH.match(identity.identity_hash)
    if not m:
        return False
    salt = identity.salt or ""
    expected = m["hex"].lower()
    for c in candidates:
        data = (c + salt).encode("utf-8")
        if m["alg"] == "sha256":
            digest = hashlib.sha256(data).hexdigest()
        else:
            digest = hashlib.md5(data, usedforsecurity=False).hexdigest()
        if hmac.compare_digest(digest, expected):
            return True
    return False
