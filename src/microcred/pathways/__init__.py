"""Pathways: stackable micro-credentials (pure core, no database, no web framework).

* :mod:`~microcred.pathways.rules` — the rule model of a pathway (parts, how many of them,
  minimum ECTS, minimum EQF level, time window), validated on construction, JSON round-trip;
* :mod:`~microcred.pathways.holdings` — :class:`HeldItem`, what a learner holds that may count
  (an own credential, a verified external credential, a recognition decision), and how one is
  read from a credential document;
* :mod:`~microcred.pathways.evaluation` — :func:`evaluate` (rule, held items) -> :class:`Progress`.

See docs/pathways.md and docs/adr/ for the rule model.
"""

from __future__ import annotations

from microcred.pathways.evaluation import PartProgress, Progress, evaluate
from microcred.pathways.holdings import HeldItem, ItemKind, held_item_from_document
from microcred.pathways.rules import PartMatcher, PathwayPart, PathwayRule

__all__ = [
    "HeldItem",
    "ItemKind",
    "PartMatcher",
    "PartProgress",
    "PathwayPart",
    "PathwayRule",
    "Progress",
    "evaluate",
    "held_item_from_document",
]
