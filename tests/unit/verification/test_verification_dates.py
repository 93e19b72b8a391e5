"""Validity period against an injected clock."""

from __future__ import annotations

from datetime import UTC, datetime

from verification_testkit import NOW, badge

from microcred.verification import codes
from microcred.verification.checks.base import CheckContext
from microcred.verification.checks.dates import DatesCheck
from microcred.verification.report import Outcome


def results(doc: dict, now: datetime = NOW) -> dict:
    return {r.code: r for r in DatesCheck().run(doc, CheckContext(now))}


def test_valid_now_and_no_expiry() -> None:
    found = results(badge())
    assert found[codes.DATES_VALID_FROM].outcome is Outcome.PASSED
    assert found[codes.DATES_VALID_FROM].message == (
        "This credential has been valid since 15 January 2026."
    )
    assert found[codes.DATES_VALID_UNTIL].outcome is Outcome.PASSED
    assert found[codes.DATES_VALID_UNTIL].message == "This credential does not expire."


def test_expired_credential_says_when_in_plain_words() -> None:
    found = results(badge(validUntil="2026-03-03T10:00:00Z"))
    result = found[codes.DATES_VALID_UNTIL]
    assert result.outcome is Outcome.FAILED
    assert result.message == "This credential expired on 3 March 2026."
    assert result.details["validUntil"] == "2026-03-03T10:00:00Z"
    assert result.details["now"] == NOW.isoformat()


def test_not_yet_valid() -> None:
    result = results(badge(validFrom="2026-04-01T00:00:00Z"))[codes.DATES_VALID_FROM]
    assert result.outcome is Outcome.FAILED
    assert result.message == "This credential is not valid yet: it becomes valid on 1 April 2026."


def test_the_clock_decides() -> None:
    doc = badge(validUntil="2026-03-03T10:00:00Z")
    earlier = datetime(2026, 3, 3, 9, 59, tzinfo=UTC)
    assert results(doc, earlier)[codes.DATES_VALID_UNTIL].outcome is Outcome.PASSED
    assert results(doc, earlier)[codes.DATES_VALID_UNTIL].message == (
        "This credential is valid until 3 March 2026."
    )


def test_missing_or_unreadable_start_is_skipped() -> None:
    assert results(badge(validFrom=None))[codes.DATES_VALID_FROM].outcome is Outcome.SKIPPED
    unreadable = results(badge(validFrom="soon"))
    assert unreadable[codes.DATES_VALID_FROM].outcome is Outcome.SKIPPED


def test_vc_11_uses_issuance_and_expiration_dates() -> None:
    doc = badge(
        **{"@context": ["https://www.w3.org/2018/credentials/v1"]},
        validFrom=None,
        issuanceDate="2020-01-01T00:00:00",  # VC 1.1 allowed no timezone
        expirationDate="2021-06-30T00:00:00Z",
    )
    found = results(doc)
    assert found[codes.DATES_VALID_FROM].outcome is Outcome.PASSED
    assert found[codes.DATES_VALID_UNTIL].message == "This credential expired on 30 June 2021."
