"""Evaluate a pathway rule against what a learner holds -> :class:`Progress`.

The algorithm (deterministic, pure):

1. Items outside ``earnedFrom``/``earnedUntil`` or below ``minEqfLevel`` (or with no EQF level
   when one is required) are not eligible, nor are unrecognised external credentials unless
   the rule says ``acceptUnrecognised``.
2. Parts and eligible items form a bipartite graph (an item matches a part by its matcher).
   A maximum matching assigns each satisfied part one distinct item (Kuhn's augmenting paths;
   candidates are tried by ECTS descending, then earliest, then ``ref``), so one credential never
   counts twice and overlapping matchers cannot hide a possible completion.
3. ECTS total = the ECTS of the assigned items (an item without ECTS adds 0).
4. With ``withinDays`` every window ``[t, t + days]`` that starts at an eligible item's date is
   evaluated alone; the first window that meets the rule wins, else the one with the most
   parts, then the most ECTS.

The rule is met when at least ``required_parts`` parts are satisfied and the ECTS total reaches
``minEcts``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from microcred.pathways.holdings import HeldItem, ects_text
from microcred.pathways.rules import PartMatcher, PathwayRule

__all__ = ["PartProgress", "Progress", "evaluate", "matches"]


@dataclass(frozen=True)
class PartProgress:
    key: str
    label: str
    item: HeldItem | None

    @property
    def satisfied(self) -> bool:
        return self.item is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "satisfied": self.satisfied,
            "item": self.item.to_json() if self.item is not None else None,
        }


@dataclass(frozen=True)
class Progress:
    """How far a learner is: parts satisfied, ECTS gathered, what is missing."""

    met: bool
    parts: tuple[PartProgress, ...]
    parts_required: int
    ects_total: Decimal
    ects_required: Decimal | None
    missing: tuple[str, ...]
    window: tuple[datetime, datetime] | None = None

    @property
    def parts_satisfied(self) -> int:
        return sum(1 for part in self.parts if part.satisfied)

    @property
    def used(self) -> tuple[HeldItem, ...]:
        """The items the progress rests on, in part order."""
        return tuple(part.item for part in self.parts if part.item is not None)

    @property
    def percent(self) -> int:
        """A rough share of the way done (0-100), for progress bars."""
        shares: list[float] = []
        if self.parts_required:
            shares.append(min(1.0, self.parts_satisfied / self.parts_required))
        if self.ects_required:
            shares.append(min(1.0, float(self.ects_total / self.ects_required)))
        if not shares:
            return 100 if self.met else 0
        return 100 if self.met else min(99, int(100 * sum(shares) / len(shares)))

    def to_json(self) -> dict[str, Any]:
        return {
            "met": self.met,
            "percent": self.percent,
            "partsSatisfied": self.parts_satisfied,
            "partsRequired": self.parts_required,
            "ectsTotal": ects_text(self.ects_total),
            "ectsRequired": ects_text(self.ects_required)
            if self.ects_required is not None
            else None,
            "missing": list(self.missing),
            "parts": [part.to_json() for part in self.parts],
            "window": [moment.isoformat() for moment in self.window] if self.window else None,
        }


def matches(matcher: PartMatcher, item: HeldItem) -> bool:
    """Whether ``item`` satisfies a part with this matcher (ignoring level and time)."""
    if matcher.definition_id is not None:
        return item.definition_id == matcher.definition_id
    if matcher.issuer_did is not None and item.issuer_did != matcher.issuer_did:
        return False
    if matcher.achievement_id is not None:
        return item.achievement_id == matcher.achievement_id
    if matcher.alignment is not None:
        return matcher.alignment in item.alignments
    return True  # issuerDid alone, already checked


def _eligible(rule: PathwayRule, item: HeldItem) -> bool:
    if item.kind == "external" and not rule.accept_unrecognised:
        return False
    if rule.earned_from is not None and item.awarded_at < rule.earned_from:
        return False
    if rule.earned_until is not None and item.awarded_at > rule.earned_until:
        return False
    return rule.min_eqf_level is None or (
        item.eqf_level is not None and item.eqf_level >= rule.min_eqf_level
    )


def _order(item: HeldItem) -> tuple[Decimal, datetime, str]:
    return (-(item.ects or Decimal(0)), item.awarded_at, item.ref)


def _assign(rule: PathwayRule, items: Sequence[HeldItem]) -> list[HeldItem | None]:
    """A maximum matching of parts to distinct items (index per part, ``None`` unmatched)."""
    ordered = sorted(items, key=_order)
    candidates = [
        [index for index, item in enumerate(ordered) if matches(part, item)] for part in rule.parts
    ]
    owner: dict[int, int] = {}  # item index -> part index

    def augment(part: int, seen: set[int]) -> bool:
        for item in candidates[part]:
            if item in seen:
                continue
            seen.add(item)
            if item not in owner or augment(owner[item], seen):
                owner[item] = part
                return True
        return False

    for part in range(len(rule.parts)):
        augment(part, set())
    assigned: list[HeldItem | None] = [None] * len(rule.parts)
    for item, part in owner.items():
        assigned[part] = ordered[item]
    return assigned


def _progress(
    rule: PathwayRule, items: Sequence[HeldItem], window: tuple[datetime, datetime] | None
) -> Progress:
    assigned = _assign(rule, items)
    parts = tuple(
        PartProgress(key=part.key, label=part.label, item=item)
        for part, item in zip(rule.parts, assigned, strict=True)
    )
    total = sum((item.ects or Decimal(0) for item in assigned if item is not None), Decimal(0))
    satisfied = sum(1 for item in assigned if item is not None)
    missing: list[str] = []
    if satisfied < rule.required_parts:
        open_labels = [part.label for part in parts if not part.satisfied]
        if rule.min_parts is None:
            missing.extend(f"part: {label}" for label in open_labels)
        else:
            missing.append(f"{rule.required_parts - satisfied} more of: " + "; ".join(open_labels))
    if rule.min_ects is not None and total < rule.min_ects:
        missing.append(f"{ects_text(rule.min_ects - total)} more ECTS")
    return Progress(
        met=not missing,
        parts=parts,
        parts_required=rule.required_parts,
        ects_total=total,
        ects_required=rule.min_ects,
        missing=tuple(missing),
        window=window,
    )


def _better(candidate: Progress, best: Progress) -> bool:
    if candidate.met != best.met:
        return candidate.met
    if candidate.parts_satisfied != best.parts_satisfied:
        return candidate.parts_satisfied > best.parts_satisfied
    return candidate.ects_total > best.ects_total


def evaluate(rule: PathwayRule, items: Iterable[HeldItem]) -> Progress:
    """The learner's progress on ``rule`` with ``items`` (see the module docstring)."""
    eligible = [item for item in items if _eligible(rule, item)]
    if rule.within_days is None or not eligible:
        return _progress(rule, eligible, None)
    span = timedelta(days=rule.within_days)
    best: Progress | None = None
    for start in sorted({item.awarded_at for item in eligible}):
        try:
            end = start + span
        except OverflowError:  # an item dated near the year 9999
            end = datetime.max.replace(tzinfo=UTC)
        inside = [item for item in eligible if start <= item.awarded_at <= end]
        candidate = _progress(rule, inside, (start, end))
        if candidate.met:
            return candidate
        if best is None or _better(candidate, best):
            best = candidate
    assert best is not None
    if not best.met:
        best = Progress(
            met=False,
            parts=best.parts,
            parts_required=best.parts_required,
            ects_total=best.ects_total,
            ects_required=best.ects_required,
            missing=(*best.missing, f"all within {rule.within_days} days"),
            window=best.window,
        )
    return best
