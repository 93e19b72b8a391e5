"""Dereferencing a verification method URL to an Ed25519 public key.

Implements W3C *Controlled Identifiers v1.0* §3.3 "Retrieve Verification Method" (used by Data
Integrity 1.0 §4.2 "Verify Proof"):

1. the identifier must be a URL with a fragment;
2. resolve the controller document (the DID, or a static controller document for https URLs);
3. its ``id`` must equal the URL without fragment;
4. find the verification method (top-level ``verificationMethod`` or embedded in a
   relationship), absolute or relative (``#key-1``) ids alike;
5. its ``controller`` must be the controller document;
6. it must be listed — by reference or embedded — under the requested relationship
   (``assertionMethod``, ``authentication``, ...), otherwise ``ProofError``;
7. decode the Ed25519 key: ``Multikey`` or ``Ed25519VerificationKey2020`` (``publicKeyMultibase``
   with the 0xed01 prefix), ``Ed25519VerificationKey2018`` (``publicKeyBase58``), or
   ``JsonWebKey2020``/``JsonWebKey`` (OKP, crv Ed25519).

``revoked`` / ``expires`` are returned, not judged: the verifier compares them with the proof's
``created`` time (a key rotated out stays valid for proofs made before its ``revoked`` time).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import base58

from microcred.did.key import parse_did_key
from microcred.did.protocols import DIDDocument, DIDResolver
from microcred.errors import (
    DIDError,
    DIDNotFoundError,
    InvalidInput,
    ProofError,
    UnsupportedError,
)
from microcred.keys.multikey import decode_public_multikey, encode_public_multikey

__all__ = [
    "RELATIONSHIPS",
    "VerificationMethod",
    "VerificationMethodResolver",
    "parse_timestamp",
    "verification_method_from_document",
]

_SEC = "https://w3id.org/security#"
RELATIONSHIPS: Final = (
    "assertionMethod",
    "authentication",
    "capabilityInvocation",
    "capabilityDelegation",
    "keyAgreement",
)
_ED25519_TYPES: Final = frozenset(
    {
        "Multikey",
        "Ed25519VerificationKey2020",
        "Ed25519VerificationKey2018",
        "JsonWebKey2020",
        "JsonWebKey",
    }
)
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


@dataclass(frozen=True, slots=True)
class VerificationMethod:
    """An Ed25519 verification method, reduced to what a verifier needs.

    ``public_key`` is the raw 32-byte Ed25519 key; ``revoked`` / ``expires`` are tz-aware
    datetimes when the document gives them.
    """

    id: str
    type: str
    controller: str
    public_key: bytes
    revoked: datetime | None = None
    expires: datetime | None = None

    @property
    def public_key_multibase(self) -> str:
        return encode_public_multikey(self.public_key)

    @classmethod
    def from_multikey(
        cls,
        vm_id: str,
        public_key_multibase: str,
        *,
        controller: str | None = None,
        revoked: datetime | None = None,
    ) -> VerificationMethod:
        """A Multikey method from its id and ``publicKeyMultibase`` (static maps, tests)."""
        return cls(
            id=vm_id,
            type="Multikey",
            controller=controller if controller is not None else vm_id.split("#", 1)[0],
            public_key=decode_public_multikey(public_key_multibase),
            revoked=revoked,
        )


def parse_timestamp(value: object, what: str) -> datetime:
    """Parse an XML Schema ``dateTimeStamp`` (timezone required) into an aware datetime."""
    if not isinstance(value, str) or not _TIMESTAMP.fullmatch(value):
        raise DIDError(f"{what} must be a date-time with a timezone, got {value!r}")
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise DIDError(f"{what} is not a valid date-time: {value!r}") from exc


def _absolute(base: str, value: object) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    if value.startswith("#"):
        return base + value
    return value


def _candidates(document: DIDDocument) -> Iterator[Mapping[str, Any]]:
    methods = document.get("verificationMethod", [])
    if isinstance(methods, list):
        yield from (m for m in methods if isinstance(m, Mapping))
    for relationship in RELATIONSHIPS:
        entries = document.get(relationship, [])
        if isinstance(entries, list):
            yield from (m for m in entries if isinstance(m, Mapping))


def _b64url_decode(value: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]*", value):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _public_key(method: Mapping[str, Any], vm_id: str) -> bytes:
    vm_type = method.get("type")
    if vm_type not in _ED25519_TYPES:
        raise UnsupportedError(
            f"verification method {vm_id} has type {vm_type!r}; only Ed25519 keys "
            "(Multikey, Ed25519VerificationKey2020/2018, JsonWebKey OKP) are supported",
            type_uri=_SEC + "INVALID_VERIFICATION_METHOD",
        )
    try:
        if vm_type in ("Multikey", "Ed25519VerificationKey2020"):
            multibase = method.get("publicKeyMultibase")
            if not isinstance(multibase, str):
                raise ValueError("publicKeyMultibase is missing")
            return decode_public_multikey(multibase)
        if vm_type == "Ed25519VerificationKey2018":
            value = method.get("publicKeyBase58")
            if not isinstance(value, str):
                raise ValueError("publicKeyBase58 is missing")
            raw = bytes(base58.b58decode(value))
        else:
            jwk = method.get("publicKeyJwk")
            if not isinstance(jwk, Mapping) or jwk.get("kty") != "OKP":
                raise ValueError("publicKeyJwk must be an OKP key")
            if jwk.get("crv") != "Ed25519":
                raise UnsupportedError(
                    f"verification method {vm_id} is a {jwk.get('crv')!r} JWK; only Ed25519"
                )
            if "d" in jwk:
                raise ValueError("publicKeyJwk contains a private key ('d')")
            raw = _b64url_decode(str(jwk.get("x", "")))
    except InvalidInput as exc:
        if isinstance(exc, UnsupportedError):
            raise
        raise DIDError(
            f"verification method {vm_id} has a malformed key: {exc.detail}",
            type_uri=_SEC + "INVALID_VERIFICATION_METHOD",
        ) from exc
    except (ValueError, binascii.Error) as exc:
        raise DIDError(
            f"verification method {vm_id} has a malformed key: {exc}",
            type_uri=_SEC + "INVALID_VERIFICATION_METHOD",
        ) from exc
    if len(raw) != 32:
        raise DIDError(
            f"verification method {vm_id} has a {len(raw)}-byte key; Ed25519 keys are 32 bytes",
            type_uri=_SEC + "INVALID_VERIFICATION_METHOD",
        )
    return raw


def verification_method_from_document(
    document: DIDDocument, vm_url: str, purpose: str = "assertionMethod"
) -> VerificationMethod:
    """Steps 3-7 of the algorithm on an already resolved controller document."""
    if purpose not in RELATIONSHIPS:
        raise ProofError(
            f"unknown proof purpose {purpose!r}; expected one of {', '.join(RELATIONSHIPS)}"
        )
    base, _, fragment = vm_url.partition("#")
    if not fragment:
        raise ProofError(
            f"{vm_url!r} is not a verification method URL (it has no #fragment)",
            type_uri=_SEC + "INVALID_VERIFICATION_METHOD_URL",
        )
    if document.get("id") != base:
        raise ProofError(
            f"the controller document for {vm_url} has id {document.get('id')!r}, not {base!r}",
            type_uri=_SEC + "INVALID_CONTROLLED_IDENTIFIER_DOCUMENT_ID",
        )
    found: Mapping[str, Any] | None = None
    for candidate in _candidates(document):
        if _absolute(base, candidate.get("id")) == vm_url:
            found = candidate
            break
    if found is None:
        raise DIDNotFoundError(
            f"verification method {vm_url} is not in the DID document of {base}",
            code="verificationMethodNotFound",
        )
    controller = _absolute(base, found.get("controller"))
    if controller != base:
        raise ProofError(
            f"verification method {vm_url} is controlled by {found.get('controller')!r}, "
            f"not by {base}",
            type_uri=_SEC + "INVALID_VERIFICATION_METHOD",
        )
    listed = document.get(purpose, [])
    authorised = isinstance(listed, list) and any(
        _absolute(base, entry if isinstance(entry, str) else entry.get("id")) == vm_url
        for entry in listed
        if isinstance(entry, str | Mapping)
    )
    if not authorised:
        raise ProofError(
            f"key {vm_url} is not authorised for {purpose} by {base} "
            f"(it is not listed under {purpose} in the DID document)",
            type_uri=_SEC + "INVALID_RELATIONSHIP_FOR_VERIFICATION_METHOD",
        )
    public_key = _public_key(found, vm_url)
    revoked = found.get("revoked")
    expires = found.get("expires")
    return VerificationMethod(
        id=vm_url,
        type=str(found.get("type")),
        controller=base,
        public_key=public_key,
        revoked=None if revoked is None else parse_timestamp(revoked, f"{vm_url} revoked"),
        expires=None if expires is None else parse_timestamp(expires, f"{vm_url} expires"),
    )


class VerificationMethodResolver:
    """Dereferences verification method URLs (``did:...#frag`` or static https URLs).

    :param resolver: resolves DIDs (e.g. a :class:`~microcred.did.resolver.CompositeResolver`);
        may be ``None`` when only static entries are used.
    :param static_methods: ``{vm_url: VerificationMethod}`` for keys supplied out of band
        (e.g. the https verification methods of test vectors). These are trusted as given: no
        relationship check is possible without a controller document.
    :param controller_documents: ``{url: controller document}`` for non-DID controllers; these
        go through the full algorithm, including the relationship check.
    """

    def __init__(
        self,
        resolver: DIDResolver | None,
        static_methods: Mapping[str, VerificationMethod] | None = None,
        controller_documents: Mapping[str, DIDDocument] | None = None,
    ) -> None:
        self._resolver = resolver
        self._static = dict(static_methods or {})
        self._documents = dict(controller_documents or {})

    def resolve(self, vm_url: str, purpose: str = "assertionMethod") -> VerificationMethod:
        """The verification method ``vm_url``, checked for ``purpose``.

        Raises ``DIDNotFoundError`` when the DID or the method cannot be found, ``ProofError``
        when the method is not authorised for ``purpose`` (or is controlled by someone else),
        ``DIDError`` for a malformed DID / key, ``UnsupportedError`` for non-Ed25519 keys.
        """
        if not isinstance(vm_url, str) or not vm_url:
            raise ProofError(
                "the proof has no verificationMethod URL",
                type_uri=_SEC + "INVALID_VERIFICATION_METHOD_URL",
            )
        static = self._static.get(vm_url)
        if static is not None:
            return static
        base = vm_url.partition("#")[0]
        if base in self._documents:
            return verification_method_from_document(self._documents[base], vm_url, purpose)
        if not base.startswith("did:"):
            raise DIDNotFoundError(
                f"no controller document is known for {base!r} (only DIDs are resolved; "
                "supply https controllers as static methods or controller documents)",
                code="notFound",
            )
        if base.startswith("did:key:"):
            parse_did_key(vm_url)  # precise reason for a malformed key or a mismatched fragment
        if self._resolver is None:
            raise DIDNotFoundError(f"no DID resolver configured for {base}", code="notFound")
        document = self._resolver.resolve(base)
        return verification_method_from_document(document, vm_url, purpose)
