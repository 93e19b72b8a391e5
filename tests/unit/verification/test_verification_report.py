"""VerificationReport / CheckResult: verdict, JSON shape, input problems."""

from __future__ import annotations

import json

import pytest

from microcred.verification import codes
from microcred.verification.report import CheckFailed, CheckResult, Outcome, VerificationReport


def test_outcome_values_are_the_documented_words() -> None:
    assert [o.value for o in Outcome] == ["passed", "failed", "warning", "skipped"]


def test_verified_means_no_check_failed() -> None:
    ok = VerificationReport.from_checks(
        [
            CheckResult.passed("a", "fine"),
            CheckResult.warning("b", "careful"),
            CheckResult.skipped("c", "n/a"),
        ]
    )
    assert ok.verified is True
    bad = VerificationReport.from_checks(
        [CheckResult.passed("a", "x"), CheckResult.failed("b", "y")]
    )
    assert bad.verified is False
    assert [c.code for c in bad.failures] == ["b"]


def test_presentation_fails_when_an_embedded_credential_fails() -> None:
    inner = VerificationReport.from_checks([CheckResult.failed("proof.signature_invalid", "no")])
    outer = VerificationReport.from_checks(
        [CheckResult.passed("presentation.type", "ok")], kind="presentation", credentials=[inner]
    )
    assert outer.verified is False
    data = outer.to_json()
    assert data["credentials"][0]["verified"] is False


def test_to_json_shape_is_plain_json() -> None:
    report = VerificationReport.from_checks(
        [CheckResult.failed("dates.valid-until", "This credential expired.", validUntil="x")],
        summary={"id": "urn:uuid:1"},
    )
    data = json.loads(json.dumps(report.to_json()))
    assert data["verified"] is False
    assert data["kind"] == "credential"
    assert data["summary"] == {"id": "urn:uuid:1"}
    assert data["counts"] == {"passed": 0, "failed": 1, "warning": 0, "skipped": 0}
    assert data["checks"] == [
        {
            "code": "dates.valid-until",
            "outcome": "failed",
            "message": "This credential expired.",
            "details": {"validUntil": "x"},
        }
    ]
    assert "credentials" not in data


def test_check_failed_becomes_a_failed_result() -> None:
    failure = CheckFailed("structure.issuer", "No issuer.", field="issuer")
    result = failure.to_result()
    assert result == CheckResult(
        "structure.issuer", Outcome.FAILED, "No issuer.", {"field": "issuer"}
    )


@pytest.mark.parametrize(
    "code",
    [codes.STRUCTURE_OBJECT, codes.STRUCTURE_TYPE, codes.JSONLD_CONTEXTS, codes.PRESENTATION_TYPE],
)
def test_input_problem_names_unreadable_inputs(code: str) -> None:
    report = VerificationReport.from_checks(
        [CheckResult.failed("proof.signature_invalid", "x"), CheckResult.failed(code, "unreadable")]
    )
    problem = report.input_problem()
    assert problem is not None and problem.code == code


def test_ordinary_failures_are_not_input_problems() -> None:
    report = VerificationReport.from_checks([CheckResult.failed("proof.signature_invalid", "x")])
    assert report.input_problem() is None
