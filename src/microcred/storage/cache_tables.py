"""The read-cache epoch: one row whose token changes whenever verification data changes.

``cache_epochs`` holds a single row (``id`` = 1). Database triggers (migration 0010,
:mod:`microcred.storage.epoch`) give it a new random ``token`` in every transaction that
changes what the platform's own verification reads:

* ``issuers``: a new or deleted issuer, a changed ``did``, ``did_method`` or ``slug``;
* ``issuer_keys``: any change (a new key, a rotation, a compromise);
* ``status_lists``: a new or deleted list, a newly signed list credential (``credential``,
  ``etag``: a revocation, suspension, reinstatement or re-signing);
* ``ledger_entries``: a new root on the embedded ledger.

Every server process reads the token once per verification; a cached DID document, status
list or report made under another token is not used (``docs/performance.md``, "Read caches").
The token is random (never a counter), so a row that was deleted and written again can never
repeat an old value.
"""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from microcred.storage.tables import Base

__all__ = ["CacheEpoch"]


class CacheEpoch(Base, kw_only=True):
    """The single row whose ``token`` changes with every change to verification data."""

    __tablename__ = "cache_epochs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    token: Mapped[str] = mapped_column(String(64))
