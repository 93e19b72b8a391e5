"""What a learner holds that may count towards a pathway.

A :class:`HeldItem` is one of

* ``own`` — a credential this issuer issued to the learner (not revoked or suspended);
* ``recognition`` — an external credential a recognition officer recognised for the learner
  (its ECTS are the decision's, not the credential's claim);
* ``external`` — an external credential the learner holds that verified (counted on its own
  claims).

:func:`held_item_from_document` reads the facts a rule looks at from an Open Badges 3.0
credential: the achievement id, the issuer DID, the alignments and skills (``alignment[].
targetUrl``, EU learning outcomes' skills), ECTS (the EU ``creditPoint`` in ECTS, else
``creditsAvailable``) and the EQF level. It is lenient: a missing fact is ``None``; a rule that
needs it then does not count the item. It never raises for odd documents.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

__all__ = ["ECTS_FRAMEWORK", "HeldItem", "ItemKind", "ects_text", "held_item_from_document"]

ItemKind = Literal["own", "recognition", "external"]

ECTS_FRAMEWORK = "http://data.europa.eu/snb/education-credit/6fcec5c5af"
_EQF = re.compile(r"^http://data\.europa\.eu/snb/eqf/([1-8])$")


def ects_text(value: Decimal) -> str:
    """ECTS as people write them: ``5``, ``2.5`` (never ``5.00`` or ``1E+1``)."""
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return format(value.normalize(), "f")


@dataclass(frozen=True)
class HeldItem:
    """One thing the learner holds; ``ref`` identifies it (a credential URI, a decision id)."""

    ref: str
    kind: ItemKind
    name: str
    awarded_at: datetime
    definition_id: uuid.UUID | None = None
    achievement_id: str | None = None
    issuer_did: str | None = None
    alignments: frozenset[str] = field(default_factory=frozenset)
    ects: Decimal | None = None
    eqf_level: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "kind": self.kind,
            "name": self.name,
            "awardedAt": self.awarded_at.isoformat(),
            "definitionId": str(self.definition_id) if self.definition_id else None,
            "achievementId": self.achievement_id,
            "issuerDid": self.issuer_did,
            "ects": ects_text(self.ects) if self.ects is not None else None,
            "eqfLevel": self.eqf_level,
        }


def _as_list(value: object) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _decimal(value: object) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() and number >= 0 else None


def _achievement(document: Mapping[str, Any]) -> Mapping[str, Any]:
    for subject in _as_list(document.get("credentialSubject")):
        achievement = _mapping(_mapping(subject).get("achievement"))
        if achievement:
            return achievement
    return {}


def _issuer_did(document: Mapping[str, Any]) -> str | None:
    issuer = document.get("issuer")
    value = issuer if isinstance(issuer, str) else _mapping(issuer).get("id")
    return value if isinstance(value, str) and value.startswith("did:") else None


def _alignments(achievement: Mapping[str, Any], eu: Mapping[str, Any]) -> frozenset[str]:
    found: set[str] = set()
    for alignment in _as_list(achievement.get("alignment")):
        url = _mapping(alignment).get("targetUrl")
        if isinstance(url, str) and url:
            found.add(url)
    for outcome in _as_list(eu.get("learningOutcome")):
        entry = _mapping(outcome)
        for skill in [
            *_as_list(entry.get("relatedESCOSkill")),
            *_as_list(entry.get("relatedSkill")),
        ]:
            if isinstance(skill, str) and skill:
                found.add(skill)
    return frozenset(found)


def _ects(achievement: Mapping[str, Any], eu: Mapping[str, Any]) -> Decimal | None:
    for point in _as_list(eu.get("creditPoint")):
        entry = _mapping(point)
        if entry.get("framework", ECTS_FRAMEWORK) == ECTS_FRAMEWORK:
            value = _decimal(entry.get("point"))
            if value is not None:
                return value
    return _decimal(achievement.get("creditsAvailable"))


def _eqf(eu: Mapping[str, Any]) -> int | None:
    level = eu.get("eqfLevel")
    match = _EQF.match(level) if isinstance(level, str) else None
    return int(match.group(1)) if match else None


def held_item_from_document(
    document: Mapping[str, Any],
    *,
    ref: str,
    kind: ItemKind,
    awarded_at: datetime,
    definition_id: uuid.UUID | None = None,
    ects: Decimal | None = None,
) -> HeldItem:
    """The :class:`HeldItem` of a credential document; ``ects`` overrides the document's."""
    achievement = _achievement(document)
    eu = _mapping(achievement.get("euStandardElements"))
    achievement_id = achievement.get("id")
    name = achievement.get("name") or document.get("name") or ref
    return HeldItem(
        ref=ref,
        kind=kind,
        name=str(name)[:300],
        awarded_at=awarded_at,
        definition_id=definition_id,
        achievement_id=achievement_id if isinstance(achievement_id, str) else None,
        issuer_did=_issuer_did(document),
        alignments=_alignments(achievement, eu),
        ects=ects if ects is not None else _ects(achievement, eu),
        eqf_level=_eqf(eu),
    )
