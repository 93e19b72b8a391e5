"""did:key conformance against ../shared/standards/did-key/ (skipped when absent).

* ``ed25519-x25519.json`` (w3c-ccg/did-method-key test vectors): for each seed, the Ed25519 key,
  the derived X25519 key-agreement key (public and private) and the full DID document in the
  Ed25519VerificationKey2018 / X25519KeyAgreementKey2019 representation.
* ``multikey-did-document-vc-di-eddsa-key.json``: the Multikey DID document of the vc-di-eddsa
  key, and six invalid did:key strings that must each be rejected with a clear reason.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import base58
import nacl.bindings
import pytest

from microcred.did.dereference import VerificationMethodResolver
from microcred.did.key import DidKeyResolver, did_key_from_public, parse_did_key, resolve_did_key
from microcred.did.resolver import CompositeResolver
from microcred.errors import DIDError
from microcred.keys.ed25519 import Ed25519KeyPair, verify_ed25519
from microcred.keys.multikey import decode_public_multikey

STANDARDS = Path(__file__).resolve().parents[2].parent / "shared" / "standards"
DID_KEY_DIR = STANDARDS / "did-key"


def _load(name: str) -> Any:
    path = DID_KEY_DIR / name
    if not path.is_file():
        pytest.skip(f"{path} is not available")
    return json.loads(path.read_text(encoding="utf-8"))


def _ccg_cases() -> list[str]:
    path = DID_KEY_DIR / "ed25519-x25519.json"
    if not path.is_file():
        return ["<missing>"]
    return list(json.loads(path.read_text(encoding="utf-8")))


def _invalid_cases() -> list[Any]:
    path = DID_KEY_DIR / "multikey-did-document-vc-di-eddsa-key.json"
    if not path.is_file():
        return [pytest.param("<missing>", "", id="missing")]
    vector = json.loads(path.read_text(encoding="utf-8"))
    return [
        pytest.param(case["did"], case["error"], id=f"invalid-{i}-{case['error'].split(' ')[0]}")
        for i, case in enumerate(vector["invalid"])
    ]


@pytest.mark.parametrize("did", _ccg_cases())
def test_ccg_ed25519_x25519_vector(did: str) -> None:
    vector = _load("ed25519-x25519.json")[did]
    pair = Ed25519KeyPair.from_seed(bytes.fromhex(vector["seed"]))
    signing = vector["verificationKeyPair"]
    agreement = vector["keyAgreementKeyPair"]

    # the DID is derived from the seed's public key
    assert did_key_from_public(pair.public_bytes) == did
    assert base58.b58encode(pair.public_bytes).decode() == signing["publicKeyBase58"]
    assert signing["id"] == "#" + did.removeprefix("did:key:")
    assert parse_did_key(did).public_key == pair.public_bytes

    # X25519 key agreement: public key by our birational map, private key cross-checked
    assert base58.b58encode(pair.x25519_public_bytes).decode() == agreement["publicKeyBase58"]
    expanded = nacl.bindings.crypto_sign_seed_keypair(bytes.fromhex(vector["seed"]))[1]
    x25519_private = nacl.bindings.crypto_sign_ed25519_sk_to_curve25519(expanded)
    assert base58.b58encode(x25519_private).decode() == agreement["privateKeyBase58"]
    assert nacl.bindings.crypto_scalarmult_base(x25519_private) == pair.x25519_public_bytes

    # the full document, in the vector's 2018/2019 representation, byte for byte as JSON
    document = resolve_did_key(
        did,
        public_key_format="Ed25519VerificationKey2018",
        enable_encryption_key_derivation=True,
    )
    assert document == vector["didDocument"]
    assert json.dumps(document, sort_keys=True) == json.dumps(vector["didDocument"], sort_keys=True)

    # the other representations carry the same key bytes
    multikey = resolve_did_key(did, enable_encryption_key_derivation=True)
    assert decode_public_multikey(multikey["verificationMethod"][0]["publicKeyMultibase"]) == (
        pair.public_bytes
    )
    assert multikey["keyAgreement"][0] == f"{did}{agreement['id']}"


def test_multikey_document_of_the_vc_di_eddsa_key() -> None:
    vector = _load("multikey-did-document-vc-di-eddsa-key.json")
    raw = bytes.fromhex(vector["rawPublicKeyHex"])
    assert did_key_from_public(raw) == vector["did"]
    assert decode_public_multikey(vector["publicKeyMultibase"]) == raw
    document = resolve_did_key(vector["did"])
    assert document == vector["didDocument"]

    resolver = VerificationMethodResolver(CompositeResolver({"key": DidKeyResolver()}))
    method = resolver.resolve(vector["verificationMethodId"], "assertionMethod")
    assert method.public_key == raw
    assert method.controller == vector["did"]

    key_pair = _load_vc_di_eddsa_key_pair()
    if key_pair is not None:
        pair = Ed25519KeyPair.from_secret_multibase(key_pair["privateKeyMultibase"])
        assert pair.public_key_multibase == vector["publicKeyMultibase"]
        signer = pair.signer(vector["verificationMethodId"])
        assert verify_ed25519(method.public_key, b"conformance", signer.sign(b"conformance"))


def _load_vc_di_eddsa_key_pair() -> dict[str, str] | None:
    path = STANDARDS / "vc-di-eddsa" / "TestVectors" / "keyPair.json"
    if not path.is_file():
        return None
    data: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize(("did", "expected"), _invalid_cases())
def test_invalid_did_key_is_rejected_with_a_reason(did: str, expected: str) -> None:
    _load("multikey-did-document-vc-di-eddsa-key.json")
    with pytest.raises(DIDError) as info:
        parse_did_key(did)
    reason = f"{info.value.extra.get('code')}: {info.value.detail}"
    print(f"\n{did}\n  expected: {expected}\n  ours:     {reason}")
    # the spec error name the vector gives (when it gives one) is the one we report
    spec_code = expected.split(" ", 1)[0]
    if spec_code in ("invalidDid", "invalidPublicKeyLength"):
        assert info.value.extra["code"] == spec_code
    elif "multicodec" in expected:
        assert info.value.extra["code"] == "unsupportedPublicKeyType"
        assert "0xee" in info.value.detail and "0xed" in info.value.detail
    else:
        assert info.value.extra["code"] == "invalidDidUrl"
        assert "fragment" in info.value.detail
    if "#" not in did:
        with pytest.raises(DIDError):
            resolve_did_key(did)
    else:
        resolver = VerificationMethodResolver(CompositeResolver({"key": DidKeyResolver()}))
        with pytest.raises(DIDError, match="does not name the DID's key"):
            resolver.resolve(did)
