"""Validity-period checks against an injected clock.

VC Data Model 2.0 §4.9 (Validity Period): a verifier checks that ``validFrom`` is
not in the future and ``validUntil`` has not passed. For VC 1.1 credentials
(VC Data Model 1.1 §4.6 / §4.7) ``issuanceDate`` / ``expirationDate`` play the
same roles (with ``validFrom`` / ``validUntil`` when a 1.1-era vocabulary adds
them: the latest start and the earliest end count). Malformed dates are reported
by ``structure.dates``; here they are skipped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from microcred.verification import codes
from microcred.verification.checks.base import (
    CheckContext,
    format_day,
    parse_date_time_stamp,
    validity_fields,
)
from microcred.verification.report import CheckResult

__all__ = ["DatesCheck"]


def _read(
    credential: Mapping[str, Any], keys: tuple[str, ...], timezone_required: bool
) -> tuple[dict[str, datetime], list[str]]:
    found: dict[str, datetime] = {}
    unreadable: list[str] = []
    for key in keys:
        if key not in credential:
            continue
        try:
            found[key] = parse_date_time_stamp(credential[key], timezone_required=timezone_required)
        except ValueError:
            unreadable.append(key)
    return found, unreadable


class DatesCheck:
    """``dates.valid-from`` and ``dates.valid-until``."""

    family = codes.FAMILY_DATES

    def run(self, credential: Mapping[str, Any], context: CheckContext) -> Sequence[CheckResult]:
        fields = validity_fields(credential)
        now = context.now
        base: dict[str, Any] = {"now": now.isoformat()}
        return [
            self._valid_from(credential, fields.starts, fields.timezone_required, now, base),
            self._valid_until(credential, fields.ends, fields.timezone_required, now, base),
        ]

    @staticmethod
    def _valid_from(
        credential: Mapping[str, Any],
        keys: tuple[str, ...],
        timezone_required: bool,
        now: datetime,
        base: dict[str, Any],
    ) -> CheckResult:
        code = codes.DATES_VALID_FROM
        found, unreadable = _read(credential, keys, timezone_required)
        if unreadable:
            return CheckResult.skipped(
                code, f"The start date ({unreadable[0]}) cannot be read.", **base
            )
        if not found:
            return CheckResult.skipped(
                code, "The credential does not say from when it is valid.", **base
            )
        key, start = max(found.items(), key=lambda item: item[1])
        details = {**base, key: credential[key]}
        if start > now:
            return CheckResult.failed(
                code,
                f"This credential is not valid yet: it becomes valid on {format_day(start)}.",
                **details,
            )
        return CheckResult.passed(
            code, f"This credential has been valid since {format_day(start)}.", **details
        )

    @staticmethod
    def _valid_until(
        credential: Mapping[str, Any],
        keys: tuple[str, ...],
        timezone_required: bool,
        now: datetime,
        base: dict[str, Any],
    ) -> CheckResult:
        code = codes.DATES_VALID_UNTIL
        found, unreadable = _read(credential, keys, timezone_required)
        if unreadable:
            return CheckResult.skipped(
                code, f"The expiry date ({unreadable[0]}) cannot be read.", **base
            )
        if not found:
            return CheckResult.passed(code, "This credential does not expire.", **base)
        key, end = min(found.items(), key=lambda item: item[1])
        details = {**base, key: credential[key]}
        if end < now:
            return CheckResult.failed(
                code, f"This credential expired on {format_day(end)}.", **details
            )
        return CheckResult.passed(
            code, f"This credential is valid until {format_day(end)}.", **details
        )
