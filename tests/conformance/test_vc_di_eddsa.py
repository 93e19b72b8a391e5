"""W3C Data Integrity EdDSA Cryptosuites v1.0 test vectors, byte for byte.

Every intermediate value of the published vectors (canonical document, canonical
proof configuration, document hash, proof hash, combined hash, signature in hex and
base58-btc) and the final signed documents are reproduced by signing with the
vector's key and ``created``; the signed documents then verify end to end.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from di_testkit import (
    VECTORS,
    did_key_methods,
    jsonld_tools,
    read_json,
    read_text,
    require_standards,
    static_methods,
)

from microcred.did.dereference import VerificationMethod, VerificationMethodResolver
from microcred.errors import ProofError, UnsupportedError
from microcred.keys.ed25519 import Ed25519KeyPair
from microcred.proof._encoding import decode_proof_value, encode_proof_value
from microcred.proof.cryptosuites.base import compute_signing_input
from microcred.proof.cryptosuites.ed25519_signature_2020 import Ed25519Signature2020
from microcred.proof.cryptosuites.eddsa_jcs_2022 import EddsaJcs2022
from microcred.proof.cryptosuites.eddsa_rdfc_2022 import EddsaRdfc2022
from microcred.proof.data_integrity import _signing_document, add_proof, verify_proofs
from microcred.proof.options import ProofOptions
from microcred.proof.purposes import AssertionMethodPurpose, AuthenticationPurpose
from microcred.proof.registry import CryptosuiteRegistry
from microcred.proof.results import ProofCode, proofs_verified

pytestmark = pytest.mark.usefixtures("standards")

NO_ISSUER_CHECK = AssertionMethodPurpose(require_issuer_controller=False)


@pytest.fixture(scope="module")
def standards() -> None:
    require_standards()


@pytest.fixture(scope="module")
def tools() -> tuple[Any, Any]:
    return jsonld_tools()


@pytest.fixture(scope="module")
def rdfc(tools) -> EddsaRdfc2022:
    loader, canonize = tools
    return EddsaRdfc2022(loader, canonizer=canonize)


@pytest.fixture(scope="module")
def legacy(tools) -> Ed25519Signature2020:
    loader, canonize = tools
    return Ed25519Signature2020(loader, canonizer=canonize)


@pytest.fixture(scope="module")
def registry(rdfc, legacy) -> CryptosuiteRegistry:
    return CryptosuiteRegistry([rdfc, EddsaJcs2022(), legacy])


@pytest.fixture(scope="module")
def key() -> Ed25519KeyPair:
    return Ed25519KeyPair.from_secret_multibase(
        read_json(VECTORS / "keyPair.json")["privateKeyMultibase"]
    )


@pytest.fixture(scope="module")
def methods() -> VerificationMethodResolver:
    return did_key_methods()


def _vm(key: Ed25519KeyPair) -> str:
    mb = key.public_key_multibase
    return f"did:key:{mb}#{mb}"


def _hex(path) -> str:
    return read_text(path).strip()


def _same_json_text(document: dict[str, Any], path) -> None:
    """The document equals the file as JSON and serialises to exactly its bytes."""
    text = read_text(path)
    assert document == json.loads(text)
    assert json.dumps(document, indent=2, ensure_ascii=False) == text.rstrip("\n")


def test_vector_key_pair_matches_public_key(key) -> None:
    assert key.public_key_multibase == read_json(VECTORS / "keyPair.json")["publicKeyMultibase"]


# ---------------------------------------------------------------- eddsa-rdfc-2022
RDFC = VECTORS / "eddsa-rdfc-2022"


def test_rdfc_canonical_document(rdfc) -> None:
    canonical = rdfc._transform(read_json(VECTORS / "unsigned.json"))
    assert canonical == (RDFC / "canonDocDataInt.txt").read_bytes()


def test_rdfc_canonical_proof_configuration(rdfc) -> None:
    options = ProofOptions.from_json(read_json(RDFC / "proofConfigDataInt.json"))
    config = rdfc._proof_configuration(read_json(VECTORS / "unsigned.json"), options.to_json())
    assert config == (RDFC / "proofCanonDataInt.txt").read_bytes()


def test_rdfc_hashes_and_signature(rdfc, key) -> None:
    options = ProofOptions.from_json(read_json(RDFC / "proofConfigDataInt.json"))
    signing = rdfc._signing_input(read_json(VECTORS / "unsigned.json"), options.to_json())
    assert signing.document_hash.hex() == _hex(RDFC / "docHashDataInt.txt")
    assert signing.proof_hash.hex() == _hex(RDFC / "proofHashDataInt.txt")
    assert signing.hash_data.hex() == _hex(RDFC / "combinedHashDataInt.txt")
    signature = key.signer(_vm(key)).sign(signing.hash_data)
    assert signature.hex() == _hex(RDFC / "sigHexDataInt.txt")
    assert encode_proof_value(signature) == _hex(RDFC / "sigBTC58DataInt.txt")


def test_rdfc_signed_document_is_reproduced_exactly(rdfc, key) -> None:
    options = ProofOptions(
        cryptosuite="eddsa-rdfc-2022",
        verification_method=_vm(key),
        created=datetime(2023, 2, 24, 23, 36, 38, tzinfo=UTC),
    )
    signed = add_proof(read_json(VECTORS / "unsigned.json"), rdfc, options, key.signer(_vm(key)))
    _same_json_text(signed, RDFC / "signedDataInt.json")


def test_rdfc_signed_document_verifies(rdfc, registry, methods, key) -> None:
    signed = read_json(RDFC / "signedDataInt.json")
    unsecured = {k: v for k, v in signed.items() if k != "proof"}
    assert rdfc.verify_proof(unsecured, signed["proof"], key.public_bytes) is True
    [result] = verify_proofs(signed, registry, methods, purpose=NO_ISSUER_CHECK)
    assert (result.code, result.verified, result.legacy) == (ProofCode.VERIFIED, True, False)
    assert result.cryptosuite == "eddsa-rdfc-2022"
    assert result.created == datetime(2023, 2, 24, 23, 36, 38, tzinfo=UTC)


def test_rdfc_vector_key_is_not_the_issuers(registry, methods) -> None:
    # The vector signs with a did:key while naming https://vc.example/issuers/5678 as
    # issuer: with the default assertion purpose that mismatch is reported.
    [result] = verify_proofs(read_json(RDFC / "signedDataInt.json"), registry, methods)
    assert result.code == ProofCode.CONTROLLER_NOT_ISSUER
    assert "https://vc.example/issuers/5678" in result.message


# ---------------------------------------------------------------- employ/ (hash chain only)
EMPLOY = RDFC / "employ"


def test_employ_canon_hash_signature_chain(key) -> None:
    signing = compute_signing_input(
        (EMPLOY / "canonDocDataInt.txt").read_bytes(),
        (EMPLOY / "proofCanonDataInt.txt").read_bytes(),
    )
    assert signing.document_hash.hex() == _hex(EMPLOY / "docHashDataInt.txt")
    assert signing.proof_hash.hex() == _hex(EMPLOY / "proofHashDataInt.txt")
    assert signing.hash_data.hex() == _hex(EMPLOY / "combinedHashDataInt.txt")
    signature = key.signer(_vm(key)).sign(signing.hash_data)
    assert signature.hex() == _hex(EMPLOY / "sigHexDataInt.txt")
    assert encode_proof_value(signature) == _hex(EMPLOY / "sigBTC58DataInt.txt")
    proof_value = read_json(EMPLOY / "signedDataInt.json")["proof"]["proofValue"]
    assert decode_proof_value(proof_value) == signature


# ---------------------------------------------------------------- eddsa-jcs-2022
JCS = VECTORS / "eddsa-jcs-2022"


def test_jcs_intermediates(key) -> None:
    suite = EddsaJcs2022()
    unsigned = read_json(VECTORS / "unsigned.json")
    assert suite._transform(unsigned) == (JCS / "canonDocJCS.txt").read_bytes()
    config = read_json(JCS / "proofConfigJCS.json")
    assert suite._proof_configuration(config) == (JCS / "proofCanonJCS.txt").read_bytes()
    signing = suite._signing_input(unsigned, config)
    assert signing.document_hash.hex() == _hex(JCS / "docHashJCS.txt")
    assert signing.proof_hash.hex() == _hex(JCS / "proofHashJCS.txt")
    assert signing.hash_data.hex() == _hex(JCS / "combinedHashJCS.txt")
    signature = key.signer(_vm(key)).sign(signing.hash_data)
    assert signature.hex() == _hex(JCS / "sigHexJCS.txt")
    assert encode_proof_value(signature) == _hex(JCS / "sigBTC58JCS.txt")


def test_jcs_signed_document_is_reproduced_exactly(key) -> None:
    options = ProofOptions.from_json(read_json(JCS / "proofConfigJCS.json"))
    signed = add_proof(
        read_json(VECTORS / "unsigned.json"), EddsaJcs2022(), options, key.signer(_vm(key))
    )
    _same_json_text(signed, JCS / "signedJCS.json")


def test_jcs_signed_document_verifies(registry, methods) -> None:
    [result] = verify_proofs(
        read_json(JCS / "signedJCS.json"), registry, methods, purpose=NO_ISSUER_CHECK
    )
    assert result.code == ProofCode.VERIFIED
    assert result.cryptosuite == "eddsa-jcs-2022"


def test_jcs_proof_context_must_prefix_document_context(registry, methods) -> None:
    signed = read_json(JCS / "signedJCS.json")
    signed["@context"] = list(reversed(signed["@context"]))
    [result] = verify_proofs(signed, registry, methods, purpose=NO_ISSUER_CHECK)
    assert result.code == ProofCode.CONTEXT_MISMATCH
    # A document that gained a context after signing still verifies (spec §3.3.2 step 4).
    grown = read_json(JCS / "signedJCS.json")
    grown["@context"] = [*grown["@context"], "https://w3id.org/security/data-integrity/v2"]
    [result] = verify_proofs(grown, registry, methods, purpose=NO_ISSUER_CHECK)
    assert result.code == ProofCode.VERIFIED


# ---------------------------------------------------------------- proof sets and chains
CHAIN = VECTORS / "proof-set-chain"


@pytest.fixture(scope="module")
def chain_keys() -> dict[str, Ed25519KeyPair]:
    pairs = read_json(CHAIN / "multiKeyPairs.json")
    return {
        name: Ed25519KeyPair.from_secret_multibase(pair["privateKeyMultibase"])
        for name, pair in pairs.items()
    }


def _add(document, rdfc, config_file, key):
    options = ProofOptions.from_json(read_json(CHAIN / config_file))
    return add_proof(document, rdfc, options, key.signer(options.verification_method))


def test_chain_key_pairs_match(chain_keys) -> None:
    pairs = read_json(CHAIN / "multiKeyPairs.json")
    for name, key in chain_keys.items():
        assert key.public_key_multibase == pairs[name]["publicKeyMultibase"]


def test_proof_set_and_chain_reproduced_exactly(rdfc, chain_keys) -> None:
    unsigned = read_json(CHAIN / "unsigned.json")
    set1 = _add(unsigned, rdfc, "proofSetConfig1.json", chain_keys["keyPair1"])
    _same_json_text(set1, CHAIN / "signedProofSet1.json")
    assert set1["proof"] == read_json(CHAIN / "proofSetConfigSigned1.json")

    set2 = _add(set1, rdfc, "proofSetConfig2.json", chain_keys["keyPair2"])
    _same_json_text(set2, CHAIN / "signedProofSet2.json")
    assert set2["proof"][1] == read_json(CHAIN / "proofSetConfigSigned2.json")

    options1 = ProofOptions.from_json(read_json(CHAIN / "proofChainConfig1.json"))
    temp1 = _signing_document(set2, set2["proof"], options1.previous_proof_ids)
    _same_json_text(temp1, CHAIN / "proofChainTempDoc1.json")
    chain1 = _add(set2, rdfc, "proofChainConfig1.json", chain_keys["keyPair3"])
    _same_json_text(chain1, CHAIN / "signedProofChain1.json")
    assert chain1["proof"][2] == read_json(CHAIN / "proofChainConfigSigned1.json")

    options2 = ProofOptions.from_json(read_json(CHAIN / "proofChainConfig2.json"))
    temp2 = _signing_document(chain1, chain1["proof"], options2.previous_proof_ids)
    _same_json_text(temp2, CHAIN / "proofChainTempDoc2.json")
    chain2 = _add(chain1, rdfc, "proofChainConfig2.json", chain_keys["keyPair4"])
    _same_json_text(chain2, CHAIN / "signedProofChain2.json")
    assert chain2["proof"][3] == read_json(CHAIN / "proofChainConfigSigned2.json")


@pytest.fixture(scope="module")
def chain_methods() -> VerificationMethodResolver:
    return did_key_methods()


def test_proof_chain_verifies(registry, chain_methods) -> None:
    results = verify_proofs(
        read_json(CHAIN / "signedProofChain2.json"),
        registry,
        chain_methods,
        purpose=NO_ISSUER_CHECK,
    )
    assert [r.code for r in results] == [ProofCode.VERIFIED] * 4
    assert [r.index for r in results] == [0, 1, 2, 3]
    assert results[2].proof_id == "urn:uuid:d94f792a-c546-4d06-b38a-da070ab56c23"
    assert proofs_verified(results)


def test_tampered_first_proof_breaks_the_chain_above_it(registry, chain_methods) -> None:
    signed = read_json(CHAIN / "signedProofChain2.json")
    signed["proof"][0]["created"] = "2023-02-24T23:36:39Z"
    codes = [
        r.code for r in verify_proofs(signed, registry, chain_methods, purpose=NO_ISSUER_CHECK)
    ]
    # Proof 0 no longer matches; proof 2 signed proof 0 as it was; proof 3 signed only
    # proof 2 (still intact) but builds on a proof that failed.
    assert codes == [
        ProofCode.SIGNATURE_INVALID,
        ProofCode.VERIFIED,
        ProofCode.SIGNATURE_INVALID,
        ProofCode.PREVIOUS_PROOF_INVALID,
    ]


def test_removed_previous_proof_is_reported(registry, chain_methods) -> None:
    signed = read_json(CHAIN / "signedProofChain2.json")
    del signed["proof"][2]
    results = verify_proofs(signed, registry, chain_methods, purpose=NO_ISSUER_CHECK)
    assert [r.code for r in results] == [
        ProofCode.VERIFIED,
        ProofCode.VERIFIED,
        ProofCode.PREVIOUS_PROOF_MISSING,
    ]
    assert not proofs_verified(results)


def test_chaining_to_an_unknown_proof_id_is_refused(rdfc, chain_keys) -> None:
    options = ProofOptions(
        cryptosuite="eddsa-rdfc-2022",
        verification_method=_vm(chain_keys["keyPair3"]),
        created=datetime(2023, 2, 26, tzinfo=UTC),
        previous_proof="urn:uuid:not-there",
    )
    with pytest.raises(ProofError, match="urn:uuid:not-there"):
        add_proof(
            read_json(CHAIN / "signedProofSet2.json"),
            rdfc,
            options,
            chain_keys["keyPair3"].signer(options.verification_method),
        )


# ---------------------------------------------------------------- Ed25519Signature2020 (legacy)
EDSIG = VECTORS / "Ed25519Signature2020"


def test_legacy_signed_document_verifies(legacy, registry, methods, key) -> None:
    signed = read_json(EDSIG / "signedEdSig.json")
    unsecured = {k: v for k, v in signed.items() if k != "proof"}
    assert legacy.verify_proof(unsecured, signed["proof"], key.public_bytes) is True
    [result] = verify_proofs(signed, registry, methods, purpose=NO_ISSUER_CHECK)
    assert (result.code, result.legacy, result.cryptosuite) == (ProofCode.VERIFIED, True, None)
    assert "Ed25519Signature2020" in result.message


def test_legacy_intermediates(legacy, key) -> None:
    signed = read_json(EDSIG / "signedEdSig.json")
    unsecured = {k: v for k, v in signed.items() if k != "proof"}
    assert legacy._transform(unsecured) == (EDSIG / "canonDocEdSig.txt").read_bytes()
    config = read_json(EDSIG / "proofConfigEdSig.json")
    assert config["@context"] == unsecured["@context"]
    canonical_config = legacy._proof_configuration(unsecured, config)
    assert canonical_config == (EDSIG / "proofCanonEdSig.txt").read_bytes()
    signing = legacy._signing_input(unsecured, config)
    assert signing.document_hash.hex() == _hex(EDSIG / "docHashEdSig.txt")
    assert signing.proof_hash.hex() == _hex(EDSIG / "proofHashEdSig.txt")
    assert signing.hash_data.hex() == _hex(EDSIG / "combinedHashEdSig.txt")
    signature = key.signer(_vm(key)).sign(signing.hash_data)
    assert signature.hex() == _hex(EDSIG / "sigHexEdSig.txt")
    assert encode_proof_value(signature) == _hex(EDSIG / "sigBTC58EdSig.txt")
    assert signed["proof"]["proofValue"] == _hex(EDSIG / "sigBTC58EdSig.txt")


def test_legacy_suite_does_not_sign(legacy, key) -> None:
    options = ProofOptions(
        cryptosuite=None, verification_method=_vm(key), type="Ed25519Signature2020"
    )
    with pytest.raises(UnsupportedError):
        add_proof(read_json(VECTORS / "unsigned.json"), legacy, options, key.signer(_vm(key)))


# ---------------------------------------------------------------- negative tests
def _leaf_paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _leaf_paths(v, (*prefix, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _leaf_paths(v, (*prefix, i))]
    return [prefix]


def _tampered(document: dict[str, Any], path: tuple) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    target = changed
    for step in path[:-1]:
        target = target[step]
    value = target[path[-1]]
    target[path[-1]] = value + "x" if isinstance(value, str) else "tampered"
    return changed


@pytest.mark.parametrize(
    "vector", ["eddsa-rdfc-2022/signedDataInt.json", "eddsa-jcs-2022/signedJCS.json"]
)
def test_every_single_value_change_is_detected(vector, registry, methods) -> None:
    signed = read_json(VECTORS / vector)
    paths = _leaf_paths(signed)
    assert len(paths) > 15
    for path in paths:
        if path[:2] == ("proof", "@context") and path != ("proof", "@context", 0):
            # the proof's @context only has to be a prefix of the document's
            continue
        results = verify_proofs(_tampered(signed, path), registry, methods, purpose=NO_ISSUER_CHECK)
        assert not proofs_verified(results), f"change at {path} went unnoticed"


def test_wrong_key_fails(registry, chain_keys) -> None:
    signed = read_json(RDFC / "signedDataInt.json")
    vm = signed["proof"]["verificationMethod"]
    other = chain_keys["keyPair1"]
    impostor = static_methods(
        {vm: VerificationMethod(vm, "Multikey", vm.split("#")[0], other.public_bytes)}
    )
    [result] = verify_proofs(signed, registry, impostor, purpose=NO_ISSUER_CHECK)
    assert result.code == ProofCode.SIGNATURE_INVALID
    assert "changed" in result.message


def test_wrong_purpose_fails(registry, methods) -> None:
    signed = read_json(RDFC / "signedDataInt.json")
    [result] = verify_proofs(signed, registry, methods, purpose=AuthenticationPurpose())
    assert result.code == ProofCode.PURPOSE_MISMATCH
    [result] = verify_proofs(signed, registry, methods, expected_purpose="authentication")
    assert result.code == ProofCode.PURPOSE_MISMATCH


def test_rdfc_proof_context_must_match_the_document(rdfc, key) -> None:
    signed = read_json(RDFC / "signedDataInt.json")
    unsecured = {k: v for k, v in signed.items() if k != "proof"}
    with_context = {**signed["proof"], "@context": unsecured["@context"]}
    assert rdfc.verify_proof(unsecured, with_context, key.public_bytes) is True
    wrong = {**signed["proof"], "@context": ["https://www.w3.org/ns/credentials/v2", "urn:x"]}
    with pytest.raises(ProofError, match="@context"):
        rdfc.verify_proof(unsecured, wrong, key.public_bytes)
