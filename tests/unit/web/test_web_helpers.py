"""Pure helpers of the web pages: content negotiation, CSRF tokens, the LinkedIn URL, the
plain-language grouping of verification checks."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

import pytest

from microcred.verification.report import CheckResult, VerificationReport
from microcred.web.explain import explain_report
from microcred.web.linkedin import linkedin_add_to_profile_url
from microcred.web.security import csrf_token, prefers_html

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        (BROWSER, True),
        ("text/html", True),
        ("application/json", False),
        ("*/*", False),
        (None, False),
        ("", False),
        ("application/json, text/html;q=0.5", False),
        ("text/html;q=0.9, application/json;q=0.9", True),
        ("application/problem+json", False),
        ("text/html;q=0", False),
        ("text/html;q=oops", False),
    ],
)
def test_prefers_html(accept: str | None, html: bool) -> None:
    assert prefers_html(accept) is html


def test_csrf_tokens_are_bound_to_the_cookie_and_the_session() -> None:
    cookie = "c" * 43
    anonymous = csrf_token(cookie, None)
    assert anonymous == csrf_token(cookie, None)
    assert anonymous != csrf_token("d" * 43, None)
    assert anonymous != csrf_token(cookie, "wallet-secret")
    assert csrf_token(cookie, "wallet-secret") != csrf_token(cookie, "other-secret")
    assert len(anonymous) == 43 and "=" not in anonymous


def test_linkedin_url() -> None:
    url = linkedin_add_to_profile_url(
        name="Data & Ethics — Ünï",
        organization_name='Univ. "Zed"',
        issued=datetime(2026, 1, 31, 23, 30, tzinfo=UTC),
        expires=datetime(2028, 6, 30, tzinfo=UTC),
        cert_url="https://c.example/c/abc",
        cert_id="urn:uuid:1",
    )
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "www.linkedin.com", "/profile/add")
    assert parse_qsl(parts.query) == [
        ("startTask", "CERTIFICATION_NAME"),
        ("name", "Data & Ethics — Ünï"),
        ("organizationName", 'Univ. "Zed"'),
        ("issueYear", "2026"),
        ("issueMonth", "1"),
        ("expirationYear", "2028"),
        ("expirationMonth", "6"),
        ("certUrl", "https://c.example/c/abc"),
        ("certId", "urn:uuid:1"),
    ]
    bare = linkedin_add_to_profile_url(
        name="x", organization_name="y", issued=None, cert_url="https://c", cert_id="z"
    )
    assert "issueYear" not in bare and "expirationYear" not in bare


def test_checks_are_grouped_by_family_with_what_to_do() -> None:
    report = VerificationReport.from_checks(
        [
            CheckResult.passed("structure.object", "ok"),
            CheckResult.passed("structure.type", "ok"),
            CheckResult.failed("proof.signature_invalid", "changed"),
            CheckResult.warning("eu.elements", "missing ECTS"),
            CheckResult.skipped("anchor", "none"),
        ]
    )
    verdict = explain_report(report)
    assert verdict.kind == "not-verified"
    assert verdict.summary == "Do not rely on this credential. changed"
    groups = {g.family: g for g in verdict.groups}
    assert [g.family for g in verdict.groups] == ["structure", "proof", "eu", "anchor"]
    assert groups["structure"].outcome == "passed" and groups["structure"].todo is None
    assert groups["proof"].outcome == "failed" and groups["proof"].todo
    assert groups["eu"].outcome == "warning" and "ECTS credits" in (groups["eu"].todo or "")
    assert groups["anchor"].outcome == "skipped"


@pytest.mark.parametrize(
    ("checks", "kind"),
    [
        ([CheckResult.passed("proof.verified", "ok")], "verified"),
        (
            [CheckResult.passed("proof.verified", "ok"), CheckResult.warning("eu.elements", "n")],
            "verified-with-notes",
        ),
        ([CheckResult.failed("structure.object", "not an object")], "unreadable"),
    ],
)
def test_verdict_kinds(checks: list[CheckResult], kind: str) -> None:
    assert explain_report(VerificationReport.from_checks(checks)).kind == kind
