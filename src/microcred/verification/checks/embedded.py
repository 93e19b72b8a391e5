"""Credentials inside a credential: endorsements and the credentials of a CLR.

Open Badges 3.0 allows an ``endorsement`` array (signed ``EndorsementCredential``s) on the
credential itself, on its ``Achievement``, on the achievement's ``creator`` and on the
``issuer`` ``Profile``. Each endorsement is a credential of its own: the verifier verifies it
in full and reports one ``endorsement`` result per endorsement; an endorsement must be about
the object it is attached to (its ``credentialSubject.id`` equals that object's ``id``), so
one cannot be moved onto another badge.

CLR 2.0 (``ClrCredential``): the record's own proof covers the bundle, and each credential in
``credentialSubject.verifiableCredential`` is verified on its own and reported as one
``clr.credential`` result.

This module only finds the embedded credentials; :class:`~microcred.verification.verifier.
Verifier` verifies them (it needs itself to do so) and builds the results with the helpers
below.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from microcred.verification import codes
from microcred.verification.checks.base import as_list, issuer_id, type_values
from microcred.verification.report import CheckResult, VerificationReport

__all__ = [
    "MAX_EMBEDDED",
    "MAX_NESTING",
    "EmbeddedEndorsement",
    "clr_credentials",
    "clr_result",
    "endorsement_result",
    "find_endorsements",
    "is_clr",
]

#: How deep credentials may nest (an endorsement of a badge inside a CLR is depth 2).
MAX_NESTING = 3
#: The most embedded credentials one document may carry (each is verified in full).
MAX_EMBEDDED = 200


@dataclass(frozen=True, slots=True)
class EmbeddedEndorsement:
    """One endorsement found in a credential, and what it is attached to."""

    where: str
    attached_to: str | None
    document: Any


def _from(node: Any, where: str) -> list[EmbeddedEndorsement]:
    if not isinstance(node, Mapping):
        return []
    target = node.get("id") if isinstance(node.get("id"), str) else None
    return [EmbeddedEndorsement(where, target, e) for e in as_list(node.get("endorsement"))]


def find_endorsements(credential: Mapping[str, Any]) -> list[EmbeddedEndorsement]:
    """Every endorsement of ``credential``: on itself, its issuer, achievements and creators."""
    found = _from(credential, "credential")
    issuer = credential.get("issuer")
    found += _from(issuer, "issuer")
    for index, subject in enumerate(as_list(credential.get("credentialSubject"))):
        if not isinstance(subject, Mapping):
            continue
        prefix = "credentialSubject" if index == 0 else f"credentialSubject[{index}]"
        achievement = subject.get("achievement")
        for a_index, item in enumerate(as_list(achievement)):
            where = (
                f"{prefix}.achievement"
                if not isinstance(achievement, list)
                else (f"{prefix}.achievement[{a_index}]")
            )
            found += _from(item, where)
            if isinstance(item, Mapping):
                found += _from(item.get("creator"), f"{where}.creator")
    return found


def is_clr(credential: Mapping[str, Any]) -> bool:
    return "ClrCredential" in type_values(credential)


def clr_credentials(credential: Mapping[str, Any]) -> list[Any]:
    """The credentials a ``ClrCredential`` bundles (``credentialSubject.verifiableCredential``)."""
    bundled: list[Any] = []
    for subject in as_list(credential.get("credentialSubject")):
        if isinstance(subject, Mapping):
            bundled += as_list(subject.get("verifiableCredential"))
    return bundled


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _issuer_name(document: Mapping[str, Any]) -> str | None:
    issuer = document.get("issuer")
    return _text(issuer.get("name")) if isinstance(issuer, Mapping) else None


def endorsement_result(
    index: int, found: EmbeddedEndorsement, report: VerificationReport | None
) -> CheckResult:
    """The ``endorsement`` result of one endorsement (``report`` None: not a credential)."""
    doc = found.document if isinstance(found.document, Mapping) else {}
    subject = next((s for s in as_list(doc.get("credentialSubject")) if isinstance(s, Mapping)), {})
    endorser = issuer_id(doc)
    name = _issuer_name(doc)
    who = name or endorser or "an unnamed endorser"
    details: dict[str, Any] = {
        "index": index,
        "where": found.where,
        "id": _text(doc.get("id")),
        "endorser": endorser,
        "endorserName": name,
        "subject": _text(subject.get("id")),
        "comment": _text(subject.get("endorsementComment")),
        "validFrom": _text(doc.get("validFrom")),
        "validUntil": _text(doc.get("validUntil")),
        "verified": bool(report and report.verified),
        "failed": [c.code for c in report.failures] if report else [],
    }
    label = f"Endorsement {index + 1} by {who} (on the {found.where})"
    code = codes.ENDORSEMENT
    if report is None or "EndorsementCredential" not in type_values(doc):
        return CheckResult.failed(code, f"{label} is not an EndorsementCredential.", **details)
    if not report.verified:
        reason = report.failures[0].message if report.failures else "it did not verify"
        return CheckResult.failed(code, f"{label} did not verify: {reason}", **details)
    if found.attached_to is not None and details["subject"] != found.attached_to:
        return CheckResult.failed(
            code,
            f"{label} is about {details['subject']}, not about the object it is attached "
            f"to ({found.attached_to}): it was moved from somewhere else.",
            **details,
        )
    return CheckResult.passed(code, f"{label} verified.", **details)


def clr_result(index: int, entry: Any, report: VerificationReport | None) -> CheckResult:
    """The ``clr.credential`` result of the ``index``-th credential of a CLR."""
    ident = _text(entry.get("id")) if isinstance(entry, Mapping) else None
    name = _text(entry.get("name")) if isinstance(entry, Mapping) else None
    label = f"Credential {index + 1}" + (f" ({name or ident})" if (name or ident) else "")
    details: dict[str, Any] = {
        "index": index,
        "id": ident,
        "name": name,
        "verified": bool(report and report.verified),
        "failed": [c.code for c in report.failures] if report else [],
    }
    if report is None:
        return CheckResult.failed(
            codes.CLR_CREDENTIAL, f"{label} of the record is not a credential.", **details
        )
    if report.verified:
        return CheckResult.passed(
            codes.CLR_CREDENTIAL, f"{label} of the record verified.", **details
        )
    reason = report.failures[0].message if report.failures else "it did not verify"
    return CheckResult.failed(
        codes.CLR_CREDENTIAL, f"{label} of the record did not verify: {reason}", **details
    )
