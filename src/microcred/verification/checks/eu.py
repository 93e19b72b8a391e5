"""EU micro-credential completeness (Council Recommendation 2022/C 243/02, Annex I).

A credential that carries ``euStandardElements`` in its achievement (our extension
context, see ``docs/eu-standard-elements.md``) is checked for the mandatory Annex I
elements with :func:`microcred.model.compliance.compliance_report`. Completeness is
information for the reader, not a matter of authenticity: a missing element is a
*warning*, never a failure. Credentials without the elements are reported as skipped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from microcred.errors import InvalidInput
from microcred.model.compliance import compliance_report
from microcred.model.openbadges import Achievement, Profile
from microcred.verification import codes
from microcred.verification.checks.base import CheckContext
from microcred.verification.report import CheckResult

__all__ = ["EUElementsCheck"]


def _achievement(credential: Mapping[str, Any]) -> Mapping[str, Any] | None:
    subject = credential.get("credentialSubject")
    if isinstance(subject, list) and subject:
        subject = subject[0]
    if not isinstance(subject, Mapping):
        return None
    achievement = subject.get("achievement")
    return achievement if isinstance(achievement, Mapping) else None


class EUElementsCheck:
    """``eu.elements``: are all mandatory EU standard elements stated?"""

    family = codes.FAMILY_EU

    def run(self, credential: Mapping[str, Any], context: CheckContext) -> Sequence[CheckResult]:
        code = codes.EU_ELEMENTS
        raw = _achievement(credential)
        if raw is None or "euStandardElements" not in raw:
            return [
                CheckResult.skipped(
                    code,
                    "The credential does not state the EU micro-credential standard elements.",
                )
            ]
        issuer_raw = credential.get("issuer")
        try:
            achievement = Achievement.from_json(dict(raw))
            issuer = (
                Profile.from_json(dict(issuer_raw)) if isinstance(issuer_raw, Mapping) else None
            )
        except InvalidInput as error:
            return [
                CheckResult.warning(
                    code,
                    "The credential states EU standard elements, but they could not be read.",
                    problem=error.detail,
                )
            ]
        report = compliance_report(achievement, issuer)
        findings = [f.to_json() for f in report.findings]
        missing = [f.element for f in report.findings if f.blocking]
        if missing:
            return [
                CheckResult.warning(
                    code,
                    "This micro-credential does not state every element the EU standard "
                    f"requires; missing: {', '.join(missing)}.",
                    findings=findings,
                )
            ]
        return [
            CheckResult.passed(
                code,
                "This micro-credential states every element the EU standard requires "
                "(learning outcomes, workload, level, assessment, participation, quality "
                "assurance...).",
                findings=findings,
            )
        ]
