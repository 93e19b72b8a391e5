"""Date-time and proofValue parsing: strict, with readable reasons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microcred.proof._datetime import format_xml_datetime, parse_xml_datetime
from microcred.proof._encoding import decode_proof_value, encode_proof_value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-02-24T23:36:38Z", datetime(2023, 2, 24, 23, 36, 38, tzinfo=UTC)),
        ("2023-02-24T23:36:38.5Z", datetime(2023, 2, 24, 23, 36, 38, 500000, tzinfo=UTC)),
        ("2023-02-25T01:36:38+02:00", datetime(2023, 2, 24, 23, 36, 38, tzinfo=UTC)),
        ("2023-02-24T20:06:38-03:30", datetime(2023, 2, 24, 23, 36, 38, tzinfo=UTC)),
        ("2023-02-24T23:36:38.1234567Z", datetime(2023, 2, 24, 23, 36, 38, 123456, tzinfo=UTC)),
    ],
)
def test_parse_valid_datetime_stamps(text: str, expected: datetime) -> None:
    parsed = parse_xml_datetime(text)
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    [
        "2023-02-24T23:36:38",  # no time zone
        "2023-02-24 23:36:38Z",  # space
        "2023-02-24",  # date only
        "2023-13-01T00:00:00Z",  # month 13
        "2023-02-30T00:00:00Z",  # 30 February
        "2023-02-24T25:00:00Z",  # hour 25
        "2023-02-24T23:36:38+15:00",  # offset too large
        "2023-02-24T23:36:38+01:75",
        "23-02-24T23:36:38Z",
        "2023-02-24T23:36:38z",
        "",
        "2023-W08-5T23:36:38Z",
    ],
)
def test_parse_rejects_other_forms(text: str) -> None:
    with pytest.raises(ValueError):
        parse_xml_datetime(text)


def test_format_uses_utc_and_whole_seconds() -> None:
    moment = datetime(2023, 2, 25, 1, 36, 38, tzinfo=timezone(timedelta(hours=2)))
    assert format_xml_datetime(moment) == "2023-02-24T23:36:38Z"
    assert format_xml_datetime(moment.replace(microsecond=250000)) == "2023-02-24T23:36:38.25Z"
    with pytest.raises(ValueError, match="timezone"):
        format_xml_datetime(datetime(2023, 2, 24))


@settings(max_examples=50)
@given(
    st.datetimes(
        timezones=st.just(UTC), min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)
    )
)
def test_format_then_parse_round_trips(moment: datetime) -> None:
    assert parse_xml_datetime(format_xml_datetime(moment)) == moment


def test_proof_value_round_trip_and_errors() -> None:
    signature = bytes(range(64))
    value = encode_proof_value(signature)
    assert value.startswith("z")
    assert decode_proof_value(value) == signature
    with pytest.raises(ValueError, match="starting with 'z'"):
        decode_proof_value("u" + value[1:])
    with pytest.raises(ValueError, match="not base58"):
        decode_proof_value("z0OIl")
    with pytest.raises(ValueError, match="63 bytes"):
        decode_proof_value(encode_proof_value(signature[:63]))
    with pytest.raises(ValueError, match="not base58"):
        decode_proof_value("z")
