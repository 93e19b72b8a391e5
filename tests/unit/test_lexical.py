"""Strict JSON text and dateTimeStamp formatting, shared across the core packages."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from microcred.definition import format_datetime
from microcred.did.web import format_datetime as did_format
from microcred.lexical import format_date_time_stamp, loads_strict_json
from microcred.proof._datetime import format_xml_datetime


def test_strict_json_reads_plain_json() -> None:
    assert loads_strict_json('{"a": [1, 2.5, "x", null, true], "b": {"a": 1}}') == {
        "a": [1, 2.5, "x", None, True],
        "b": {"a": 1},
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"id": 1, "id": 2}', "duplicate key 'id': a member name appears twice in one object"),
        ('{"a": {"b": 1, "b": 1}}', "duplicate key 'b'"),
        ('{"a": NaN}', "NaN is not a JSON value"),
        ("[Infinity]", "Infinity is not a JSON value"),
        ("-Infinity", "-Infinity is not a JSON value"),
    ],
)
def test_strict_json_refuses_ambiguous_text(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        loads_strict_json(text)


def test_strict_json_syntax_errors_keep_their_position() -> None:
    with pytest.raises(json.JSONDecodeError) as caught:
        loads_strict_json('{\n  "a": }')
    assert (caught.value.lineno, caught.value.colno) == (2, 8)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (datetime(2023, 2, 24, 23, 36, 38, tzinfo=UTC), "2023-02-24T23:36:38Z"),
        (
            datetime(2024, 5, 1, 11, 30, tzinfo=timezone(timedelta(hours=2))),
            "2024-05-01T09:30:00Z",
        ),
        (datetime(2024, 5, 1, 9, 30, 0, 250000, tzinfo=UTC), "2024-05-01T09:30:00.25Z"),
        (datetime(2024, 5, 1, 9, 30, 0, 1, tzinfo=UTC), "2024-05-01T09:30:00.000001Z"),
        (datetime(999, 1, 1, tzinfo=UTC), "0999-01-01T00:00:00Z"),
    ],
)
def test_date_time_stamps_are_written_one_way_everywhere(value: datetime, text: str) -> None:
    assert format_date_time_stamp(value) == text
    assert format_datetime(value) == text  # credentials (definition/)
    assert format_xml_datetime(value) == text  # proofs
    assert did_format(value) == text  # did:web key history


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        format_date_time_stamp(datetime(2024, 5, 1))
