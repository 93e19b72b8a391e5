"""The ledger interface: where batch roots are published and looked up.

A *ledger* is an append-only public record that stores, for each published Merkle root, the
time it was recorded and the account that recorded it. Anchoring (``anchoring/batch.py``,
``services/anchoring.py``) publishes one root per batch; the verifier's ``anchor`` check looks
roots up. Two implementations sit behind these protocols:

* the embedded ledger (``anchoring/backends/embedded.py``, the default): hash-chained records
  in the platform database with signed checkpoints;
* an EVM ledger over JSON-RPC (``anchoring/backends/evm.py``): a registry contract that records
  a root with its block time, writable only by the issuer's account.

``NullAnchor`` (``anchoring/backends/null.py``) keeps roots in memory for tests and dry runs.

Errors: :class:`~microcred.errors.AnchorTemporaryError` for failures worth retrying (node
unreachable, timeout, nonce race, database busy), :class:`~microcred.errors.AnchorError` for
permanent ones (contract missing, account not allowed, malformed root). Backends translate
their library exceptions into these two at their edge and never let a bare foreign exception
out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from microcred.errors import AnchorError, AnchorTemporaryError

__all__ = [
    "ROOT_SIZE",
    "AnchorError",
    "AnchorTemporaryError",
    "Ledger",
    "LedgerEntry",
    "LedgerReader",
    "Receipt",
    "check_root",
]

#: A Merkle root is a SHA-256 digest.
ROOT_SIZE = 32


def check_root(root: object) -> bytes:
    """Return ``root`` if it is 32 bytes, else raise :class:`AnchorError` (permanent)."""
    if not isinstance(root, bytes) or len(root) != ROOT_SIZE:
        raise AnchorError("a Merkle root must be exactly 32 bytes (a SHA-256 digest)")
    return root


def _aware(value: datetime, what: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware")


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """What a ledger says about one published root.

    ``ledger_id`` is an absolute URI naming the ledger (embedded: the ``did:key`` of the
    platform ledger key that signs its checkpoints; EVM: ``eip155:<chainId>:<registry
    contract address>``). ``locator`` says where in the ledger the root is (embedded: the
    entry index as decimal text; EVM: the transaction hash ``0x…``). ``account`` is who
    published it (embedded: the issuer's DID; EVM: the CAIP-10 account id
    ``eip155:<chainId>:<address>``). ``anchored_at`` is the ledger's own time for the entry
    (entry time / block time), timezone-aware UTC.
    """

    ledger_id: str
    root: bytes
    locator: str
    account: str
    anchored_at: datetime

    def __post_init__(self) -> None:
        check_root(self.root)
        _aware(self.anchored_at, "anchored_at")


@dataclass(frozen=True, slots=True)
class Receipt:
    """The result of :meth:`Ledger.publish`: the new (or already present) entry and the batch.

    ``confirmed`` is false only for a chain backend that returns before its confirmation
    depth was reached (the anchoring service then looks the root up again later).
    """

    entry: LedgerEntry
    batch_id: str
    confirmed: bool = True

    @property
    def ledger_id(self) -> str:
        return self.entry.ledger_id

    @property
    def root(self) -> bytes:
        return self.entry.root

    @property
    def locator(self) -> str:
        return self.entry.locator

    @property
    def account(self) -> str:
        return self.entry.account

    @property
    def anchored_at(self) -> datetime:
        return self.entry.anchored_at


@runtime_checkable
class LedgerReader(Protocol):
    """Read access to one ledger: what a verifier needs."""

    @property
    def ledger_id(self) -> str:
        """The absolute URI naming this ledger (see :class:`LedgerEntry`)."""
        ...

    def lookup(self, root: bytes) -> LedgerEntry | None:
        """The entry that recorded ``root``, or ``None`` when the ledger does not have it.

        Raises :class:`AnchorTemporaryError` when the ledger cannot be read right now and
        :class:`AnchorError` for a malformed root.
        """
        ...


@runtime_checkable
class Ledger(LedgerReader, Protocol):
    """A ledger the platform can write to."""

    def publish(self, root: bytes, batch_id: str, *, issuer: str) -> Receipt:
        """Publish ``root`` (one batch of ``issuer``'s credentials); return the receipt.

        ``issuer`` is the issuer's identifier (its DID). The embedded ledger records it as the
        entry's account; a chain backend publishes from the chain account it holds for that
        issuer (the one its DID document lists) and reports that account.

        Publishing must be safe to retry: when ``root`` is already on the ledger the backend
        returns a receipt for the existing entry instead of writing a second one (callers
        also call :meth:`lookup` first). Raises :class:`AnchorTemporaryError` when the attempt
        may be retried (nothing was written, or it cannot tell — the caller looks up before
        retrying) and :class:`AnchorError` when retrying cannot help.
        """
        ...
