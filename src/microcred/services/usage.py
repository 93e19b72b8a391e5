"""How the issuer's credentials are used: verifications (counted) and public shares.

**Verifications.** Whenever the platform's verifier checks a document for someone else — the
public verifier page (``/verify``), a public credential page (``/c/<id>``), the VC-API's
``POST /credentials/verify`` and ``POST /presentations/verify`` — the shell calls
:meth:`UsageService.record_verification`. That only adds the credential ids to an in-memory
buffer (a dictionary update under a lock: no database work on the verify path). The buffer is
written to ``verification_counts`` in one transaction by :meth:`UsageService.flush`: started in
a background thread at most every ``flush_interval`` seconds, by the dashboard before it reads,
and when the platform closes. Ids that are not the platform's own credentials are dropped at
flush time; the buffer holds at most ``max_pending`` distinct ids (more are not counted until
the next flush), so a flood of random ids cannot grow memory. Counts are per credential and UTC
day; several server workers each flush their own buffer and the rows add up
(``INSERT … ON CONFLICT DO UPDATE``). A crash loses at most the last interval's counts.

**Shares.** A credential counts as shared while its public page is on
(``credential_shares.shared_at``); the chart places it on the day it was turned on.

:meth:`UsageService.summary` gives the dashboard both, per definition and per day.
Framework-free; see docs/console.md.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from microcred.clock import Clock
from microcred.services.access import Permission, Principal
from microcred.services.issuers import require_issuer_permission
from microcred.storage import UnitOfWorkFactory
from microcred.storage.repositories.web import WebRepository

__all__ = ["UsageService", "UsageSummary", "verified_credential_ids"]

FLUSH_INTERVAL: Final = 5.0
MAX_PENDING: Final = 10_000
_MAX_ID: Final = 200
_MAX_IN_PRESENTATION: Final = 100
_log = logging.getLogger(__name__)


def verified_credential_ids(document: Any) -> list[str]:
    """The ``id`` of a credential, or of each credential inside a presentation."""
    if not isinstance(document, Mapping):
        return []
    types = document.get("type")
    names = types if isinstance(types, list) else [types]
    if "VerifiablePresentation" in names:
        inner = document.get("verifiableCredential")
        items = inner if isinstance(inner, list) else [inner]
        found: list[str] = []
        for item in items[:_MAX_IN_PRESENTATION]:
            found.extend(verified_credential_ids(item))
        return found
    ident = document.get("id")
    if isinstance(ident, str) and 0 < len(ident) <= _MAX_ID:
        return [ident]
    return []


@dataclass(frozen=True)
class UsageSummary:
    """Verifications and shares of one issuer's credentials.

    ``*_by_definition`` maps a definition id (``None``: credentials not issued from a
    definition) to a total; ``*_by_day`` has one entry per day of the requested period,
    oldest first.
    """

    verified_by_definition: dict[uuid.UUID | None, int]
    shared_by_definition: dict[uuid.UUID | None, int]
    verified_by_day: list[tuple[date, int]]
    shared_by_day: list[tuple[date, int]]
    claimed_by_day: list[tuple[date, int]]
    revoked_by_day: list[tuple[date, int]]

    @property
    def verified_total(self) -> int:
        return sum(self.verified_by_definition.values())

    @property
    def shared_total(self) -> int:
        return sum(self.shared_by_definition.values())


class UsageService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        *,
        flush_interval: float = FLUSH_INTERVAL,
        max_pending: int = MAX_PENDING,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._interval = flush_interval
        self._max_pending = max_pending
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._pending: dict[tuple[str, date], int] = {}
        self._last_flush = time.monotonic()
        self._flushing = False

    def __repr__(self) -> str:
        return f"UsageService(pending={len(self._pending)})"

    # ------------------------------------------------------------------ verifications

    def record_verification(self, document: Any) -> None:
        """Count one verification of ``document`` (a credential or a presentation).

        Cheap and never raises for a bad document; the counts reach the database later
        (see the module docstring).
        """
        ids = verified_credential_ids(document)
        if not ids:
            return
        day = self._clock.now().astimezone(UTC).date()
        start = False
        with self._lock:
            for ident in ids:
                key = (ident, day)
                if key in self._pending:
                    self._pending[key] += 1
                elif len(self._pending) < self._max_pending:
                    self._pending[key] = 1
            if not self._flushing and time.monotonic() - self._last_flush >= self._interval:
                self._flushing = True
                start = True
        if start:
            threading.Thread(target=self._background_flush, name="usage-flush", daemon=True).start()

    def _background_flush(self) -> None:
        try:
            self.flush()
        except Exception:  # noqa: BLE001 - a background thread: log, lose the counts, go on
            _log.warning("verification counts could not be written", exc_info=True)
        finally:
            with self._lock:
                self._flushing = False

    def pending(self) -> int:
        """How many verifications wait in the buffer (for tests and metrics)."""
        with self._lock:
            return sum(self._pending.values())

    def flush(self) -> int:
        """Write the buffered counts of the platform's own credentials; how many were written."""
        with self._flush_lock:
            with self._lock:
                batch, self._pending = self._pending, {}
                self._last_flush = time.monotonic()
            if not batch:
                return 0
            written = 0
            with self._uow() as tx:
                repository = WebRepository(tx.session, self._clock)
                known = repository.credentials_by_uri(uri for uri, _day in batch)
                counts: dict[tuple[uuid.UUID, uuid.UUID, date], int] = defaultdict(int)
                for (uri, day), n in batch.items():
                    found = known.get(uri)
                    if found is not None:
                        counts[(found[0], found[1], day)] += n
                        written += n
                if counts:
                    repository.add_verifications(dict(counts))
                    tx.commit()
            return written

    # ------------------------------------------------------------------ the dashboard

    def summary(self, principal: Principal, issuer_id: uuid.UUID, *, days: int) -> UsageSummary:
        """Verifications and shares of the issuer's credentials (CREDENTIAL_READ); the last
        ``days`` days (UTC, today included) for the chart."""
        if not 1 <= days <= 366:
            raise ValueError("days must be between 1 and 366")
        self.flush()
        today = self._clock.now().astimezone(UTC).date()
        first = today - timedelta(days=days - 1)
        with self._uow(read_only=True) as tx:
            require_issuer_permission(tx, principal, issuer_id, Permission.CREDENTIAL_READ)
            repository = WebRepository(tx.session, self._clock)
            verified = repository.verifications_by_definition(issuer_id)
            shared = repository.shared_by_definition(issuer_id)
            verified_days = repository.verifications_by_day(issuer_id, first)
            since = datetime(first.year, first.month, first.day, tzinfo=UTC)
            shared_days = _per_day(repository.shared_since(issuer_id, since))
            claimed_days = _per_day(repository.claimed_since(issuer_id, since))
            revoked_days = _per_day(repository.revoked_since(issuer_id, since))
        period = [first + timedelta(days=n) for n in range(days)]

        def series(found: Mapping[date, int]) -> list[tuple[date, int]]:
            return [(day, found.get(day, 0)) for day in period]

        return UsageSummary(
            verified_by_definition=verified,
            shared_by_definition=shared,
            verified_by_day=series(verified_days),
            shared_by_day=series(shared_days),
            claimed_by_day=series(claimed_days),
            revoked_by_day=series(revoked_days),
        )


def _per_day(moments: list[datetime]) -> dict[date, int]:
    found: dict[date, int] = defaultdict(int)
    for moment in moments:
        found[moment.astimezone(UTC).date()] += 1
    return found
