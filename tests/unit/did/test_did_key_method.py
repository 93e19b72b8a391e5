"""did:key creation, parsing and document expansion (without external vector files)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microcred.did.key import (
    DidKeyResolver,
    did_key_from_public,
    did_key_verification_method,
    parse_did_key,
    resolve_did_key,
)
from microcred.errors import DIDError
from microcred.keys.ed25519 import Ed25519KeyPair

DID = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
RAW = bytes.fromhex("b00d8d938e7f773d51565aad36a623f5344f7f5d1960f9cf3e8e12620ea2810f")


def test_did_from_public_key() -> None:
    assert did_key_from_public(RAW) == DID
    assert did_key_verification_method(RAW) == f"{DID}#{DID[8:]}"


@settings(max_examples=30)
@given(st.binary(min_size=32, max_size=32))
def test_parse_inverts_create(seed: bytes) -> None:
    raw = Ed25519KeyPair.from_seed(seed).public_bytes
    did = did_key_from_public(raw)
    parsed = parse_did_key(did)
    assert parsed.public_key == raw
    assert parsed.did == did
    assert parse_did_key(parsed.verification_method_id).fragment == parsed.public_key_multibase


def test_multikey_document_shape() -> None:
    doc = resolve_did_key(DID)
    vm_id = f"{DID}#{DID[8:]}"
    assert doc["@context"] == [
        "https://www.w3.org/ns/did/v1",
        "https://w3id.org/security/multikey/v1",
    ]
    assert doc["verificationMethod"] == [
        {"id": vm_id, "type": "Multikey", "controller": DID, "publicKeyMultibase": DID[8:]}
    ]
    for rel in (
        "authentication",
        "assertionMethod",
        "capabilityInvocation",
        "capabilityDelegation",
    ):
        assert doc[rel] == [vm_id]
    assert "keyAgreement" not in doc


def test_documents_are_fresh_objects() -> None:
    doc = resolve_did_key(DID)
    doc["verificationMethod"].clear()
    assert resolve_did_key(DID)["verificationMethod"]


def test_multikey_with_key_agreement() -> None:
    doc = resolve_did_key(DID, enable_encryption_key_derivation=True)
    assert len(doc["verificationMethod"]) == 2
    agreement = doc["verificationMethod"][1]
    assert agreement["type"] == "Multikey"
    assert agreement["publicKeyMultibase"].startswith("z6LS")
    assert doc["keyAgreement"] == [agreement["id"]]
    assert agreement["id"] == f"{DID}#{agreement['publicKeyMultibase']}"
    # the derived key's fragment is a valid did:key URL fragment too
    assert parse_did_key(agreement["id"]).fragment == agreement["publicKeyMultibase"]


def test_ed25519_2020_format() -> None:
    doc = resolve_did_key(
        DID, public_key_format="Ed25519VerificationKey2020", enable_encryption_key_derivation=True
    )
    assert doc["@context"][1:] == [
        "https://w3id.org/security/suites/ed25519-2020/v1",
        "https://w3id.org/security/suites/x25519-2020/v1",
    ]
    assert doc["verificationMethod"][0]["type"] == "Ed25519VerificationKey2020"
    assert doc["verificationMethod"][0]["publicKeyMultibase"] == DID[8:]
    assert doc["verificationMethod"][1]["type"] == "X25519KeyAgreementKey2020"


def test_jwk_format() -> None:
    doc = resolve_did_key(DID, public_key_format="JsonWebKey2020")
    jwk = doc["verificationMethod"][0]["publicKeyJwk"]
    assert jwk == {
        "crv": "Ed25519",
        "kty": "OKP",
        "x": "sA2Nk45_dz1RVlqtNqYj9TRPf10ZYPnPPo4SYg6igQ8",
    }


def test_unknown_format() -> None:
    with pytest.raises(DIDError, match="not supported") as info:
        resolve_did_key(DID, public_key_format="RsaVerificationKey2018")
    assert info.value.extra["code"] == "unsupportedPublicKeyType"
    with pytest.raises(DIDError):
        DidKeyResolver(public_key_format="nope")


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("did:web:example.com", "methodNotSupported"),
        (DID + "/path", "invalidDidUrl"),
        (DID + "?query=1", "invalidDidUrl"),
        ("did:key:1:" + DID[8:], "invalidDid"),
        ("did:key:z", "invalidDid"),
    ],
)
def test_rejections(value: str, code: str) -> None:
    with pytest.raises(DIDError) as info:
        parse_did_key(value)
    assert info.value.extra["code"] == code


def test_resolve_wants_a_did_not_a_url() -> None:
    with pytest.raises(DIDError, match="is a DID URL"):
        resolve_did_key(f"{DID}#{DID[8:]}")


def test_resolver_object() -> None:
    assert DidKeyResolver().resolve(DID) == resolve_did_key(DID)


def test_context_constants_match_the_jsonld_package() -> None:
    urls = pytest.importorskip("microcred.jsonld.urls")
    from microcred.did import contexts

    for name in ("DID_V1", "MULTIKEY_V1"):
        if hasattr(urls, name):
            assert getattr(urls, name) == getattr(contexts, name)
