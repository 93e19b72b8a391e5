"""CryptosuiteRegistry: lookup by name and by proof, no duplicates."""

from __future__ import annotations

import pytest

from microcred.errors import ConfigError, UnknownCryptosuiteError
from microcred.proof.cryptosuites.ed25519_signature_2020 import Ed25519Signature2020
from microcred.proof.cryptosuites.eddsa_jcs_2022 import EddsaJcs2022
from microcred.proof.registry import CryptosuiteRegistry


def _loader(url, options=None):  # never called in these tests
    raise AssertionError(url)


def _canonize(document, loader, *, safe=True):
    raise AssertionError("not used")


def _registry() -> CryptosuiteRegistry:
    return CryptosuiteRegistry([EddsaJcs2022(), Ed25519Signature2020(_loader, canonizer=_canonize)])


def test_lookup_by_name_and_proof() -> None:
    registry = _registry()
    assert registry.names == ("eddsa-jcs-2022", "Ed25519Signature2020")
    assert len(registry) == 2
    assert "eddsa-jcs-2022" in registry
    assert registry.get("eddsa-jcs-2022").name == "eddsa-jcs-2022"
    jcs = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022"}
    assert registry.for_proof(jcs).name == "eddsa-jcs-2022"
    assert registry.for_proof({"type": "Ed25519Signature2020"}).legacy is True
    assert registry.handles_type("DataIntegrityProof")
    assert not registry.handles_type("MerkleAnchorProof2026")


@pytest.mark.parametrize(
    "proof",
    [
        {"type": "DataIntegrityProof", "cryptosuite": "ecdsa-rdfc-2019"},
        {"type": "DataIntegrityProof"},
        {"type": "MerkleAnchorProof2026"},
        {"type": "DataIntegrityProof", "cryptosuite": "Ed25519Signature2020"},
        {},
    ],
)
def test_unknown_proofs(proof: dict) -> None:
    with pytest.raises(UnknownCryptosuiteError):
        _registry().for_proof(proof)


def test_unknown_name_lists_the_supported_ones() -> None:
    with pytest.raises(UnknownCryptosuiteError, match="supported: Ed25519Signature2020, eddsa"):
        _registry().get("bbs-2023")


def test_duplicates_are_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="eddsa-jcs-2022"):
        CryptosuiteRegistry([EddsaJcs2022(), EddsaJcs2022()])


def test_a_suite_with_its_own_type_is_named_after_it() -> None:
    class Odd(EddsaJcs2022):
        proof_type = "OddProof"

    with pytest.raises(ConfigError, match="named after it"):
        CryptosuiteRegistry([Odd()])
