"""What a credential says, read defensively from its JSON for people to read.

:func:`describe_credential` turns any JSON value — ours, another issuer's, or hostile — into a
:class:`CredentialDescription` of plain strings: the achievement, the issuer, the dates, the
EU micro-credential standard elements (Council Recommendation 2022/C 243/02, Annex I, as the
microcred EU extension states them), results and skill alignments. Nothing here trusts the
input: missing or oddly typed fields become ``None`` or are left out, long strings are cut,
and only ``http``/``https`` addresses are kept as links (:func:`safe_link`), so a
``javascript:`` URL in a credential never becomes a clickable link.

It does not verify anything; :mod:`microcred.verification` does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final
from urllib.parse import urlsplit

__all__ = [
    "ANCHOR_CRYPTOSUITE",
    "CredentialDescription",
    "Fact",
    "LinkedText",
    "describe_credential",
    "format_date",
    "parse_datetime",
    "safe_link",
]

ANCHOR_CRYPTOSUITE: Final = "microcred-merkle-2026"
_ECTS: Final = "http://data.europa.eu/snb/education-credit/6fcec5c5af"
_EQF = re.compile(r"^http://data\.europa\.eu/snb/eqf/([1-8])$")
_DURATION = re.compile(
    r"^P(?:(?P<days>\d+(?:\.\d+)?)D)?(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?"
    r"(?:(?P<minutes>\d+(?:\.\d+)?)M)?)?$"
)
_MAX_TEXT: Final = 2000
_MAX_ITEMS: Final = 50
_MONTHS: Final = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_PARTICIPATION: Final = {
    "online": "Online",
    "onsite": "On site",
    "blended": "Blended (online and on site)",
}
_SUPERVISION: Final = {
    "unsupervised-no-id-verification": "Unsupervised, without identity verification",
    "supervised-no-id-verification": "Supervised, without identity verification",
    "supervised-with-id-verification": "Supervised (online or on site) with identity verification",
}
_CYCLES: Final = {
    "short": "Short cycle",
    "first": "First cycle (bachelor)",
    "second": "Second cycle (master)",
    "third": "Third cycle (doctorate)",
}


@dataclass(frozen=True, slots=True)
class LinkedText:
    """A text with an optional safe ``http(s)`` link."""

    text: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Fact:
    """One labelled line of the description (e.g. "Form of participation": "Online")."""

    label: str
    values: tuple[LinkedText, ...]


@dataclass(frozen=True)
class CredentialDescription:
    """The human-readable content of a credential (every field optional)."""

    credential_id: str | None = None
    name: str | None = None
    types: tuple[str, ...] = ()
    achievement_name: str | None = None
    achievement_description: str | None = None
    achievement_type: str | None = None
    criteria: str | None = None
    criteria_url: str | None = None
    image_caption: str | None = None
    issuer_id: str | None = None
    issuer_name: str | None = None
    issuer_url: str | None = None
    issuer_country: str | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    ects: str | None = None
    eqf_level: int | None = None
    workload: str | None = None
    learning_outcomes: tuple[str, ...] = ()
    eu_facts: tuple[Fact, ...] = ()
    results: tuple[Fact, ...] = ()
    alignments: tuple[LinkedText, ...] = ()
    evidence: tuple[LinkedText, ...] = ()
    has_eu_elements: bool = False
    subject_id: str | None = None
    identified_by_hash: bool = False
    anchored: bool = False

    @property
    def title(self) -> str:
        """What to call the credential: its achievement, its name, or a neutral word."""
        return self.achievement_name or self.name or "Credential"

    @property
    def level_line(self) -> str | None:
        """ "5 ECTS · EQF level 6 · 125 hours" (only the parts that are known)."""
        parts = []
        if self.ects:
            parts.append(f"{self.ects} ECTS")
        if self.eqf_level:
            parts.append(f"EQF level {self.eqf_level}")
        if self.workload:
            parts.append(self.workload)
        return " · ".join(parts) or None


# --------------------------------------------------------------------------- helpers


def _text(value: Any, limit: int = _MAX_TEXT) -> str | None:
    if isinstance(value, Mapping):
        # language maps / value objects: {"@value": ...} or {"en": ...}
        for key in ("@value", "en", "value"):
            if isinstance(value.get(key), str):
                value = value[key]
                break
    if not isinstance(value, str | int | float | Decimal) or isinstance(value, bool):
        return None
    text = " ".join(str(value).split())
    if not text:
        return None
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return items[:_MAX_ITEMS]


def _object(value: Any) -> Mapping[str, Any]:
    if isinstance(value, list) and value:
        value = value[0]
    return value if isinstance(value, Mapping) else {}


def safe_link(value: Any) -> str | None:
    """``value`` when it is an absolute ``http``/``https`` URL without user info, else None."""
    if not isinstance(value, str) or len(value) > 2048:
        return None
    text = value.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    if "@" in parts.netloc or any(ch.isspace() or ord(ch) < 32 for ch in text):
        return None
    return text


def parse_datetime(value: Any) -> datetime | None:
    """An aware datetime from an XML Schema dateTime string (UTC when no zone is given)."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def format_date(value: datetime | None) -> str:
    """ "29 November 2026" in UTC ("" for None); the same in every locale."""
    if value is None:
        return ""
    day = value.astimezone(UTC)
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _number(value: Any) -> str | None:
    text = _text(value, 32)
    if text is None:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if not number.is_finite() or number < 0:
        return None
    normal = number.normalize()
    return f"{normal:f}"


def _hours(duration: Any) -> str | None:
    if not isinstance(duration, str):
        return None
    match = _DURATION.match(duration.strip())
    if match is None:
        return None
    hours = Decimal(0)
    try:
        if match.group("days"):
            hours += Decimal(match.group("days")) * 24
        if match.group("hours"):
            hours += Decimal(match.group("hours"))
        if match.group("minutes"):
            hours += Decimal(match.group("minutes")) / 60
    except InvalidOperation:
        return None
    if hours <= 0:
        return None
    shown = f"{hours.quantize(Decimal('0.1')).normalize():f}"
    return f"{shown} hour" if shown == "1" else f"{shown} hours"


def _texts(values: Iterable[Any]) -> tuple[LinkedText, ...]:
    found: list[LinkedText] = []
    for value in values:
        if isinstance(value, Mapping):
            name = _text(value.get("name")) or _text(value.get("title"))
            link = safe_link(value.get("id")) or safe_link(value.get("url"))
            if name or link:
                found.append(LinkedText(name or link or "", link))
            continue
        text = _text(value)
        if text:
            found.append(LinkedText(text, safe_link(text)))
    return tuple(found)


def _fact(label: str, values: Iterable[Any]) -> Fact | None:
    texts = _texts(values)
    return Fact(label, texts) if texts else None


# --------------------------------------------------------------------------- describe


def _eu_facts(eu: Mapping[str, Any]) -> tuple[list[Fact], list[str]]:
    facts: list[Fact | None] = []
    outcomes = []
    for outcome in _list(eu.get("learningOutcome")):
        title = _text(outcome.get("title")) if isinstance(outcome, Mapping) else _text(outcome)
        if title:
            outcomes.append(title)
    participation = _text(eu.get("formOfParticipation"), 100)
    supervision = _text(eu.get("supervisionAndIdVerification"), 100)
    cycle = _text(eu.get("qfEheaCycle"), 40)
    facts.append(_fact("Type of assessment", _list(eu.get("assessmentType"))))
    facts.append(
        _fact(
            "Form of participation",
            [_PARTICIPATION.get(participation, participation)] if participation else [],
        )
    )
    facts.append(_fact("Quality assurance", _list(eu.get("qualityAssurance"))))
    facts.append(_fact("Awarding body", _list(eu.get("awardingBody"))))
    facts.append(_fact("Country of the issuer", _list(eu.get("issuerCountry"))))
    facts.append(_fact("Region of the issuer", _list(eu.get("issuerRegion"))))
    facts.append(_fact("QF-EHEA cycle", [_CYCLES.get(cycle, cycle)] if cycle else []))
    facts.append(_fact("Prerequisites", _list(eu.get("prerequisites"))))
    facts.append(
        _fact(
            "Supervision and identity verification",
            [_SUPERVISION.get(supervision, supervision)] if supervision else [],
        )
    )
    facts.append(_fact("Grading scheme", _list(eu.get("gradingScheme"))))
    stack = _text(eu.get("integrationStackability"), 100)
    facts.append(
        _fact(
            "Integration and stackability",
            [
                {"stackable": "Stackable", "stand-alone": "Stand-alone"}.get(stack, stack)
                if stack
                else None,
                *_list(eu.get("stackableTowards")),
            ],
        )
    )
    facts.append(_fact("Further information", _list(eu.get("furtherInformation"))))
    return [f for f in facts if f is not None], outcomes


def _ects(eu: Mapping[str, Any], achievement: Mapping[str, Any]) -> str | None:
    for credit in _list(eu.get("creditPoint")):
        if isinstance(credit, Mapping) and credit.get("framework", _ECTS) == _ECTS:
            value = _number(credit.get("point"))
            if value is not None:
                return value
    return _number(achievement.get("creditsAvailable"))


def _results(subject: Mapping[str, Any], achievement: Mapping[str, Any]) -> list[Fact]:
    names: dict[str, str] = {}
    for description in _list(achievement.get("resultDescription")):
        if isinstance(description, Mapping):
            key, name = description.get("id"), _text(description.get("name"), 200)
            if isinstance(key, str) and name:
                names[key] = name
    facts: list[Fact] = []
    for result in _list(subject.get("result")):
        if not isinstance(result, Mapping):
            continue
        value = _text(result.get("value"), 200) or _text(result.get("status"), 100)
        if value is None:
            continue
        ref = result.get("resultDescription")
        label = names.get(ref, "Result") if isinstance(ref, str) else "Result"
        facts.append(Fact(label, (LinkedText(value),)))
    return facts


def describe_credential(document: Any) -> CredentialDescription:
    """The human-readable content of ``document`` (see the module docstring)."""
    if not isinstance(document, Mapping):
        return CredentialDescription()
    subject = _object(document.get("credentialSubject"))
    achievement = _object(subject.get("achievement"))
    issuer_value = document.get("issuer")
    issuer = issuer_value if isinstance(issuer_value, Mapping) else {}
    issuer_id = _text(issuer.get("id") if issuer else issuer_value, 600)
    eu = _object(achievement.get("euStandardElements"))
    facts, outcomes = _eu_facts(eu)
    criteria = _object(achievement.get("criteria"))
    image = _object(achievement.get("image")) or _object(document.get("image"))
    address = _object(issuer.get("address"))
    eqf = _text(eu.get("eqfLevel"), 100)
    eqf_match = _EQF.match(eqf) if eqf else None
    types_value = document.get("type")
    types = tuple(t for t in _list(types_value) if isinstance(t, str))[:10]
    alignments = _texts(
        {"name": a.get("targetName"), "id": a.get("targetUrl")}
        for a in _list(achievement.get("alignment"))
        if isinstance(a, Mapping)
    )
    evidence = _texts(
        {"name": e.get("name") or e.get("narrative"), "id": e.get("id")}
        for e in _list(document.get("evidence"))
        if isinstance(e, Mapping)
    )
    proofs = _list(document.get("proof"))
    anchored = any(
        isinstance(p, Mapping) and p.get("cryptosuite") == ANCHOR_CRYPTOSUITE for p in proofs
    )
    identifiers = _list(subject.get("identifier"))
    return CredentialDescription(
        credential_id=_text(document.get("id"), 300),
        name=_text(document.get("name"), 300),
        types=types,
        achievement_name=_text(achievement.get("name"), 300),
        achievement_description=_text(achievement.get("description")),
        achievement_type=_text(achievement.get("achievementType"), 100),
        criteria=_text(criteria.get("narrative")),
        criteria_url=safe_link(criteria.get("id")),
        image_caption=_text(image.get("caption"), 300),
        issuer_id=issuer_id,
        issuer_name=_text(issuer.get("name"), 300),
        issuer_url=safe_link(issuer.get("url")),
        issuer_country=_text(address.get("addressCountryCode"), 10)
        or _text(address.get("addressCountry"), 100),
        valid_from=parse_datetime(document.get("validFrom") or document.get("issuanceDate")),
        valid_until=parse_datetime(document.get("validUntil") or document.get("expirationDate")),
        ects=_ects(eu, achievement),
        eqf_level=int(eqf_match.group(1)) if eqf_match else None,
        workload=_hours(eu.get("volumeOfLearning")),
        learning_outcomes=tuple(outcomes),
        eu_facts=tuple(facts),
        results=tuple(_results(subject, achievement)),
        alignments=alignments,
        evidence=evidence,
        has_eu_elements=bool(eu),
        subject_id=_text(subject.get("id"), 300),
        identified_by_hash=any(
            isinstance(i, Mapping) and i.get("hashed") is True for i in identifiers
        ),
        anchored=anchored,
    )
