"""1EdTech Open Badges 3.0 and CLR 2.0 eddsa-rdfc-2022 test vectors, byte for byte.

The verification method is an https URL (not a DID): the key is supplied through a
static map, as a verifier configured with the issuer's key would.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from di_testkit import (
    OB_VECTORS,
    jsonld_tools,
    read_json,
    require_standards,
    static_methods,
)

from microcred.did.dereference import VerificationMethod, VerificationMethodResolver
from microcred.keys.ed25519 import Ed25519KeyPair
from microcred.proof._encoding import encode_proof_value
from microcred.proof.cryptosuites.eddsa_rdfc_2022 import EddsaRdfc2022
from microcred.proof.data_integrity import add_proof, verify_proofs
from microcred.proof.options import ProofOptions
from microcred.proof.registry import CryptosuiteRegistry
from microcred.proof.results import ProofCode

VECTOR_SETS = ["obv3p0", "clrv2p0"]


@pytest.fixture(scope="module")
def rdfc() -> EddsaRdfc2022:
    require_standards()
    loader, canonize = jsonld_tools()
    return EddsaRdfc2022(loader, canonizer=canonize)


def _key(folder) -> tuple[Ed25519KeyPair, dict[str, Any]]:
    pair = read_json(folder / "keyPair.json")
    key = Ed25519KeyPair.from_seed(bytes.fromhex(pair["privateKeyHex"])[:32])
    assert key.public_bytes.hex() == pair["publicKeyHex"]
    assert key.public_key_multibase == pair["publicKeyMultibase"]
    return key, pair


def _methods(key: Ed25519KeyPair, pair: dict[str, Any]) -> VerificationMethodResolver:
    vm = pair["verificationMethod"]
    method = VerificationMethod.from_multikey(
        vm, pair["publicKeyMultibase"], controller=pair["controller"]
    )
    assert method.public_key == key.public_bytes
    return static_methods({vm: method})


@pytest.mark.parametrize("name", VECTOR_SETS)
def test_canonical_forms_hashes_and_signature(name: str, rdfc: EddsaRdfc2022) -> None:
    folder = OB_VECTORS / name
    key, pair = _key(folder)
    unsigned = read_json(folder / "unsigned.json")
    options = read_json(folder / "proofOptions.json")
    hashes = read_json(folder / "hashes.json")
    assert rdfc._transform(unsigned) == (folder / "document-canon.txt").read_bytes()
    canonical_config = rdfc._proof_configuration(unsigned, options)
    assert canonical_config == (folder / "proof-canon.txt").read_bytes()
    signing = rdfc._signing_input(unsigned, options)
    assert signing.document_hash.hex() == hashes["documentHashHex"]
    assert signing.proof_hash.hex() == hashes["proofHashHex"]
    assert signing.hash_data.hex() == hashes["dataToSignHex"]
    signature = key.signer(pair["verificationMethod"]).sign(signing.hash_data)
    assert signature.hex() == hashes["signatureHex"]
    assert encode_proof_value(signature) == hashes["proofValue"]


@pytest.mark.parametrize("name", VECTOR_SETS)
def test_signed_credential_is_reproduced(name: str, rdfc: EddsaRdfc2022) -> None:
    folder = OB_VECTORS / name
    key, pair = _key(folder)
    options = ProofOptions.from_json(read_json(folder / "proofOptions.json"))
    signed = add_proof(
        read_json(folder / "unsigned.json"),
        rdfc,
        options,
        key.signer(pair["verificationMethod"]),
    )
    expected = read_json(folder / "signed.json")
    if isinstance(expected["proof"], list):  # the CLR vector writes a one-proof set
        signed = {**signed, "proof": [signed["proof"]]}
    assert signed == expected
    assert json.dumps(signed, sort_keys=True) == json.dumps(expected, sort_keys=True)


@pytest.mark.parametrize("name", VECTOR_SETS)
def test_signed_credential_verifies_with_the_issuer_key(name: str, rdfc: EddsaRdfc2022) -> None:
    folder = OB_VECTORS / name
    key, pair = _key(folder)
    registry = CryptosuiteRegistry([rdfc])
    signed = read_json(folder / "signed.json")
    [result] = verify_proofs(signed, registry, _methods(key, pair))
    assert result.code == ProofCode.VERIFIED, result.message
    assert pair["controller"] in result.message

    signed["credentialSubject"]["id"] = "did:example:someone-else"
    [result] = verify_proofs(signed, registry, _methods(key, pair))
    assert result.code == ProofCode.SIGNATURE_INVALID


def _leaf_paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _leaf_paths(v, (*prefix, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _leaf_paths(v, (*prefix, i))]
    return [prefix]


def test_every_single_value_change_of_the_badge_is_detected(rdfc: EddsaRdfc2022) -> None:
    folder = OB_VECTORS / "obv3p0"
    key, pair = _key(folder)
    registry = CryptosuiteRegistry([rdfc])
    methods = _methods(key, pair)
    signed = read_json(folder / "signed.json")
    paths = [p for p in _leaf_paths(signed) if p[0] != "proof"]
    assert len(paths) >= 15
    for path in paths:
        changed = json.loads(json.dumps(signed))
        target = changed
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = f"{target[path[-1]]}x"
        [result] = verify_proofs(changed, registry, methods)
        assert not result.verified, f"change at {path} went unnoticed"
