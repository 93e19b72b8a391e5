"""The console's pathway form: submitted fields -> the API's pathway JSON, and back.

The form has one row per part (repeated fields ``part_key``, ``part_label``, ``part_kind``,
``part_definition``, ``part_value``, ``part_issuer``); a row with neither a label nor a value
is left out. ``part_kind`` says what satisfies the part: ``definition`` (one of this issuer's
definitions), ``achievement`` (an Open Badges achievement id), ``skill`` (an alignment or a
skill URI) or ``issuer`` (anything an issuer DID awarded). Every check is the service's
(:class:`~microcred.services.pathways.PathwayInput`); this module only reshapes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from microcred.services.pathways import PathwayInfo
from microcred.web.routes_console_base import ConsoleForm

__all__ = ["BLANK_ROWS", "PartRow", "PathwayFormValues", "form_values", "info_values", "rule_body"]

#: empty part rows offered below the filled ones (the form works without scripts)
BLANK_ROWS: Final = 3

_KINDS: Final = ("definition", "achievement", "skill", "issuer")


@dataclass(frozen=True)
class PartRow:
    key: str = ""
    label: str = ""
    kind: str = "definition"
    definition: str = ""
    value: str = ""
    issuer: str = ""

    @property
    def blank(self) -> bool:
        return not (self.label or self.value or self.definition or self.issuer)


@dataclass(frozen=True)
class PathwayFormValues:
    """What the form shows (and what was submitted, to show again with an error)."""

    slug: str = ""
    name: str = ""
    description: str = ""
    target: str = ""
    how_many: str = "all"
    min_parts: str = ""
    min_ects: str = ""
    min_eqf: str = ""
    earned_from: str = ""
    earned_until: str = ""
    within_days: str = ""
    accept_unrecognised: bool = False
    requires_approval: bool = False
    active: bool = True
    parts: list[PartRow] = field(default_factory=list)

    def rows(self) -> list[PartRow]:
        return [*self.parts, *(PartRow() for _ in range(BLANK_ROWS))]


def form_values(form: ConsoleForm) -> PathwayFormValues:
    keys, labels = form.getlist("part_key"), form.getlist("part_label")
    kinds, definitions = form.getlist("part_kind"), form.getlist("part_definition")
    values, issuers = form.getlist("part_value"), form.getlist("part_issuer")
    count = max(len(labels), len(kinds), len(values), len(definitions), len(issuers), 0)

    def at(items: list[str], index: int) -> str:
        return items[index] if index < len(items) else ""

    rows = [
        PartRow(
            key=at(keys, i),
            label=at(labels, i),
            kind=at(kinds, i) if at(kinds, i) in _KINDS else "definition",
            definition=at(definitions, i),
            value=at(values, i),
            issuer=at(issuers, i),
        )
        for i in range(count)
    ]
    return PathwayFormValues(
        slug=form.get("slug"),
        name=form.get("name"),
        description=form.get("description"),
        target=form.get("target"),
        how_many="some" if form.get("how_many") == "some" else "all",
        min_parts=form.get("min_parts"),
        min_ects=form.get("min_ects"),
        min_eqf=form.get("min_eqf"),
        earned_from=form.get("earned_from"),
        earned_until=form.get("earned_until"),
        within_days=form.get("within_days"),
        accept_unrecognised=form.get("accept_unrecognised") == "on",
        requires_approval=form.get("requires_approval") == "on",
        active=form.get("active", "on") == "on",
        parts=[row for row in rows if not row.blank],
    )


def info_values(info: PathwayInfo) -> PathwayFormValues:
    rule = info.rule
    parts = []
    for part in rule.parts:
        if part.definition_id is not None:
            row = PartRow(part.key, part.label, "definition", definition=str(part.definition_id))
        elif part.achievement_id is not None:
            row = PartRow(part.key, part.label, "achievement", value=str(part.achievement_id))
        elif part.alignment is not None:
            row = PartRow(part.key, part.label, "skill", value=str(part.alignment))
        else:
            row = PartRow(part.key, part.label, "issuer")
        if part.issuer_did:
            row = PartRow(row.key, row.label, row.kind, row.definition, row.value, part.issuer_did)
        parts.append(row)
    return PathwayFormValues(
        slug=info.slug,
        name=info.name,
        description=info.description or "",
        target=str(info.target_definition_id),
        how_many="all" if rule.min_parts is None else "some",
        min_parts="" if rule.min_parts is None else str(rule.min_parts),
        min_ects="" if rule.min_ects is None else str(rule.min_ects),
        min_eqf="" if rule.min_eqf_level is None else str(rule.min_eqf_level),
        earned_from=rule.earned_from.date().isoformat() if rule.earned_from else "",
        earned_until=rule.earned_until.date().isoformat() if rule.earned_until else "",
        within_days="" if rule.within_days is None else str(rule.within_days),
        accept_unrecognised=rule.accept_unrecognised,
        requires_approval=info.requires_approval,
        active=info.active,
        parts=parts,
    )


def _number(text: str) -> int | str:
    """Whole numbers as numbers; anything else as text for the validator to refuse."""
    return int(text) if text.isdigit() else text


def _moment(text: str) -> str:
    """A date from a date field as the start of that day in UTC; other text unchanged."""
    return f"{text}T00:00:00Z" if len(text) == 10 and text[4] == "-" else text


def rule_body(values: PathwayFormValues) -> dict[str, Any]:
    """The rule as the API's JSON (validated by the service)."""
    parts: list[dict[str, Any]] = []
    used: set[str] = {row.key for row in values.parts if row.key}
    for index, row in enumerate(values.parts, start=1):
        key = row.key
        if not key:
            key = f"part-{index}"
            while key in used:
                key += "x"
            used.add(key)
        part: dict[str, Any] = {"key": key, "label": row.label or row.value or key}
        if row.kind == "definition":
            part["definitionId"] = row.definition
        elif row.kind == "achievement":
            part["achievementId"] = row.value
        elif row.kind == "skill":
            part["alignment"] = row.value
        if row.issuer and row.kind != "definition":
            part["issuerDid"] = row.issuer
        parts.append(part)
    rule: dict[str, Any] = {"parts": parts}
    if values.how_many == "some":
        rule["minParts"] = _number(values.min_parts) if values.min_parts else 0
    if values.min_ects:
        rule["minEcts"] = values.min_ects
    if values.min_eqf:
        rule["minEqfLevel"] = _number(values.min_eqf)
    if values.earned_from:
        rule["earnedFrom"] = _moment(values.earned_from)
    if values.earned_until:
        rule["earnedUntil"] = _moment(values.earned_until)
    if values.within_days:
        rule["withinDays"] = _number(values.within_days)
    if values.accept_unrecognised:
        rule["acceptUnrecognised"] = True
    return rule
