"""microcred.proof.jcs is byte-identical to the ``rfc8785`` package, and fails where it fails.

Every comparison runs each path: the plain path (orjson behind a values-only check), the
full type walk before orjson, the C json encoder behind that walk, and the general Python
writer (forced by hiding the encoders), so every path is held to the reference. Numbers
are also checked against ECMAScript itself when ``node`` is installed.
"""

from __future__ import annotations

import enum
import json
import math
import shutil
import struct
import subprocess
from collections import OrderedDict
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import rfc8785
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from microcred.proof import jcs
from microcred.proof.jcs import MAX_SAFE_INTEGER, JcsError, canonicalize, format_number

_REFERENCE_ERRORS = (ValueError, TypeError, RecursionError)


def _reference(value: Any) -> bytes | None:
    """rfc8785's bytes, or None when it refuses the value."""
    try:
        return bytes(rfc8785.dumps(value))
    except _REFERENCE_ERRORS:
        return None


def _python_writer(value: Any) -> bytes:
    """canonicalize() with orjson and the C encoder hidden: the general writer alone."""
    saved = jcs._c_encoder, jcs._orjson_dumps
    jcs._c_encoder = jcs._orjson_dumps = None
    try:
        return canonicalize(value)
    finally:
        jcs._c_encoder, jcs._orjson_dumps = saved


def _c_writer(value: Any) -> bytes:
    """canonicalize() with orjson hidden: the standard library's C encoder path."""
    saved = jcs._orjson_dumps
    jcs._orjson_dumps = None
    try:
        return canonicalize(value)
    finally:
        jcs._orjson_dumps = saved


def _walk_writer(value: Any) -> bytes:
    """canonicalize() without the plain path: the full type walk, then orjson."""
    jcs._plain_enabled = False
    try:
        return canonicalize(value)
    finally:
        jcs._plain_enabled = True


def assert_same_as_rfc8785(value: Any) -> None:
    expected = _reference(value)
    for writer in (canonicalize, _walk_writer, _c_writer, _python_writer):
        if expected is None:
            with pytest.raises(JcsError):
                writer(value)
        else:
            assert writer(value) == expected


# ---------------------------------------------------------------- strategies

# every code point, lone surrogates included (Hypothesis leaves them out by default)
any_char = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=())
# characters where UTF-16 order and code-point order disagree, plus ASCII and controls
tricky_char = st.one_of(
    st.characters(min_codepoint=0, max_codepoint=0x7F),
    st.characters(min_codepoint=0xD7F0, max_codepoint=0xFFFF, exclude_categories=()),
    st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF),
)
texts = st.one_of(st.text(any_char, max_size=12), st.text(tricky_char, max_size=6))
floats = st.one_of(
    st.floats(),  # NaN and the infinities included: both must refuse them
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e-5, max_value=1e-5),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from([0.0, -0.0, 5e-324, 1e21, 1e-7, 1e-6, 9.999999999999999e20, 1e16]),
    st.integers(0, 2**64 - 1).map(lambda bits: struct.unpack("<d", struct.pack("<Q", bits))[0]),
)
integers = st.one_of(
    st.integers(-(2**60), 2**60),
    st.sampled_from([MAX_SAFE_INTEGER, MAX_SAFE_INTEGER + 1, -MAX_SAFE_INTEGER, -(2**53)]),
    st.integers(),
)
scalars = st.one_of(st.none(), st.booleans(), integers, floats, texts)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.lists(children, max_size=3).map(tuple),
        st.dictionaries(texts, children, max_size=5),
    ),
    max_leaves=25,
)
# plain values: what json.loads returns, the fast path's home ground
plain_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER),
        st.text(any_char, max_size=10),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(st.text(tricky_char, max_size=5), children, max_size=6),
    ),
    max_leaves=30,
)

_SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(json_values)
def test_any_json_value_matches_rfc8785(value: Any) -> None:
    assert_same_as_rfc8785(value)


@_SETTINGS
@given(plain_values)
@example({"\U0001f600": 1, "\ufb01": 2, "a": 3})
@example({"\ud800": 1})
@example(["\udc00x"])
@example({"\x00": '\x1f\x7f"\\\b\t\n\f\r\u2028\u2029'})
def test_plain_json_values_match_rfc8785(value: Any) -> None:
    assert_same_as_rfc8785(value)


@_SETTINGS
@given(st.dictionaries(st.text(tricky_char, min_size=1, max_size=4), st.integers(0, 9), min_size=2))
def test_member_order_is_utf16_code_unit_order(members: dict[str, int]) -> None:
    assert_same_as_rfc8785(members)
    if _reference(members) is not None:  # no lone surrogate among the names
        by_utf16 = sorted(members, key=lambda key: key.encode("utf-16-be"))
        assert list(json.loads(canonicalize(members))) == by_utf16


def test_utf16_order_differs_from_code_point_order() -> None:
    # U+1F600 is D83D DE00 in UTF-16, so it sorts before U+FB01 (RFC 8785 §3.2.3)
    value = {"\ufb01": 1, "\U0001f600": 2}
    assert canonicalize(value) == '{"\U0001f600":2,"\ufb01":1}'.encode()
    assert canonicalize(value) == rfc8785.dumps(value)


def test_rfc8785_sorting_example() -> None:
    # the member names of RFC 8785 §3.2.3's sorting example, in its expected order
    names = ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]
    value = {name: index for index, name in enumerate(reversed(names))}
    assert list(json.loads(canonicalize(value))) == names


# ---------------------------------------------------------------- numbers (§3.2.2.3)


@settings(max_examples=500, deadline=None)
@given(floats)
def test_numbers_match_rfc8785(number: float) -> None:
    expected = _reference(number)
    if expected is None:
        with pytest.raises(JcsError):
            format_number(number)
    else:
        assert format_number(number).encode() == expected
        assert float(format_number(number)) == number  # it reads back as the same double


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (0.0, "0"),
        (-0.0, "0"),
        (1.0, "1"),
        (-1.5, "-1.5"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (123456789012345680000.0, "123456789012345680000"),
        (1e-6, "0.000001"),
        (1e-7, "1e-7"),
        (1.5e-7, "1.5e-7"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (9007199254740992.0, "9007199254740992"),
        (0.1 + 0.2, "0.30000000000000004"),
        (4.35, "4.35"),
        (333333333.3333333, "333333333.3333333"),
        (MAX_SAFE_INTEGER, "9007199254740991"),
        (-MAX_SAFE_INTEGER, "-9007199254740991"),
    ],
)
def test_ecmascript_number_examples(number: float, text: str) -> None:
    assert format_number(number) == text


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, 2**53, -(2**53), 10**30, True])
def test_numbers_json_cannot_hold_are_refused(bad: Any) -> None:
    with pytest.raises(JcsError):
        format_number(bad)
    with pytest.raises(JcsError):
        canonicalize({"n": bad} if not isinstance(bad, bool) else {"n": [bad, 1.5, {1: 2}]})


def _random_doubles(count: int) -> Iterator[float]:
    state = 0x9E3779B97F4A7C15
    produced = 0
    while produced < count:
        state = (state * 6364136223846793005 + 1442695040888963407) % 2**64
        number = struct.unpack("<d", struct.pack("<Q", state))[0]
        if math.isfinite(number):
            produced += 1
            yield number


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_numbers_match_ecmascript_number_to_string() -> None:
    numbers = [
        *_random_doubles(3000),
        *(float(f"{m}e{e}") for m in (1, 5, 9.5, 1.25) for e in range(-330, 310, 7)),
        *(2.0**k for k in range(-1074, 1024, 9)),
        *(float(n) for n in range(-50, 50)),
    ]
    # JSON carries every double exactly (Python writes the shortest round-trip digits)
    script = (
        "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>"
        "process.stdout.write(JSON.stringify(JSON.parse(s).map(x=>String(x)))))"
    )
    done = subprocess.run(
        ["node", "-e", script],
        input=json.dumps(numbers),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    expected = json.loads(done.stdout)
    mismatches = [
        (n, format_number(n), e)
        for n, e in zip(numbers, expected, strict=True)
        if format_number(n) != e
    ]
    assert mismatches == []


# ---------------------------------------------------------------- Python types


class Colour(enum.IntEnum):
    RED = 1


class Shade(enum.StrEnum):
    DARK = "dark\n"


class Ratio(float):
    pass


class Tag(str):
    pass


class Bag(dict):  # type: ignore[type-arg]
    pass


class Row(list):  # type: ignore[type-arg]
    pass


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        "",
        [],
        {},
        (),
        (1, "a", [None]),
        Colour.RED,
        {"c": Colour.RED, "s": Shade.DARK, "r": Ratio(2.5), "t": Tag("x")},
        {Tag("b"): 1, "a": 2},
        Bag(b=1, a=[Row([1.5, 2])]),
        OrderedDict([("b", 1), ("a", 2)]),
        {"deep": [[[[{"x": [1, 2, {"y": -0.0}]}]]]]},
        [1e300, -1e-300, 0.5],
    ],
)
def test_python_types_like_rfc8785(value: Any) -> None:
    assert_same_as_rfc8785(value)


@pytest.mark.parametrize(
    "value",
    [
        b"bytes",
        {1, 2},
        Decimal("1.5"),
        object(),
        {1: "int key"},
        {None: "none key"},
        {("a",): "tuple key"},
        {"a": 1, 2: "mixed keys"},
        {"x": [b"nested bytes"]},
        "\ud83d",
        {"k": "\udfff"},
        {"\ud800": 1, "a": 2},
        float("nan"),
        {"n": -math.inf},
        {"big": 2**53},
        [-(2**64)],
    ],
)
def test_refused_values_like_rfc8785(value: Any) -> None:
    assert _reference(value) is None
    assert_same_as_rfc8785(value)


def test_a_value_that_contains_itself_is_refused() -> None:
    looped: dict[str, Any] = {"a": []}
    looped["a"].append(looped)
    with pytest.raises(JcsError):
        canonicalize(looped)


def test_jcs_error_is_an_invalid_input_and_a_value_error() -> None:
    from microcred.errors import InvalidInput

    with pytest.raises(InvalidInput):
        canonicalize({"x": math.nan})
    with pytest.raises(ValueError):
        canonicalize({"x": math.nan})


@pytest.mark.parametrize(
    "value",
    [
        {"a": 1.5, "b": "\x00\x1f0"},  # a string that is a float mark
        {"a": 1.5, "b": '"\x00\x1f0'},  # one whose JSON text ends in a mark token
        {"a": [0.5, 2.5], "b": "x\x00\x1f1", "c": {"d": -0.0, "e": 1e-7}},
        [1.5, "\x00\x1f0", 2.5, '"\x00\x1f1'],
        {"credits": 7.5, "nested": [{"w": 0.1 + 0.2}] * 3, "n": 12},
    ],
)
def test_float_marks_cannot_be_forged_by_strings(value: Any) -> None:
    assert_same_as_rfc8785(value)


def test_floats_do_not_leave_the_fast_path() -> None:
    value = {"achievement": {"creditsAvailable": 7.5, "tags": ["a", 2.25]}, "n": 1e21}
    assert jcs._fast(value) is not None
    assert canonicalize(value) == rfc8785.dumps(value)
    assert value == {"achievement": {"creditsAvailable": 7.5, "tags": ["a", 2.25]}, "n": 1e21}


@pytest.mark.parametrize("depth", [254, 255, 256, 300])
def test_nesting_past_orjsons_depth_limit_matches_rfc8785(depth: int) -> None:
    value: Any = {"x": 1.5}
    for level in range(depth):
        value = {"a": value} if level % 2 else [value, "\u2028"]
    assert_same_as_rfc8785(value)


def test_plain_documents_take_the_orjson_path() -> None:
    value = {"b": ["x\x00\x1f\u2028", 7.5, None, True], "a": {"é": -MAX_SAFE_INTEGER, "z": -0.0}}
    assert jcs._fast_bytes({"n": MAX_SAFE_INTEGER}) == b'{"n":9007199254740991}'
    assert jcs._fast_bytes(value) == rfc8785.dumps(value)
    assert jcs._fast_bytes({"a": 2**53}) is None  # refused by the walk, as rfc8785 does
    assert jcs._fast_bytes({"\ud800": 1}) is None  # UTF-16 order: the general writer
    assert jcs._fast_bytes({"a": "\ud800"}) is None  # lone surrogate: the general writer


def test_json_parsed_documents_take_the_plain_path() -> None:
    value = {"b": ["x\x00\x1f\u2028", None, True], "a": {"é": -MAX_SAFE_INTEGER, "z": "\U0001f600"}}
    assert jcs._plain_bytes(value) == rfc8785.dumps(value)
    assert jcs._plain_bytes([{"n": MAX_SAFE_INTEGER}]) == b'[{"n":9007199254740991}]'
    # what the values-only check or orjson refuse, and the UTF-16 order guard
    assert jcs._plain_bytes({"a": 7.5}) is None  # floats need ECMAScript text
    assert jcs._plain_bytes({"a": (1, 2)}) is None  # tuples: the walk decides
    assert jcs._plain_bytes({"a": Tag("x")}) is None  # subclasses
    assert jcs._plain_bytes({"a": Colour.RED}) is None
    assert jcs._plain_bytes({Tag("b"): 1}) is None  # a name that is not an exact str
    assert jcs._plain_bytes({1: "int key"}) is None
    assert jcs._plain_bytes({"a": 2**53}) is None  # beyond the safe integers
    assert jcs._plain_bytes({"a": -(2**53)}) is None
    assert jcs._plain_bytes({"\ufb01": 1, "\U0001f600": 2}) is None  # U+E000..U+FFFF present
    assert jcs._plain_bytes({"a": "\ud800"}) is None  # lone surrogate
    assert jcs._plain_bytes("text") is None  # only objects and arrays
    looped: dict[str, Any] = {"a": []}
    looped["a"].append(looped)
    assert jcs._plain_bytes(looped) is None  # a cycle runs out of recursion, then JcsError
    with pytest.raises(JcsError):
        canonicalize(looped)


@_SETTINGS
@given(plain_values)
def test_the_plain_path_accepts_only_what_it_writes_exactly(value: Any) -> None:
    data = jcs._plain_bytes(value)
    if data is not None:
        assert data == rfc8785.dumps(value)
