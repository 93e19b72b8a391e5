"""The did:key method for Ed25519 keys.

Implements the *did:key Method* specification (W3C CCG, v0.7+), section 3.1 "Create" and its
algorithms: "Document Creation Algorithm", "Signature Method Creation Algorithm", "Encryption
Method Creation Algorithm" (X25519 key agreement derived from the Ed25519 key) and "Context
Creation Algorithm"; section 3.2 "Read" (resolution is the same expansion).

Only Ed25519 keys (multicodec ``ed25519-pub`` 0xed, 32 bytes) are accepted. Validation errors
are :class:`~microcred.errors.DIDError` whose ``extra["code"]`` is the spec's error name
(``invalidDid``, ``invalidPublicKeyLength``, ``unsupportedPublicKeyType``, ``invalidDidUrl``,
``methodNotSupported``).

Public key formats (the ``publicKeyFormat`` option):

* ``"Multikey"`` (default; what eddsa-rdfc-2022 / eddsa-jcs-2022 verifiers need);
* ``"Ed25519VerificationKey2020"`` (``publicKeyMultibase``, X25519KeyAgreementKey2020);
* ``"JsonWebKey2020"`` (``publicKeyJwk`` OKP / Ed25519 and X25519);
* ``"Ed25519VerificationKey2018"`` (``publicKeyBase58``, X25519KeyAgreementKey2019) — an older
  format that the current spec lists only as experimental; supported to reproduce the CCG test
  vectors (``test-vectors/ed25519-x25519.json``).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any, Final

import base58

from microcred.did.contexts import (
    DID_V1,
    ED25519_2018_V1,
    ED25519_2020_V1,
    JWS_2020_V1,
    MULTIKEY_V1,
    X25519_2019_V1,
    X25519_2020_V1,
)
from microcred.did.protocols import DIDDocument
from microcred.did.syntax import parse_did_url
from microcred.errors import DIDError, InvalidInput
from microcred.keys.ed25519 import ed25519_public_to_x25519
from microcred.keys.multikey import (
    decode_public_multikey,
    encode_public_multikey,
    encode_x25519_public_multikey,
)

__all__ = [
    "PUBLIC_KEY_FORMATS",
    "DidKeyResolver",
    "ParsedDidKey",
    "did_key_from_public",
    "did_key_verification_method",
    "parse_did_key",
    "resolve_did_key",
]

PUBLIC_KEY_FORMATS: Final = (
    "Multikey",
    "Ed25519VerificationKey2020",
    "JsonWebKey2020",
    "Ed25519VerificationKey2018",
)

_SIGNATURE_RELATIONSHIPS = (
    "authentication",
    "assertionMethod",
    "capabilityDelegation",
    "capabilityInvocation",
)


@dataclass(frozen=True, slots=True)
class ParsedDidKey:
    """A validated did:key (or did:key URL)."""

    did: str
    public_key_multibase: str
    public_key: bytes
    fragment: str | None = None

    @property
    def verification_method_id(self) -> str:
        """The id of the Ed25519 verification method: ``did:key:z...#z...``."""
        return f"{self.did}#{self.public_key_multibase}"


def did_key_from_public(raw: bytes) -> str:
    """``did:key:z6Mk...`` for a raw 32-byte Ed25519 public key."""
    try:
        return "did:key:" + encode_public_multikey(raw)
    except InvalidInput as exc:
        raise DIDError(exc.detail, code=exc.extra.get("code", "invalidPublicKeyLength")) from exc


def did_key_verification_method(raw: bytes) -> str:
    """The verification method URL (``did:key:z6Mk...#z6Mk...``) of a raw Ed25519 public key."""
    did = did_key_from_public(raw)
    return f"{did}#{did[len('did:key:') :]}"


def parse_did_key(did_or_url: str) -> ParsedDidKey:
    """Validate a did:key DID or DID URL; raises ``DIDError`` with a precise reason.

    A fragment, if any, must name a key of this DID: the Ed25519 key itself (``#z6Mk...``, same
    value as the DID) or the X25519 key derived from it (``#z6LS...``).
    """
    url = parse_did_url(did_or_url)
    if url.method != "key":
        raise DIDError(
            f"{url.did!r} is not a did:key (method {url.method!r})", code="methodNotSupported"
        )
    if url.path or url.query is not None:
        raise DIDError(f"{did_or_url!r}: did:key URLs have no path or query", code="invalidDidUrl")
    multibase = url.method_specific_id
    if ":" in multibase:
        raise DIDError(
            f"{url.did!r} is not a valid did:key: expected did:key:z<base58btc key> "
            "(versioned did:key identifiers are not supported)",
            code="invalidDid",
        )
    try:
        raw = decode_public_multikey(multibase)
    except InvalidInput as exc:
        raise DIDError(
            f"{url.did!r} is not a valid did:key: {exc.detail}",
            code=exc.extra.get("code", "invalidDid"),
        ) from exc
    fragment = url.fragment
    if fragment is not None and fragment != multibase:
        derived = _x25519_multibase(raw, url.did)
        if fragment != derived:
            raise DIDError(
                f"{did_or_url!r}: the verificationMethod fragment #{fragment} does not name "
                f"the DID's key (expected #{multibase}, or #{derived} for key agreement)",
                code="invalidDidUrl",
            )
    return ParsedDidKey(
        did=url.did, public_key_multibase=multibase, public_key=raw, fragment=fragment
    )


def _x25519_multibase(raw: bytes, did: str) -> str:
    try:
        return encode_x25519_public_multikey(ed25519_public_to_x25519(raw))
    except InvalidInput as exc:
        raise DIDError(
            f"{did!r}: the key is not a valid Ed25519 point, so no X25519 key can be derived",
            code="invalidPublicKey",
        ) from exc


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _signature_method(parsed: ParsedDidKey, fmt: str) -> dict[str, Any]:
    method: dict[str, Any] = {
        "id": parsed.verification_method_id,
        "type": fmt,
        "controller": parsed.did,
    }
    if fmt in ("Multikey", "Ed25519VerificationKey2020"):
        method["publicKeyMultibase"] = parsed.public_key_multibase
    elif fmt == "Ed25519VerificationKey2018":
        method["publicKeyBase58"] = base58.b58encode(parsed.public_key).decode("ascii")
    else:  # JsonWebKey2020
        method["publicKeyJwk"] = {"crv": "Ed25519", "kty": "OKP", "x": _b64url(parsed.public_key)}
    return method


_ENCRYPTION_TYPES = {
    "Multikey": "Multikey",
    "Ed25519VerificationKey2020": "X25519KeyAgreementKey2020",
    "Ed25519VerificationKey2018": "X25519KeyAgreementKey2019",
    "JsonWebKey2020": "JsonWebKey2020",
}


def _encryption_method(parsed: ParsedDidKey, fmt: str) -> dict[str, Any]:
    x25519_raw = ed25519_public_to_x25519(parsed.public_key)
    multibase = encode_x25519_public_multikey(x25519_raw)
    method: dict[str, Any] = {
        "id": f"{parsed.did}#{multibase}",
        "type": _ENCRYPTION_TYPES[fmt],
        "controller": parsed.did,
    }
    if fmt in ("Multikey", "Ed25519VerificationKey2020"):
        method["publicKeyMultibase"] = multibase
    elif fmt == "Ed25519VerificationKey2018":
        method["publicKeyBase58"] = base58.b58encode(x25519_raw).decode("ascii")
    else:
        method["publicKeyJwk"] = {"crv": "X25519", "kty": "OKP", "x": _b64url(x25519_raw)}
    return method


def _contexts(fmt: str, encryption: bool) -> list[str]:
    if fmt == "Multikey":
        return [DID_V1, MULTIKEY_V1]
    if fmt == "Ed25519VerificationKey2020":
        return [DID_V1, ED25519_2020_V1] + ([X25519_2020_V1] if encryption else [])
    if fmt == "Ed25519VerificationKey2018":
        return [DID_V1, ED25519_2018_V1] + ([X25519_2019_V1] if encryption else [])
    return [DID_V1, JWS_2020_V1]


def resolve_did_key(
    did: str,
    *,
    public_key_format: str = "Multikey",
    enable_encryption_key_derivation: bool = False,
) -> DIDDocument:
    """Expand a did:key into its DID document (a new dict on every call).

    ``did`` must be a DID, not a DID URL. With ``enable_encryption_key_derivation`` the document
    also lists the X25519 key-agreement key derived from the Ed25519 key.
    """
    if public_key_format not in PUBLIC_KEY_FORMATS:
        raise DIDError(
            f"public key format {public_key_format!r} is not supported; "
            f"use one of {', '.join(PUBLIC_KEY_FORMATS)}",
            code="unsupportedPublicKeyType",
        )
    parsed = parse_did_key(did)
    if parsed.fragment is not None:
        raise DIDError(
            f"{did!r} is a DID URL; resolve the DID {parsed.did!r} and dereference the fragment",
            code="invalidDid",
        )
    signing = _signature_method(parsed, public_key_format)
    document: DIDDocument = {
        "@context": _contexts(public_key_format, enable_encryption_key_derivation),
        "id": parsed.did,
        "verificationMethod": [signing],
    }
    for relationship in _SIGNATURE_RELATIONSHIPS:
        document[relationship] = [signing["id"]]
    if enable_encryption_key_derivation:
        try:
            encryption = _encryption_method(parsed, public_key_format)
        except InvalidInput as exc:
            raise DIDError(
                f"{did!r}: the key is not a valid Ed25519 point, so no X25519 key can be derived",
                code="invalidPublicKey",
            ) from exc
        document["verificationMethod"].append(encryption)
        document["keyAgreement"] = [encryption["id"]]
    return document


class DidKeyResolver:
    """:class:`~microcred.did.protocols.DIDResolver` for did:key (pure computation)."""

    def __init__(
        self,
        *,
        public_key_format: str = "Multikey",
        enable_encryption_key_derivation: bool = False,
    ) -> None:
        if public_key_format not in PUBLIC_KEY_FORMATS:
            raise DIDError(
                f"public key format {public_key_format!r} is not supported",
                code="unsupportedPublicKeyType",
            )
        self._format = public_key_format
        self._derive = enable_encryption_key_derivation

    def resolve(self, did: str) -> DIDDocument:
        return resolve_did_key(
            did,
            public_key_format=self._format,
            enable_encryption_key_derivation=self._derive,
        )

    def __repr__(self) -> str:
        return f"DidKeyResolver(public_key_format={self._format!r})"
