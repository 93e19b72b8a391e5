"""Plain-language explanations of verification checks, for the verifier and credential pages.

Each check of a :class:`~microcred.verification.report.VerificationReport` already carries a
message written for a non-expert. The pages add, per check *family* (the part of the code
before the first dot), what the check is about and — for a failure or a warning — what the
reader can do about it. Families follow docs/verification.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from microcred.verification.report import CheckResult, Outcome, VerificationReport

__all__ = ["CheckGroup", "ExplainedCheck", "Verdict", "explain_report", "family_of"]


@dataclass(frozen=True, slots=True)
class _Family:
    title: str
    about: str
    todo: str


_FAMILIES: Final[dict[str, _Family]] = {
    "structure": _Family(
        "Format",
        "Whether the file is a credential at all, written the way the W3C Verifiable "
        "Credentials standard requires.",
        "Make sure you were given the credential file itself (JSON, or a badge image with the "
        "credential inside), not a web page, a screenshot or a PDF. Ask the holder or the "
        "issuer for the original file.",
    ),
    "jsonld": _Family(
        "Vocabulary",
        "Whether every field uses a published vocabulary this verifier knows, so that the "
        "signature covers everything the credential says.",
        "The credential uses a vocabulary this verifier does not know, or fields no vocabulary "
        "defines. Ask the issuer which standard it follows; fields outside the signature cannot "
        "be trusted.",
    ),
    "schema": _Family(
        "Open Badges",
        "Whether a badge has every field the Open Badges 3.0 standard requires.",
        "Tell the issuer: their badge is missing required information. The rest of the report "
        "still says whether it is genuine.",
    ),
    "proof": _Family(
        "Signature",
        "Whether the digital signature is valid: it proves who issued the credential and that "
        "nothing in it changed since it was signed.",
        "Do not rely on this credential: it was changed after it was signed, or the signature "
        "is damaged or of an unknown kind. Ask the holder for the original file, or ask the "
        "issuer to confirm it.",
    ),
    "issuer": _Family(
        "Issuer",
        "Whether the key that signed the credential really belongs to the issuer it names.",
        "Anyone can write an issuer's name into a file; only the issuer's key proves it. "
        "Contact the issuer through their official website to confirm the credential.",
    ),
    "dates": _Family(
        "Validity dates",
        "Whether the credential is valid today: not before its start date, not after its "
        "expiry date.",
        "An expired or not-yet-valid credential may still show what the person achieved at the "
        "time; ask the holder for a current one if you need it to be valid now.",
    ),
    "eu": _Family(
        "EU standard",
        "Whether the micro-credential states every element the EU Council Recommendation on "
        "micro-credentials (2022/C 243/02) requires: learning outcomes, workload, level, "
        "assessment, participation, quality assurance.",
        "Missing elements do not make a credential false, but you may need to ask the issuer for "
        "them (for example the ECTS credits or the EQF level) before recognising it.",
    ),
    "status": _Family(
        "Revocation",
        "Whether the issuer has revoked or suspended the credential, checked privately against "
        "the issuer's published status list.",
        "A revoked credential is no longer backed by its issuer. A suspended one may be "
        "reinstated. Contact the issuer if you need to know why. If the list could not be "
        "read, try again later.",
    ),
    "anchor": _Family(
        "Blockchain anchor",
        "Whether the credential was recorded on a public ledger, which proves it existed, "
        "unchanged, at that time — independently of the issuer.",
        "The credential does not match its ledger record, or the record could not be read. If "
        "the record could not be read, try again later; otherwise ask the issuer.",
    ),
    "endorsement": _Family(
        "Endorsements",
        "Third parties (industry partners, associations) that vouch for the badge or its "
        "issuer: each endorsement is a signed credential of its own, checked like the badge.",
        "An endorsement that fails was changed, forged or moved from another badge: do not rely "
        "on it. An expired or withdrawn one only means the endorser no longer vouches for it.",
    ),
    "clr": _Family(
        "Learner record",
        "A learner record (CLR 2.0 transcript) bundles several credentials; each one inside is "
        "checked on its own, and the record's own signature covers the whole bundle.",
        "Look at which credential of the record failed: the others may still be genuine. Ask "
        "the holder for the original files, or the issuer to confirm.",
    ),
    "embedded": _Family(
        "Nested credentials",
        "Credentials carried inside this credential (endorsements, the credentials of a record).",
        "The document nests credentials too deeply or carries too many of them to be checked.",
    ),
    "elm": _Family(
        "European Digital Credential",
        "Whether a European Digital Credential (the EU's Europass format, ELM v3) states the "
        "elements of the EU standard for micro-credentials, and whether it is sealed: an EDC "
        "sealed by an institution carries an electronic seal made with a qualified eIDAS "
        "certificate. Sealed with an eIDAS certificate — seal not checked here: checking a "
        "seal needs the certificate chain and the EU trusted lists, which this verifier does "
        "not use.",
        "For a sealed credential, open the original file in the EU's European Digital "
        "Credentials viewer (Europass), which checks eIDAS seals, or ask the issuer to confirm "
        "it. Missing EU elements do not make a credential false; ask the issuer for them if you "
        "need them.",
    ),
    "presentation": _Family(
        "Presentation",
        "A presentation bundles several credentials; each one inside is checked on its own.",
        "Check the credentials inside one by one; an unsigned presentation shows the "
        "credentials but not who presented them.",
    ),
}
_UNKNOWN: Final = _Family("Other check", "A further check of the verifier.", "Ask the issuer.")
_OUTCOME_LABELS: Final = {
    Outcome.PASSED: "Passed",
    Outcome.FAILED: "Failed",
    Outcome.WARNING: "Note",
    Outcome.SKIPPED: "Not checked",
}


def family_of(code: str) -> str:
    return code.split(".", 1)[0]


@dataclass(frozen=True, slots=True)
class ExplainedCheck:
    code: str
    outcome: str
    outcome_label: str
    family: str
    family_title: str
    message: str
    about: str
    todo: str | None
    details: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class CheckGroup:
    """The checks of one family, shown together: its worst outcome, what it is about, and what
    to do when one of them failed or left a note."""

    family: str
    title: str
    outcome: str
    outcome_label: str
    about: str
    todo: str | None
    checks: Sequence[ExplainedCheck]


_SEVERITY: Final = {
    Outcome.FAILED.value: 3,
    Outcome.WARNING.value: 2,
    Outcome.PASSED.value: 1,
    Outcome.SKIPPED.value: 0,
}


def _groups(checks: Sequence[ExplainedCheck]) -> list[CheckGroup]:
    order: list[str] = []
    members: dict[str, list[ExplainedCheck]] = {}
    for check in checks:
        if check.family not in members:
            order.append(check.family)
            members[check.family] = []
        members[check.family].append(check)
    groups = []
    for family in order:
        items = members[family]
        worst = max(items, key=lambda c: _SEVERITY[c.outcome])
        info = _FAMILIES.get(family, _UNKNOWN)
        groups.append(
            CheckGroup(
                family=family,
                title=info.title,
                outcome=worst.outcome,
                outcome_label=worst.outcome_label,
                about=info.about,
                todo=info.todo if worst.outcome in ("failed", "warning") else None,
                checks=items,
            )
        )
    return groups


@dataclass(frozen=True, slots=True)
class Verdict:
    """The overall answer: ``kind`` is verified / verified-with-notes / not-verified /
    unreadable (CSS and tests key on it)."""

    kind: str
    headline: str
    summary: str
    checks: Sequence[ExplainedCheck]
    groups: Sequence[CheckGroup]
    counts: Mapping[str, int]
    credentials: Sequence[Verdict]


def _explain(check: CheckResult) -> ExplainedCheck:
    family = family_of(check.code)
    info = _FAMILIES.get(family, _UNKNOWN)
    todo = info.todo if check.outcome in (Outcome.FAILED, Outcome.WARNING) else None
    return ExplainedCheck(
        code=check.code,
        outcome=check.outcome.value,
        outcome_label=_OUTCOME_LABELS[check.outcome],
        family=family,
        family_title=info.title,
        message=check.message,
        about=info.about,
        todo=todo,
        details=check.details,
    )


def _sealed(report: VerificationReport) -> bool:
    """A JAdES/JWS-sealed EDC whose only failures are the ones the seal explains (no proof
    of ours, its vocabulary): the seal is what vouches for it, and it is not checked here."""
    if not any(c.code == "elm.seal" and c.outcome is Outcome.WARNING for c in report.checks):
        return False
    return all(family_of(c.code) in ("proof", "jsonld", "issuer") for c in report.failures)


def explain_report(report: VerificationReport) -> Verdict:
    """The verdict and every check, explained (recursively for a presentation's credentials)."""
    checks = [_explain(c) for c in report.checks]
    what = "presentation" if report.kind == "presentation" else "credential"
    problem = report.input_problem()
    if problem is not None:
        kind = "unreadable"
        headline = "Cannot be checked"
        summary = problem.message
    elif report.verified and not report.warnings:
        kind = "verified"
        headline = "Verified"
        summary = f"Every check passed: this {what} is genuine, unchanged and currently valid."
    elif report.verified:
        kind = "verified-with-notes"
        headline = "Verified, with notes"
        summary = (
            f"This {what} is genuine and valid; read the notes below ({len(report.warnings)})."
        )
    elif _sealed(report):
        kind = "not-verified"
        headline = "Sealed — seal not checked here"
        summary = (
            "Sealed with an eIDAS certificate — seal not checked here. This European Digital "
            "Credential carries an electronic seal this verifier cannot check; open the file "
            "in the EU's European Digital Credentials viewer (Europass) to check the seal, or "
            "ask the issuer. The EU elements it states are shown below."
        )
    else:
        kind = "not-verified"
        headline = "Not verified"
        first = report.failures[0].message if report.failures else ""
        summary = f"Do not rely on this {what}. {first}".strip()
    return Verdict(
        kind=kind,
        headline=headline,
        summary=summary,
        checks=checks,
        groups=_groups(checks),
        counts=report.counts(),
        credentials=[explain_report(r) for r in report.credentials],
    )
