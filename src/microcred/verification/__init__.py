"""Verification: every check yields a result; the verifier returns a report.

See ``docs/verification.md`` for every check code.
"""

from microcred.verification.checks.base import Check, CheckContext
from microcred.verification.report import CheckFailed, CheckResult, Outcome, VerificationReport
from microcred.verification.verifier import Verifier

__all__ = [
    "Check",
    "CheckContext",
    "CheckFailed",
    "CheckResult",
    "Outcome",
    "VerificationReport",
    "Verifier",
]
