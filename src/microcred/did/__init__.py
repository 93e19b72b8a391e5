"""DIDs: did:key and did:web behind one :class:`~microcred.did.protocols.DIDResolver` protocol,
and dereferencing of verification methods to Ed25519 public keys."""

from microcred.did.dereference import VerificationMethod, VerificationMethodResolver
from microcred.did.key import DidKeyResolver, did_key_from_public, parse_did_key, resolve_did_key
from microcred.did.protocols import DIDDocument, DIDResolver
from microcred.did.resolver import (
    CompositeResolver,
    FallbackResolver,
    HostedDIDResolver,
    HttpsDidWebResolver,
)
from microcred.did.web import (
    DidWebKey,
    build_did_web_document,
    did_web_to_url,
    url_to_did_web,
)

__all__ = [
    "CompositeResolver",
    "DIDDocument",
    "DIDResolver",
    "DidKeyResolver",
    "DidWebKey",
    "FallbackResolver",
    "HostedDIDResolver",
    "HttpsDidWebResolver",
    "VerificationMethod",
    "VerificationMethodResolver",
    "build_did_web_document",
    "did_key_from_public",
    "did_web_to_url",
    "parse_did_key",
    "resolve_did_key",
    "url_to_did_web",
]
