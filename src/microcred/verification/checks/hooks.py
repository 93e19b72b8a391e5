"""Placeholders for the ``status`` and ``anchor`` checks.

Revocation / suspension (W3C Bitstring Status List v1.0) and blockchain anchors
are checked by families that later packages plug in through
``Verifier(extra_checks=...)`` with ``family = "status"`` / ``"anchor"``. Until
then these placeholders report the family as skipped, saying whether the
credential has anything to check.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from microcred.verification import codes
from microcred.verification.checks.base import CheckContext, as_list
from microcred.verification.report import CheckResult

__all__ = ["AnchorPlaceholder", "StatusPlaceholder"]


class StatusPlaceholder:
    """Reports ``status`` as skipped: no credentialStatus, or status not checked yet."""

    family = codes.STATUS

    def run(self, credential: Mapping[str, Any], context: CheckContext) -> Sequence[CheckResult]:
        entries = as_list(credential.get("credentialStatus"))
        if not entries:
            return [
                CheckResult.skipped(
                    codes.STATUS,
                    "The credential has no revocation status to check (no credentialStatus).",
                )
            ]
        types = [e.get("type") for e in entries if isinstance(e, Mapping)]
        return [
            CheckResult.skipped(
                codes.STATUS,
                "The credential has a revocation status, but this verifier does not check "
                "revocation status yet.",
                types=types,
            )
        ]


class AnchorPlaceholder:
    """Reports ``anchor`` as skipped until the anchoring package provides the check."""

    family = codes.ANCHOR

    def run(self, credential: Mapping[str, Any], context: CheckContext) -> Sequence[CheckResult]:
        return [
            CheckResult.skipped(
                codes.ANCHOR,
                "The credential has no blockchain anchor to check (no anchor proof).",
            )
        ]
