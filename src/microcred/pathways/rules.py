"""The rule of a pathway: which parts, how many, how many ECTS, which EQF level, when.

JSON form (camelCase, unknown keys refused)::

    {
      "parts": [
        {"key": "python", "label": "Python basics", "definitionId": "<uuid>"},
        {"key": "sql", "label": "SQL", "achievementId": "https://other.example/achievements/sql"},
        {"key": "stats", "label": "Any statistics course",
         "alignment": "http://data.europa.eu/esco/skill/abc", "issuerDid": "did:web:uni.example"}
      ],
      "minParts": 2,            # null or left out: every part
      "minEcts": "10",          # total ECTS of the items used for the parts
      "minEqfLevel": 5,         # an item counts only at this EQF level or above
      "earnedFrom": "2026-01-01T00:00:00Z", "earnedUntil": null,
      "withinDays": 730,        # every item used was earned within this many days
      "acceptUnrecognised": false  # external credentials count only once recognised
    }

A part is matched by exactly one held item, and an item satisfies at most one part. A part
names what matches it: one of ``definitionId`` (this issuer's definition), ``achievementId``
(an Open Badges achievement id, any issuer) or ``alignment`` (an alignment ``targetUrl`` or a
skill URI of the achievement), optionally narrowed by ``issuerDid``; or ``issuerDid`` alone
(anything that issuer awarded).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from microcred.model import StrictModel
from microcred.model.types import URI

__all__ = ["MAX_PARTS", "PartMatcher", "PathwayPart", "PathwayRule"]

#: the most parts one pathway may have
MAX_PARTS = 100


def _uuid(value: object) -> object:
    if isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError:
            raise ValueError(f"{value[:60]!r} is not a UUID") from None
    return value


def _decimal(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError("must be a number")
    if isinstance(value, int | str | float):
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise ValueError(f"{str(value)[:40]!r} is not a number") from None
        if not number.is_finite():
            raise ValueError("must be a finite number")
        return number
    return value


def _positive_ects(value: Decimal) -> Decimal:
    if value <= 0 or value > 1000:
        raise ValueError("ECTS must be above 0 and at most 1000")
    if value != value.quantize(Decimal("0.01")):
        raise ValueError("ECTS are given with at most two decimals")
    return value


def _datetime(value: object) -> object:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("must be a date-time such as '2027-01-31T00:00:00Z'") from None
    if isinstance(value, datetime) and value.utcoffset() is None:
        raise ValueError("the date-time needs a timezone (e.g. a trailing 'Z')")
    return value


def _text(limit: int) -> Any:
    def check(value: str) -> str:
        stripped = value.strip()
        if not stripped:
            raise ValueError("must not be empty")
        if len(stripped) > limit:
            raise ValueError(f"must be at most {limit} characters")
        if any(ord(c) < 32 for c in stripped):
            raise ValueError("must not contain control characters")
        return stripped

    return AfterValidator(check)


def _did(value: str) -> str:
    if not value.startswith("did:") or len(value) > 512 or value.count(":") < 2:
        raise ValueError(f"{value[:60]!r} is not a DID")
    return value


Ects = Annotated[Decimal, BeforeValidator(_decimal), AfterValidator(_positive_ects)]
Moment = Annotated[datetime, BeforeValidator(_datetime)]
PartKey = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]
Label = Annotated[str, _text(200)]
DID = Annotated[str, AfterValidator(_did)]
LongURI = Annotated[URI, Field(max_length=1000)]


class PartMatcher(StrictModel):
    """What satisfies a part (see the module docstring)."""

    definition_id: Annotated[uuid.UUID, BeforeValidator(_uuid)] | None = None
    achievement_id: LongURI | None = None
    alignment: LongURI | None = None
    issuer_did: DID | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        named = [
            x for x in (self.definition_id, self.achievement_id, self.alignment) if x is not None
        ]
        if len(named) > 1:
            raise ValueError("a part names one of definitionId, achievementId or alignment")
        if not named and self.issuer_did is None:
            raise ValueError(
                "a part needs definitionId, achievementId, alignment or issuerDid to say "
                "what satisfies it"
            )
        if self.definition_id is not None and self.issuer_did is not None:
            raise ValueError("definitionId is this issuer's own definition: leave issuerDid out")
        return self


class PathwayPart(PartMatcher):
    """One part of a pathway: a short ``key``, a ``label`` for people, and its matcher."""

    key: PartKey
    label: Label


class PathwayRule(StrictModel):
    """A pathway's rule (see the module docstring). Invalid rules cannot be built."""

    parts: Annotated[list[PathwayPart], Field(min_length=1, max_length=MAX_PARTS)]
    min_parts: Annotated[int, Field(ge=0)] | None = None
    min_ects: Ects | None = None
    min_eqf_level: Annotated[int, Field(ge=1, le=8)] | None = None
    earned_from: Moment | None = None
    earned_until: Moment | None = None
    within_days: Annotated[int, Field(ge=1, le=36500)] | None = None
    #: verified external credentials count without a recognition officer's decision
    accept_unrecognised: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        keys = [part.key for part in self.parts]
        if len(set(keys)) != len(keys):
            raise ValueError("part keys must be unique")
        if self.min_parts is not None and self.min_parts > len(self.parts):
            raise ValueError(
                f"minParts ({self.min_parts}) is more than the number of parts ({len(self.parts)})"
            )
        if self.required_parts == 0 and self.min_ects is None:
            raise ValueError("with minParts 0 the rule needs minEcts, or it would always be met")
        if (
            self.earned_from is not None
            and self.earned_until is not None
            and self.earned_until <= self.earned_from
        ):
            raise ValueError("earnedUntil must be after earnedFrom")
        return self

    @property
    def required_parts(self) -> int:
        """How many parts must be satisfied (every part unless ``minParts`` says fewer)."""
        return len(self.parts) if self.min_parts is None else self.min_parts

    def own_definition_ids(self) -> frozenset[uuid.UUID]:
        return frozenset(p.definition_id for p in self.parts if p.definition_id is not None)
