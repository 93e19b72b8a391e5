"""``NullAnchor``: an in-memory ledger for tests and dry runs.

It records roots in a dictionary with the injected clock's time and the issuer as account;
nothing is durable and nothing is public, so credentials anchored on it only verify in the
same process (a verifier elsewhere reports the ledger as unknown). ``fail_next`` lets tests
simulate transient or permanent ledger failures.
"""

from __future__ import annotations

from microcred.anchoring.ledger import LedgerEntry, Receipt, check_root
from microcred.clock import Clock
from microcred.errors import AnchorError

__all__ = ["NULL_LEDGER_ID", "NullAnchor"]

NULL_LEDGER_ID = "urn:microcred:ledger:null"


class NullAnchor:
    """A :class:`~microcred.anchoring.ledger.Ledger` that keeps everything in memory."""

    def __init__(self, clock: Clock, *, ledger_id: str = NULL_LEDGER_ID) -> None:
        self._clock = clock
        self._ledger_id = ledger_id
        self._entries: dict[bytes, LedgerEntry] = {}
        self._failures: list[AnchorError] = []
        self.publish_calls = 0

    @property
    def ledger_id(self) -> str:
        return self._ledger_id

    def fail_next(self, error: AnchorError) -> None:
        """Make the next :meth:`publish` raise ``error`` (queued, one per call)."""
        self._failures.append(error)

    def publish(self, root: bytes, batch_id: str, *, issuer: str) -> Receipt:
        check_root(root)
        self.publish_calls += 1
        if self._failures:
            raise self._failures.pop(0)
        entry = self._entries.get(root)
        if entry is None:
            entry = LedgerEntry(
                ledger_id=self._ledger_id,
                root=root,
                locator=str(len(self._entries)),
                account=issuer,
                anchored_at=self._clock.now(),
            )
            self._entries[root] = entry
        return Receipt(entry=entry, batch_id=batch_id)

    def lookup(self, root: bytes) -> LedgerEntry | None:
        check_root(root)
        return self._entries.get(root)

    def __len__(self) -> int:
        return len(self._entries)
