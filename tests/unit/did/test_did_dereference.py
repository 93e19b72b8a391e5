"""Verification method dereferencing: purposes, relative ids, key types, revocation times."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import base58
import pytest

from microcred.did.dereference import (
    VerificationMethod,
    VerificationMethodResolver,
    parse_timestamp,
    verification_method_from_document,
)
from microcred.did.key import DidKeyResolver
from microcred.did.resolver import CompositeResolver, HostedDIDResolver
from microcred.did.web import DidWebKey, build_did_web_document
from microcred.errors import DIDError, DIDNotFoundError, ProofError, UnsupportedError
from microcred.keys.ed25519 import Ed25519KeyPair

PAIR = Ed25519KeyPair.from_seed(bytes(range(32)))
OLD = Ed25519KeyPair.from_seed(bytes(range(1, 33)))
MB = PAIR.public_key_multibase
DID_KEY = f"did:key:{MB}"
WEB = "did:web:example.edu:issuers:acme"
ROTATED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _web_doc() -> dict[str, Any]:
    return build_did_web_document(
        WEB,
        [DidWebKey("key-2", PAIR.public_key_multibase)],
        [DidWebKey("key-1", OLD.public_key_multibase, revoked=ROTATED)],
    )


def _resolver(documents: dict[str, dict[str, Any]] | None = None) -> VerificationMethodResolver:
    docs = documents if documents is not None else {WEB: _web_doc()}
    return VerificationMethodResolver(
        CompositeResolver({"key": DidKeyResolver(), "web": HostedDIDResolver(docs)})
    )


def test_did_key_method() -> None:
    vm = _resolver().resolve(f"{DID_KEY}#{MB}")
    assert vm == VerificationMethod(
        id=f"{DID_KEY}#{MB}", type="Multikey", controller=DID_KEY, public_key=PAIR.public_bytes
    )
    assert vm.public_key_multibase == MB
    assert vm.revoked is None
    for purpose in ("authentication", "capabilityInvocation", "capabilityDelegation"):
        assert _resolver().resolve(f"{DID_KEY}#{MB}", purpose).public_key == PAIR.public_bytes


def test_did_key_mismatched_fragment_names_the_reason() -> None:
    other = Ed25519KeyPair.from_seed(bytes(32)).public_key_multibase
    with pytest.raises(DIDError, match="does not name the DID's key"):
        _resolver().resolve(f"{DID_KEY}#{other}")


def test_did_key_agreement_key_is_not_an_assertion_key() -> None:
    resolver = VerificationMethodResolver(
        CompositeResolver({"key": DidKeyResolver(enable_encryption_key_derivation=True)})
    )
    doc = resolver._resolver.resolve(DID_KEY)  # type: ignore[union-attr]
    agreement_id = doc["keyAgreement"][0]
    with pytest.raises(ProofError, match="not authorised for assertionMethod"):
        resolver.resolve(agreement_id)


def test_did_web_current_and_past_keys() -> None:
    current = _resolver().resolve(f"{WEB}#key-2")
    assert current.public_key == PAIR.public_bytes and current.revoked is None
    past = _resolver().resolve(f"{WEB}#key-1")
    assert past.public_key == OLD.public_bytes
    assert past.revoked == ROTATED
    # past keys may still verify assertions made before ROTATED, but never authenticate
    with pytest.raises(ProofError, match="not authorised for authentication"):
        _resolver().resolve(f"{WEB}#key-1", "authentication")


def test_did_web_rotated_key_carries_its_expiry_not_a_revocation() -> None:
    document = build_did_web_document(
        WEB,
        [DidWebKey("key-2", PAIR.public_key_multibase)],
        [DidWebKey("key-1", OLD.public_key_multibase, expires=ROTATED)],
    )
    past = _resolver({WEB: document}).resolve(f"{WEB}#key-1")
    assert (past.expires, past.revoked) == (ROTATED, None)
    assert past.public_key == OLD.public_bytes


def test_missing_method_and_missing_did() -> None:
    with pytest.raises(DIDNotFoundError, match="key-9 is not in the DID document"):
        _resolver().resolve(f"{WEB}#key-9")
    with pytest.raises(DIDNotFoundError, match="not hosted here"):
        _resolver().resolve("did:web:unknown.example#k")


def test_not_listed_under_purpose() -> None:
    doc = _web_doc()
    doc["assertionMethod"] = []
    with pytest.raises(
        ProofError, match=f"key {WEB}#key-2 is not authorised for assertionMethod"
    ) as info:
        _resolver({WEB: doc}).resolve(f"{WEB}#key-2")
    assert info.value.type_uri.endswith("INVALID_RELATIONSHIP_FOR_VERIFICATION_METHOD")


def test_relative_ids_and_embedded_methods() -> None:
    doc: dict[str, Any] = {
        "id": WEB,
        "verificationMethod": [
            {"id": "#a", "type": "Multikey", "controller": WEB, "publicKeyMultibase": MB}
        ],
        "assertionMethod": [
            "#a",
            {
                "id": "#b",
                "type": "Multikey",
                "controller": WEB,
                "publicKeyMultibase": OLD.public_key_multibase,
            },
        ],
    }
    resolver = _resolver({WEB: doc})
    assert resolver.resolve(f"{WEB}#a").public_key == PAIR.public_bytes
    assert resolver.resolve(f"{WEB}#b").public_key == OLD.public_bytes
    with pytest.raises(ProofError, match="not authorised for authentication"):
        resolver.resolve(f"{WEB}#b", "authentication")


def test_controller_must_be_the_document() -> None:
    doc = _web_doc()
    doc["verificationMethod"][0]["controller"] = "did:web:attacker.example"
    with pytest.raises(ProofError, match="controlled by 'did:web:attacker.example'"):
        _resolver({WEB: doc}).resolve(f"{WEB}#key-2")


def test_document_id_must_match() -> None:
    doc = _web_doc()
    with pytest.raises(ProofError, match="has id"):
        verification_method_from_document(doc, "did:web:other.example#key-2")


def test_url_without_fragment_and_unknown_purpose() -> None:
    with pytest.raises(ProofError, match="no #fragment"):
        _resolver().resolve(WEB)
    with pytest.raises(ProofError, match="unknown proof purpose"):
        _resolver().resolve(f"{WEB}#key-2", "signing")
    with pytest.raises(ProofError, match="no verificationMethod"):
        _resolver().resolve("")


def _doc_with(method: dict[str, Any]) -> dict[str, Any]:
    method = {"id": f"{WEB}#k", "controller": WEB, **method}
    return {"id": WEB, "verificationMethod": [method], "assertionMethod": [f"{WEB}#k"]}


@pytest.mark.parametrize(
    "method",
    [
        {"type": "Ed25519VerificationKey2020", "publicKeyMultibase": MB},
        {
            "type": "Ed25519VerificationKey2018",
            "publicKeyBase58": base58.b58encode(PAIR.public_bytes).decode(),
        },
        {
            "type": "JsonWebKey2020",
            "publicKeyJwk": {
                "kty": "OKP",
                "crv": "Ed25519",
                "x": "A6EHv_POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg",
            },
        },
        {
            "type": "JsonWebKey",
            "publicKeyJwk": {
                "kty": "OKP",
                "crv": "Ed25519",
                "x": "A6EHv_POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg",
            },
        },
    ],
)
def test_legacy_key_representations(method: dict[str, Any]) -> None:
    vm = verification_method_from_document(_doc_with(method), f"{WEB}#k")
    assert vm.public_key == PAIR.public_bytes
    assert vm.type == method["type"]


@pytest.mark.parametrize(
    ("method", "error", "reason"),
    [
        (
            {"type": "EcdsaSecp256k1VerificationKey2019", "publicKeyHex": "02"},
            UnsupportedError,
            "only Ed25519",
        ),
        (
            {
                "type": "Multikey",
                "publicKeyMultibase": "zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169",
            },
            DIDError,
            "malformed key",
        ),
        ({"type": "Multikey"}, DIDError, "publicKeyMultibase is missing"),
        ({"type": "Ed25519VerificationKey2018", "publicKeyBase58": "abc"}, DIDError, "3-byte key"),
        (
            {"type": "JsonWebKey2020", "publicKeyJwk": {"kty": "OKP", "crv": "X25519", "x": "AA"}},
            UnsupportedError,
            "X25519",
        ),
        (
            {"type": "JsonWebKey2020", "publicKeyJwk": {"kty": "EC", "crv": "P-256"}},
            DIDError,
            "OKP",
        ),
        (
            {
                "type": "JsonWebKey2020",
                "publicKeyJwk": {
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "x": "A6EHv_POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg",
                    "d": "secret",
                },
            },
            DIDError,
            "private key",
        ),
        (
            {"type": "Multikey", "publicKeyMultibase": MB, "revoked": "2026-01-01"},
            DIDError,
            "timezone",
        ),
        ({"type": "Multikey", "publicKeyMultibase": MB, "expires": 5}, DIDError, "timezone"),
    ],
)
def test_bad_methods(method: dict[str, Any], error: type[Exception], reason: str) -> None:
    with pytest.raises(error, match=reason):
        verification_method_from_document(_doc_with(method), f"{WEB}#k")


def test_expires_is_returned() -> None:
    vm = verification_method_from_document(
        _doc_with(
            {"type": "Multikey", "publicKeyMultibase": MB, "expires": "2030-01-01T00:00:00+01:00"}
        ),
        f"{WEB}#k",
    )
    assert vm.expires == datetime(2029, 12, 31, 23, 0, tzinfo=UTC)


def test_static_methods_and_controller_documents() -> None:
    vm_url = f"https://example.edu/issuers/565049#{MB}"
    static = VerificationMethod.from_multikey(vm_url, MB)
    assert static.controller == "https://example.edu/issuers/565049"
    resolver = VerificationMethodResolver(None, static_methods={vm_url: static})
    assert resolver.resolve(vm_url) is static
    with pytest.raises(DIDNotFoundError, match="no controller document is known"):
        resolver.resolve("https://example.edu/other#k")
    with pytest.raises(DIDNotFoundError, match="no DID resolver"):
        resolver.resolve(f"{WEB}#key-2")

    controller = "https://example.edu/issuers/565049"
    doc = {
        "id": controller,
        "verificationMethod": [
            {"id": vm_url, "type": "Multikey", "controller": controller, "publicKeyMultibase": MB}
        ],
        "assertionMethod": [vm_url],
    }
    by_document = VerificationMethodResolver(None, controller_documents={controller: doc})
    assert by_document.resolve(vm_url).public_key == PAIR.public_bytes
    with pytest.raises(ProofError, match="not authorised for authentication"):
        by_document.resolve(vm_url, "authentication")


def test_resolution_does_not_mutate_hosted_documents() -> None:
    docs = {WEB: _web_doc()}
    snapshot = copy.deepcopy(docs)
    _resolver(docs).resolve(f"{WEB}#key-1")
    assert docs == snapshot


def test_parse_timestamp() -> None:
    assert parse_timestamp("2026-03-01T12:00:00Z", "x") == ROTATED
    assert parse_timestamp("2026-03-01T12:00:00.5+00:00", "x").microsecond == 500000
    with pytest.raises(DIDError):
        parse_timestamp("2026-13-01T12:00:00Z", "x")
