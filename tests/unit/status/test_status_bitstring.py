"""The status bitstring: bit order, statusSize, GZIP + multibase, hostile encodings."""

from __future__ import annotations

import base64
import gzip

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microcred.errors import StatusError
from microcred.status.bitstring import (
    LENGTH_ERROR,
    MALFORMED_VALUE_ERROR,
    MIN_ENTRIES,
    RANGE_ERROR,
    StatusBitstring,
    check_list_length,
    decode_bitstring,
    encode_bitstring,
    get_status,
    set_status,
)


def _u(raw: bytes) -> str:
    return "u" + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_index_zero_is_the_most_significant_bit_of_byte_zero() -> None:
    bits = bytearray(2)
    set_status(bits, 0, 1)
    assert bits == bytearray([0b1000_0000, 0])
    set_status(bits, 7, 1)
    set_status(bits, 8, 1)
    assert bits == bytearray([0b1000_0001, 0b1000_0000])
    assert [get_status(bits, i) for i in range(16)] == [1, 0, 0, 0, 0, 0, 0, 1, 1] + [0] * 7
    set_status(bits, 0, 0)
    assert bits[0] == 0b0000_0001


def test_status_size_two_packs_values_most_significant_bit_first() -> None:
    bits = bytearray(1)
    set_status(bits, 0, 0b01, status_size=2)
    set_status(bits, 1, 0b10, status_size=2)
    set_status(bits, 3, 0b11, status_size=2)
    assert bits[0] == 0b01_10_00_11
    assert [get_status(bits, i, 2) for i in range(4)] == [1, 2, 0, 3]
    set_status(bits, 1, 0b01, status_size=2)
    assert bits[0] == 0b01_01_00_11


def test_values_that_do_not_fit_and_indexes_outside_are_range_errors() -> None:
    bits = bytearray(1)
    with pytest.raises(StatusError) as caught:
        set_status(bits, 0, 4, status_size=2)
    assert caught.value.type_uri == RANGE_ERROR
    with pytest.raises(StatusError, match="outside") as caught:
        get_status(bits, 8)
    assert caught.value.extra["code"] == "RANGE_ERROR"
    with pytest.raises(StatusError, match="outside"):
        get_status(bits, 4, status_size=2)
    with pytest.raises(StatusError, match="outside"):
        get_status(bits, -1)
    with pytest.raises(StatusError, match="statusSize"):
        get_status(bits, 0, status_size=0)


def test_default_list_is_sixteen_kilobytes_and_encodes_with_the_u_prefix() -> None:
    bits = StatusBitstring()
    assert (bits.entries, bits.bit_length, len(bits.to_bytes())) == (MIN_ENTRIES, 131_072, 16_384)
    encoded = bits.encode()
    assert encoded.startswith("uH4sI")  # 'u' + base64url of the GZIP magic 1f 8b 08
    assert "=" not in encoded and "+" not in encoded and "/" not in encoded
    assert len(encoded) < 200  # an empty list compresses to a few dozen bytes
    assert encoded == StatusBitstring().encode()  # deterministic (mtime=0)


def test_decoding_reads_other_compressors_output() -> None:
    raw = bytearray(16_384)
    set_status(raw, 94567, 1)
    foreign = gzip.compress(bytes(raw), compresslevel=1, mtime=1_700_000_000)
    decoded = StatusBitstring.decode(_u(foreign))
    assert decoded.set_indexes() == [94567]


def test_length_check_counts_entries_of_status_size() -> None:
    assert check_list_length(131_072) == 131_072
    assert check_list_length(262_144, status_size=2) == 131_072
    with pytest.raises(StatusError) as caught:
        check_list_length(131_072, status_size=2)
    assert caught.value.type_uri == LENGTH_ERROR
    assert caught.value.extra["code"] == "STATUS_LIST_LENGTH_ERROR"
    with pytest.raises(StatusError, match="at least 131072"):
        StatusBitstring(entries=1024).check_length()
    assert StatusBitstring(entries=1024).check_length(minimum_entries=1024) == 1024


@pytest.mark.parametrize(
    ("encoded", "problem"),
    [
        ("", "non-empty"),
        ("zH4sIAAAAA", "must start with 'u'"),
        ("H4sIAAAAAAAAA", "must start with 'u'"),
        ("uH4sI+AAA", "base64url"),
        ("uH4sIAA==", "base64url"),
        ("uH", "impossible"),
        (_u(b"not gzip at all"), "GZIP"),
        (_u(gzip.compress(b"\0" * 64, mtime=0)[:-6]), "truncated"),
        (_u(b"\x1f\x8b\x08garbage-after-magic"), "GZIP"),
        (_u(gzip.compress(b"\0" * 64, mtime=0) + b"trailing"), "after the GZIP"),
    ],
)
def test_malformed_encodings_are_refused(encoded: str, problem: str) -> None:
    with pytest.raises(StatusError, match=problem) as caught:
        decode_bitstring(encoded)
    assert caught.value.type_uri == MALFORMED_VALUE_ERROR


def test_a_compression_bomb_is_stopped_at_the_cap() -> None:
    bomb = _u(gzip.compress(bytes(64 * 1024 * 1024), compresslevel=9))
    assert len(bomb) < 100_000
    with pytest.raises(StatusError, match="more than 1048576 bytes"):
        decode_bitstring(bomb, max_bytes=1024 * 1024)


def test_legacy_status_list_2021_values_have_no_prefix() -> None:
    raw = bytearray(16_384)
    set_status(raw, 5, 1)
    plain = base64.urlsafe_b64encode(gzip.compress(bytes(raw))).decode()
    with pytest.raises(StatusError):
        decode_bitstring(plain)
    assert StatusBitstring.decode(plain, legacy=True).set_indexes() == [5]
    assert StatusBitstring.decode(plain.rstrip("="), legacy=True).get(5) == 1


@settings(max_examples=40, deadline=None)
@given(
    status_size=st.integers(min_value=1, max_value=4),
    values=st.dictionaries(
        st.integers(min_value=0, max_value=4095), st.integers(min_value=0, max_value=15)
    ),
)
def test_set_then_encode_then_decode_keeps_every_value(
    status_size: int, values: dict[int, int]
) -> None:
    bits = StatusBitstring(entries=4096, status_size=status_size)
    expected = {i: v % (1 << status_size) for i, v in values.items()}
    for index, value in expected.items():
        bits.set(index, value)
    decoded = StatusBitstring.decode(bits.encode(), status_size)
    assert decoded == bits
    for index in range(4096):
        assert decoded.get(index) == expected.get(index, 0)
    assert decoded.set_indexes() == sorted(i for i, v in expected.items() if v)


@settings(max_examples=40, deadline=None)
@given(index=st.integers(min_value=0, max_value=MIN_ENTRIES - 1))
def test_one_bit_lands_exactly_where_the_spec_says(index: int) -> None:
    bits = StatusBitstring()
    bits.set(index)
    raw = bits.to_bytes()
    assert raw[index // 8] == 0x80 >> (index % 8)
    assert sum(1 for b in raw if b) == 1
    assert decode_bitstring(encode_bitstring(raw)) == raw
