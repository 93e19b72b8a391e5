"""Endorsements for people: what the credential pages show of the ``endorsement`` checks.

The verifier reports each endorsement of a credential as one ``endorsement`` check whose
details carry the endorser, the comment and where it is attached (docs/verification.md);
this turns them into plain rows for ``_credential.html``.
"""

from __future__ import annotations

from dataclasses import dataclass

from microcred.verification import codes
from microcred.verification.report import Outcome, VerificationReport

__all__ = ["EndorsementView", "endorsement_views"]


@dataclass(frozen=True, slots=True)
class EndorsementView:
    endorser: str
    endorser_id: str | None
    comment: str | None
    about: str
    verified: bool
    note: str


def _about(where: str) -> str:
    if where == "issuer":
        return "the issuer"
    if "creator" in where:
        return "the creator of the achievement"
    if "achievement" in where:
        return "this achievement"
    return "this credential"


def endorsement_views(report: VerificationReport) -> list[EndorsementView]:
    """One row per ``endorsement`` check of ``report``, in report order."""
    rows: list[EndorsementView] = []
    for check in report.checks:
        if check.code != codes.ENDORSEMENT:
            continue
        details = check.details
        name = details.get("endorserName") or details.get("endorser") or "An unnamed endorser"
        if check.outcome is Outcome.PASSED:
            note = "Verified"
        elif check.outcome is Outcome.WARNING:
            note = "No longer current"
        else:
            note = "Not verified"
        rows.append(
            EndorsementView(
                endorser=str(name),
                endorser_id=details.get("endorser"),
                comment=details.get("comment"),
                about=_about(str(details.get("where") or "")),
                verified=check.outcome is Outcome.PASSED,
                note=note,
            )
        )
    return rows
