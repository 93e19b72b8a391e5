"""Status and anchor placeholders report skipped."""

from __future__ import annotations

from verification_testkit import CONTEXT, badge

from microcred.verification import codes
from microcred.verification.checks.hooks import AnchorPlaceholder, StatusPlaceholder
from microcred.verification.report import Outcome


def test_status_placeholder() -> None:
    [none] = StatusPlaceholder().run(badge(), CONTEXT)
    assert (none.code, none.outcome) == (codes.STATUS, Outcome.SKIPPED)
    assert "no credentialStatus" in none.message
    entry = {"id": "https://example.edu/status#1", "type": "BitstringStatusListEntry"}
    [present] = StatusPlaceholder().run(badge(credentialStatus=entry), CONTEXT)
    assert present.outcome is Outcome.SKIPPED
    assert present.details["types"] == ["BitstringStatusListEntry"]


def test_anchor_placeholder() -> None:
    [result] = AnchorPlaceholder().run(badge(), CONTEXT)
    assert (result.code, result.outcome) == (codes.ANCHOR, Outcome.SKIPPED)
    assert "no anchor proof" in result.message
