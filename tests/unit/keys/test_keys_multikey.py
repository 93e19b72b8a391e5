"""Multikey encoding: known values, rejections, and round-trip properties."""

from __future__ import annotations

import base58
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microcred.errors import InvalidInput
from microcred.keys.multikey import (
    decode_base58btc_multibase,
    decode_public_multikey,
    decode_secret_multikey,
    decode_x25519_public_multikey,
    encode_public_multikey,
    encode_secret_multikey,
    encode_x25519_public_multikey,
    split_secret_multikey,
)

# The key of the W3C vc-di-eddsa test vectors (keyPair.json), spelled out so this unit test
# needs no external files.
VECTOR_PUBLIC = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
VECTOR_PUBLIC_HEX = "b00d8d938e7f773d51565aad36a623f5344f7f5d1960f9cf3e8e12620ea2810f"
VECTOR_SECRET = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
VECTOR_SEED_HEX = "c96ef9ea10c5e414c471723aff9de72c35fa5b70fae97e8832ecac7d2e2b8ed6"

keys32 = st.binary(min_size=32, max_size=32)


def test_public_vector_decodes_to_raw_key() -> None:
    assert decode_public_multikey(VECTOR_PUBLIC).hex() == VECTOR_PUBLIC_HEX
    assert encode_public_multikey(bytes.fromhex(VECTOR_PUBLIC_HEX)) == VECTOR_PUBLIC


def test_secret_vector_decodes_to_seed() -> None:
    assert decode_secret_multikey(VECTOR_SECRET).hex() == VECTOR_SEED_HEX
    assert encode_secret_multikey(bytes.fromhex(VECTOR_SEED_HEX)) == VECTOR_SECRET


def test_prefix_bytes_are_the_multicodec_varints() -> None:
    raw = bytes(range(32))
    assert base58.b58decode(encode_public_multikey(raw)[1:])[:2] == b"\xed\x01"
    assert base58.b58decode(encode_secret_multikey(raw)[1:])[:2] == b"\x80\x26"
    assert base58.b58decode(encode_x25519_public_multikey(raw)[1:])[:2] == b"\xec\x01"


@settings(max_examples=60)
@given(keys32)
def test_public_round_trip(raw: bytes) -> None:
    encoded = encode_public_multikey(raw)
    assert encoded.startswith("z6Mk")
    assert decode_public_multikey(encoded) == raw


@settings(max_examples=60)
@given(keys32)
def test_secret_round_trip(raw: bytes) -> None:
    encoded = encode_secret_multikey(raw)
    assert encoded.startswith("z3u2")
    assert decode_secret_multikey(encoded) == raw


@settings(max_examples=40)
@given(keys32)
def test_x25519_round_trip(raw: bytes) -> None:
    encoded = encode_x25519_public_multikey(raw)
    assert encoded.startswith("z6LS")
    assert decode_x25519_public_multikey(encoded) == raw


@settings(max_examples=40)
@given(st.binary(max_size=64).filter(lambda b: len(b) != 32))
def test_wrong_length_is_rejected(raw: bytes) -> None:
    encoded = "z" + base58.b58encode(b"\xed\x01" + raw).decode()
    with pytest.raises(InvalidInput) as info:
        decode_public_multikey(encoded)
    assert info.value.extra["code"] in ("invalidPublicKeyLength", "invalidDid")


def test_a_public_key_is_not_a_secret_key_and_vice_versa() -> None:
    with pytest.raises(InvalidInput, match="0xed"):
        decode_secret_multikey(VECTOR_PUBLIC)
    with pytest.raises(InvalidInput, match=r"0x1300 \(ed25519-priv\)"):
        decode_public_multikey(VECTOR_SECRET)
    with pytest.raises(InvalidInput, match="x25519-pub"):
        decode_x25519_public_multikey(VECTOR_PUBLIC)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "non-empty"),
        ("z", "no data"),
        ("u7QGwDY2Tjn93PVFWWq02piP1NE9_XRlg-c8-jhJiDqKBDw", "not 'z'"),
        ("z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQl", "'l' is not in the base58"),
        ("z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ+", "'\\+' is not in the base58"),
    ],
)
def test_bad_multibase_is_rejected_with_reason(value: str, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        decode_public_multikey(value)


def test_encoding_rejects_wrong_sizes() -> None:
    with pytest.raises(InvalidInput):
        encode_public_multikey(bytes(31))
    with pytest.raises(InvalidInput):
        encode_secret_multikey(bytes(33))


def test_64_byte_secret_form_is_split() -> None:
    value = "z" + base58.b58encode(b"\x80\x26" + bytes(32) + bytes(range(32))).decode()
    seed, public = split_secret_multikey(value)
    assert seed == bytes(32)
    assert public == bytes(range(32))
    with pytest.raises(InvalidInput, match="32 bytes"):
        split_secret_multikey("z" + base58.b58encode(b"\x80\x26" + bytes(40)).decode())


def test_base58btc_decoder_keeps_leading_zero_bytes() -> None:
    assert decode_base58btc_multibase("z11") == b"\x00\x00"
