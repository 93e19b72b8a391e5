"""Ed25519 key pairs and signers: RFC 8032 vector, redaction, no copying."""

from __future__ import annotations

import copy
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microcred.errors import InvalidInput
from microcred.keys.ed25519 import (
    Ed25519KeyPair,
    Ed25519Signer,
    ed25519_public_to_x25519,
    verify_ed25519,
)
from microcred.keys.multikey import decode_secret_multikey
from microcred.keys.protocols import Signer

# RFC 8032 §7.1, TEST 1 and TEST 2.
RFC8032 = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
]
VM = "did:example:issuer#key-1"


@pytest.mark.parametrize(("seed", "public", "message", "signature"), RFC8032)
def test_rfc8032_vectors(seed: str, public: str, message: str, signature: str) -> None:
    pair = Ed25519KeyPair.from_seed(bytes.fromhex(seed))
    assert pair.public_bytes.hex() == public
    assert pair.signer(VM).sign(bytes.fromhex(message)).hex() == signature
    assert verify_ed25519(bytes.fromhex(public), bytes.fromhex(message), bytes.fromhex(signature))


def test_vc_di_eddsa_key_pair() -> None:
    pair = Ed25519KeyPair.from_secret_multibase("z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq")
    assert pair.public_key_multibase == "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
    assert pair.secret_key_multibase == "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"


def test_openbadges_64_byte_secret_multibase() -> None:
    # 1EdTech OB 3.0 test vector keyPair.json: secretKeyMultibase holds seed + public key.
    pair = Ed25519KeyPair.from_secret_multibase(
        "zrv2bqTbNwCTsRrHFcJCPjVAduh4Ezcnoq1A3ZxH1GWTNkxipLVuaAoMFmze2gFN9oNXfJjufxSHWVZzsJiUsMHFMcx"
    )
    assert pair.public_key_multibase == "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
    assert (
        pair.public_bytes.hex()
        == "4bdeafde2ea8beefadd8c699b5c7e0704cf51154d52e17b20b71337ca04cc5a5"
    )


def test_inconsistent_64_byte_secret_is_rejected() -> None:
    import base58

    bad = "z" + base58.b58encode(b"\x80\x26" + bytes(32) + bytes(range(32))).decode()
    with pytest.raises(InvalidInput, match="does not match"):
        Ed25519KeyPair.from_secret_multibase(bad)


@settings(max_examples=25)
@given(st.binary(min_size=32, max_size=32), st.binary(max_size=200))
def test_signature_by_signer_verifies_and_tampering_fails(seed: bytes, message: bytes) -> None:
    pair = Ed25519KeyPair.from_seed(seed)
    signer = pair.signer(VM)
    signature = signer.sign(message)
    assert len(signature) == 64
    assert verify_ed25519(pair.public_bytes, message, signature)
    assert not verify_ed25519(pair.public_bytes, message + b"!", signature)
    flipped = bytes([signature[0] ^ 1]) + signature[1:]
    assert not verify_ed25519(pair.public_bytes, message, flipped)


def test_signer_satisfies_protocol_and_reports_its_identity() -> None:
    pair = Ed25519KeyPair.generate()
    signer: Signer = pair.signer(VM)
    assert isinstance(signer, Ed25519Signer)
    assert signer.algorithm == "Ed25519"
    assert signer.verification_method == VM
    assert signer.public_key_multibase == pair.public_key_multibase


def test_generate_gives_distinct_keys() -> None:
    assert Ed25519KeyPair.generate() != Ed25519KeyPair.generate()


def test_verify_rejects_bad_lengths_without_raising() -> None:
    pair = Ed25519KeyPair.generate()
    signature = pair.signer(VM).sign(b"m")
    assert not verify_ed25519(pair.public_bytes[:31], b"m", signature)
    assert not verify_ed25519(pair.public_bytes, b"m", signature[:63])
    assert not verify_ed25519(bytes(32), b"m", signature)  # small-order key
    with pytest.raises(TypeError):
        verify_ed25519("not bytes", b"m", signature)  # type: ignore[arg-type]


def test_verify_accepts_bytes_like_arguments_and_rejects_tampering() -> None:
    pair = Ed25519KeyPair.generate()
    signature = pair.signer(VM).sign(b"message")
    assert verify_ed25519(pair.public_bytes, b"message", signature)
    assert verify_ed25519(
        bytearray(pair.public_bytes), memoryview(b"message"), bytearray(signature)
    )
    assert not verify_ed25519(pair.public_bytes, b"messagE", signature)
    assert not verify_ed25519(
        pair.public_bytes, b"message", bytes([signature[0] ^ 1]) + signature[1:]
    )
    assert not verify_ed25519(Ed25519KeyPair.generate().public_bytes, b"message", signature)


def _secret_forms(pair: Ed25519KeyPair) -> list[str]:
    seed = decode_secret_multikey(pair.secret_key_multibase)
    return [seed.hex(), repr(seed), pair.secret_key_multibase, seed.hex().upper()]


def test_private_bytes_never_appear_in_repr_or_str() -> None:
    pair = Ed25519KeyPair.from_seed(bytes(range(1, 33)))
    signer = pair.signer(VM)
    for obj in (pair, signer):
        text = repr(obj) + str(obj) + f"{obj}"
        assert "redacted" in text
        for secret in _secret_forms(pair):
            assert secret not in text
        # no attribute holds the key: only slots, none of them bytes equal to the seed
        assert not hasattr(obj, "__dict__")
        seed = decode_secret_multikey(pair.secret_key_multibase)
        for slot in type(obj).__slots__:
            value = getattr(obj, slot, None)
            assert value != seed
            assert not (isinstance(value, bytes) and seed in value)


def test_key_pair_cannot_be_constructed_directly() -> None:
    with pytest.raises(TypeError):
        Ed25519KeyPair(b"x" * 32)


@pytest.mark.parametrize("obj_factory", ["pair", "signer"])
def test_keys_cannot_be_pickled_or_copied(obj_factory: str) -> None:
    pair = Ed25519KeyPair.generate()
    obj = pair if obj_factory == "pair" else pair.signer(VM)
    with pytest.raises(TypeError):
        pickle.dumps(obj)
    with pytest.raises(TypeError):
        copy.copy(obj)
    with pytest.raises(TypeError):
        copy.deepcopy(obj)


def test_bad_seed_lengths() -> None:
    with pytest.raises(InvalidInput):
        Ed25519KeyPair.from_seed(bytes(31))


def test_x25519_conversion_of_a_known_key() -> None:
    # did-method-key test vector for seed 00..00.
    import base58

    public = base58.b58decode("4zvwRjXUKGfvwnParsHAS3HuSVzV5cA4McphgmoCtajS")
    assert Ed25519KeyPair.from_seed(bytes(32)).public_bytes == public
    assert (
        base58.b58encode(ed25519_public_to_x25519(public)).decode()
        == "7By6kV2t2d188odEM4ExAve1UithKT6dLva4dwsDT3ak"
    )
    with pytest.raises(InvalidInput, match="not a valid curve point"):
        ed25519_public_to_x25519(b"\xff" * 32)


@settings(max_examples=60)
@given(
    st.binary(min_size=32, max_size=32),
    st.binary(max_size=300),
    st.integers(min_value=-1, max_value=63),
    st.booleans(),
)
def test_verify_agrees_with_pynacl_verify_key(
    seed: bytes, message: bytes, flip: int, other_message: bool
) -> None:
    """``verify_ed25519`` calls libsodium without output buffers; its verdict is PyNaCl's."""
    import nacl.exceptions
    import nacl.signing

    pair = Ed25519KeyPair.from_seed(seed)
    signature = pair.signer(VM).sign(message)
    if flip >= 0:
        signature = signature[:flip] + bytes([signature[flip] ^ 0x40]) + signature[flip + 1 :]
    checked = message + b"?" if other_message else message
    try:
        nacl.signing.VerifyKey(pair.public_bytes).verify(checked, signature)
        expected = True
    except nacl.exceptions.BadSignatureError:
        expected = False
    assert verify_ed25519(pair.public_bytes, checked, signature) is expected
    assert expected is (flip < 0 and not other_message)
