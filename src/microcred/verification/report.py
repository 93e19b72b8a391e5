"""Verification reports: one result per check, never a bare boolean.

A :class:`VerificationReport` lists every check the verifier ran, each as a
:class:`CheckResult` with a stable ``code``, an :class:`Outcome`, a plain-language
``message`` written for a non-expert (an employer reading the verdict) and
``details`` carrying the technical data (URLs, key ids, timestamps).

``verified`` is true exactly when no check failed: warnings and skipped checks do
not make a credential unverified.

Inside a check, a problem is signalled by raising :class:`CheckFailed`; the verifier
turns it into a failed :class:`CheckResult`. :class:`CheckFailed` never escapes the
verifier.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from microcred.verification.codes import UNREADABLE_INPUT_CODES

__all__ = ["CheckFailed", "CheckResult", "Outcome", "VerificationReport"]


class Outcome(StrEnum):
    """How one check ended."""

    PASSED = "passed"
    FAILED = "failed"
    WARNING = "warning"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The result of one check.

    ``code`` is stable (scripts and translations key on it, see
    ``docs/verification.md``); ``message`` is plain language; ``details`` is
    JSON-serialisable technical data.
    """

    code: str
    outcome: Outcome
    message: str
    details: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def passed(cls, code: str, message: str, **details: Any) -> CheckResult:
        return cls(code, Outcome.PASSED, message, details)

    @classmethod
    def failed(cls, code: str, message: str, **details: Any) -> CheckResult:
        return cls(code, Outcome.FAILED, message, details)

    @classmethod
    def warning(cls, code: str, message: str, **details: Any) -> CheckResult:
        return cls(code, Outcome.WARNING, message, details)

    @classmethod
    def skipped(cls, code: str, message: str, **details: Any) -> CheckResult:
        return cls(code, Outcome.SKIPPED, message, details)

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "outcome": self.outcome.value,
            "message": self.message,
            "details": dict(self.details),
        }


class CheckFailed(Exception):  # noqa: N818 - the name is the pattern STYLE.md describes
    """Raised inside a check to report that it failed; never escapes the verifier."""

    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details: dict[str, Any] = details

    def to_result(self) -> CheckResult:
        return CheckResult(self.code, Outcome.FAILED, self.message, self.details)


@dataclass(frozen=True, slots=True)
class VerificationReport:
    """Every check run on one credential (or presentation) and the verdict.

    ``summary`` describes what was verified (id, issuer, name, ...), for display;
    ``credentials`` holds the reports of the credentials embedded in a
    presentation or bundled in a CLR 2.0 record (empty for other credentials).
    """

    verified: bool
    checks: list[CheckResult]
    kind: str = "credential"
    summary: Mapping[str, Any] = field(default_factory=dict)
    credentials: list[VerificationReport] = field(default_factory=list)

    @classmethod
    def from_checks(
        cls,
        checks: Iterable[CheckResult],
        *,
        kind: str = "credential",
        summary: Mapping[str, Any] | None = None,
        credentials: Iterable[VerificationReport] = (),
    ) -> VerificationReport:
        """Build a report whose verdict is "no check failed"."""
        results = list(checks)
        embedded = list(credentials)
        verified = all(c.outcome is not Outcome.FAILED for c in results) and all(
            r.verified for r in embedded
        )
        return cls(verified, results, kind, dict(summary or {}), embedded)

    def with_outcome(self, outcome: Outcome) -> list[CheckResult]:
        """The checks that ended with ``outcome``, in report order."""
        return [c for c in self.checks if c.outcome is outcome]

    @property
    def failures(self) -> list[CheckResult]:
        return self.with_outcome(Outcome.FAILED)

    @property
    def warnings(self) -> list[CheckResult]:
        return self.with_outcome(Outcome.WARNING)

    def input_problem(self) -> CheckResult | None:
        """The first failed check saying the input cannot be evaluated at all.

        That is: not a JSON object, not a credential (or presentation), or a
        JSON-LD context this verifier does not know. Shells report these as
        unreadable input rather than as an unverified credential.
        """
        for check in self.failures:
            if check.code in UNREADABLE_INPUT_CODES:
                return check
        return None

    def counts(self) -> dict[str, int]:
        """How many checks ended with each outcome (every outcome present)."""
        tally = {o.value: 0 for o in Outcome}
        for check in self.checks:
            tally[check.outcome.value] += 1
        return tally

    def to_json(self) -> dict[str, Any]:
        """The report as JSON: ``{"verified", "kind", "summary", "counts", "checks", ...}``."""
        data: dict[str, Any] = {
            "verified": self.verified,
            "kind": self.kind,
            "summary": dict(self.summary),
            "counts": self.counts(),
            "checks": [c.to_json() for c in self.checks],
        }
        if self.kind == "presentation" or self.credentials:
            data["credentials"] = [r.to_json() for r in self.credentials]
        return data
