"""``storage/json_codec.py``: JSON columns read back exactly what ``json`` would give.

Every value is compared with the standard library's answer: the same Python value after a
round trip, the same errors for values JSON cannot hold, and ``json``'s own treatment of the
corners where ``orjson`` differs (NaN and infinities, integers beyond 64 bits).
"""

from __future__ import annotations

import dataclasses
import json
import math
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from microcred.storage.json_codec import dumps, loads

_STANDARDS = Path(__file__).resolve().parents[2] / ".." / "shared" / "standards"

_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=30,
)


def _same(a: Any, b: Any) -> bool:
    """Equal, with the types of numbers (1 vs 1.0) and the order of keys compared too."""
    if isinstance(a, dict):
        return (
            isinstance(b, dict) and list(a) == list(b) and all(_same(a[key], b[key]) for key in a)
        )
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return type(a) is type(b) and a == b


@given(_json_values)
def test_round_trip_gives_what_json_gives(value: Any) -> None:
    text = dumps(value)
    assert _same(loads(text), json.loads(json.dumps(value)))
    assert _same(loads(text.encode()), json.loads(json.dumps(value)))
    assert _same(loads(json.dumps(value)), json.loads(json.dumps(value)))


@pytest.mark.parametrize(
    "value",
    [
        [2**64, -(2**64) - 1, 10**30],  # beyond orjson's 64 bits
        {"n": 18446744073709551615, "m": -9223372036854775808},
        [float("nan"), float("inf"), -float("inf")],
        {"a": None, "b": [None, 1.5]},
        {1: "int key", "x": "y"},
        ["é", "\u2028", "😀", "\ud800"],  # non-ASCII and a lone surrogate
        [1e-7, 1e16, 0.1, -0.0, 5e-324],
    ],
)
def test_corners_read_back_as_json_reads_them(value: Any) -> None:
    expected = json.loads(json.dumps(value))
    assert _same(loads(dumps(value)), expected)
    assert _same(loads(dumps(value).encode()), expected)


def test_texts_only_json_reads() -> None:
    for text in ('{"a": NaN, "b": Infinity}', "[123456789012345678901234567890]", '"\\ud800"'):
        assert _same(loads(text), json.loads(text))
        assert _same(loads(text.encode()), json.loads(text))
    with pytest.raises(ValueError):
        loads("{not json")


@pytest.mark.parametrize(
    "text",
    [
        "[-18446744073709551617, 1]",  # a long negative number
        '{"a":[1,2,{"b":99999999999999999999999}]}',  # nested, right after a bracket
        "[1e400, 100000000000000000000.5]",  # a run of 20 digits before the fraction
        '["\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0660'
        '\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0660\u0661"]',
        '{"id": "urn:uuid:0000000000000000000000000000", "n": 7}',  # digits inside a string
        '["1234567890123456789", 1234567890123456789]',  # 19 digits: orjson reads it
    ],
)
def test_runs_of_digits_read_as_json_reads_them(text: str) -> None:
    # the check for a run of 20 digits (bytes.translate) decides who reads the text; either
    # way the value is json's, numbers' types included
    assert _same(loads(text), json.loads(text))
    assert _same(loads(text.encode()), json.loads(text))


@dataclasses.dataclass
class _Point:
    x: int


@pytest.mark.parametrize("value", [datetime.now(UTC), _Point(1), {1, 2}, b"bytes", object()])
def test_values_json_refuses_are_refused(value: Any) -> None:
    with pytest.raises(TypeError):
        json.dumps(value)
    with pytest.raises(TypeError):
        dumps(value)


def test_uuid_is_the_one_value_written_where_json_refuses() -> None:
    # orjson writes UUIDs as strings; nothing relies on json refusing them
    assert loads(dumps({"id": uuid.UUID(int=1)})) == {"id": str(uuid.UUID(int=1))}


def test_signed_credentials_from_the_standards_read_back_the_same() -> None:
    if not _STANDARDS.is_dir():
        pytest.skip("the shared standards folder is not here")
    files = sorted(_STANDARDS.rglob("*.json"))[:300]
    checked = 0
    for path in files:
        try:
            value = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue
        assert _same(loads(dumps(value)), value), path
        checked += 1
    assert checked
