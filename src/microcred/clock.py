"""An injectable clock: core code never calls ``datetime.now()`` itself."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...


class SystemClock:
    """The real clock (used by the shells, never inside the core)."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock stuck at one instant (tests, reproducible signing)."""

    def __init__(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._instant = instant

    def now(self) -> datetime:
        return self._instant
