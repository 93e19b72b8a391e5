"""The chunked base58-btc codec of proof values gives the ``base58`` package's text."""

from __future__ import annotations

import base58
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microcred.proof._encoding import b58decode, b58encode, decode_proof_value

byte_strings = st.one_of(
    st.binary(max_size=80),
    st.tuples(st.integers(0, 4), st.binary(max_size=70)).map(lambda t: b"\0" * t[0] + t[1]),
    st.sampled_from([b"", b"\0", b"\0" * 64, b"\xff" * 64, bytes(range(64))]),
)


@settings(max_examples=300, deadline=None)
@given(byte_strings)
def test_encode_and_decode_match_the_base58_package(data: bytes) -> None:
    text = base58.b58encode(data).decode("ascii")
    assert b58encode(data) == text
    assert b58decode(text) == data


@settings(max_examples=200, deadline=None)
@given(st.text("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz", max_size=100))
def test_any_base58_text_decodes_like_the_base58_package(text: str) -> None:
    assert b58decode(text) == base58.b58decode(text)


@pytest.mark.parametrize("text", ["0", "O", "I", "l", "abc+", "é"])
def test_characters_outside_the_alphabet_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        b58decode(text)
    with pytest.raises(ValueError):
        decode_proof_value("z" + text)


@pytest.mark.parametrize("size", [1, 2, 3, 255, 256, 257, 600])
def test_long_and_odd_lengths_decode_like_the_base58_package(size: int) -> None:
    text = ("z9" * size)[:size]
    assert b58decode(text) == base58.b58decode(text)
    assert b58decode("11" + text) == base58.b58decode("11" + text)


ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.binary(min_size=64, max_size=64),
        st.tuples(st.integers(1, 3), st.binary(min_size=61, max_size=63)).map(
            lambda t: (b"\0" * t[0] + t[1])[:64].ljust(64, b"\1")
        ),
        st.sampled_from([bytes(64), b"\xff" * 64, b"\0" + b"\xff" * 63, b"\1" + bytes(63)]),
    )
)
def test_proof_values_of_signatures_decode_to_the_signature(signature: bytes) -> None:
    assert decode_proof_value("z" + base58.b58encode(signature).decode("ascii")) == signature


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(ALPHABET, min_size=86, max_size=89),
        st.text(ALPHABET, min_size=60, max_size=130),
        st.text(ALPHABET, min_size=84, max_size=86).map(lambda t: "1" + t),
    )
)
def test_proof_values_of_other_lengths_are_refused_like_the_general_decoder(text: str) -> None:
    """87- and 88-digit texts take the unrolled path; every text gives the 64 bytes the
    base58 package gives, or the same refusal as before (ValueError naming the length)."""
    expected = base58.b58decode(text)
    if len(expected) == 64:
        assert decode_proof_value("z" + text) == expected
    else:
        with pytest.raises(ValueError, match=f"decodes to {len(expected)} bytes"):
            decode_proof_value("z" + text)
