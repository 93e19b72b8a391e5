"""Bitstring status lists and the entries that tie credentials to list positions.

An index is handed out at most once per list: ``status_entries`` has the primary key
``(status_list_id, status_index)``, so two concurrent issuers that pick the same (random) index
cannot both succeed; the loser gets a :class:`Conflict` from :meth:`StatusListRepository.add_entry`
(inside a savepoint) and tries another index. A list's bits and its signed credential change
under optimistic locking on ``version``.

Lists are numbered from 1 per issuer and purpose (``UNIQUE (issuer_id, purpose, number)``); the
number is part of the list's public URL. :meth:`StatusListRepository.allocate_entries_refused`
is the allocation used during issuance: the credential row does not exist yet (its foreign key is
checked at COMMIT), so no ownership query is made — the caller read the list from its issuer.
Row locks taken here on PostgreSQL are ``FOR NO KEY UPDATE``: they serialise writers of one list
without blocking the issuing transactions that insert entries referencing it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import Connection, Table, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from microcred.errors import Conflict, InvalidInput, NotFound
from microcred.storage.repositories._base import Repository
from microcred.storage.tables import Credential, StatusEntry, StatusList, StatusPurpose
from microcred.storage.translate import translated_errors

__all__ = ["StatusListRepository"]

_ENTRIES: Table = StatusEntry.__table__  # type: ignore[assignment]
#: the first key of the (int, int) advisory locks on status lists: "mcsl" as an integer
_LIST_LOCK_SPACE: Final = int.from_bytes(b"mcsl", "big")
# Built once: a fixed Core statement executed with a list of rows ("insertmanyvalues") is
# compiled once and cached, which keeps bulk allocation cheap.
_ALLOCATE: dict[str, Any] = {
    name: insert(_ENTRIES)
    .on_conflict_do_nothing()
    .returning(_ENTRIES.c.status_list_id, _ENTRIES.c.status_index, _ENTRIES.c.credential_id)
    for name, insert in (("postgresql", postgresql_insert), ("sqlite", sqlite_insert))
}

# PostgreSQL: the picks as arrays (one statement whatever the batch size). The INSERT is the
# same ``ON CONFLICT DO NOTHING`` (primary key and the one-entry-per-list constraint); only the
# picks it did not insert come back — usually none.
_ALLOCATE_ARRAYS: Final = """
WITH picks AS (
    SELECT * FROM unnest(
        %(lists)b::uuid[], %(indexes)b::integer[], %(credentials)b::uuid[]
    ) AS pick (list_id, idx, credential_id)
), inserted AS (
    INSERT INTO status_entries (status_list_id, status_index, credential_id, created_at)
    SELECT list_id, idx, credential_id, %(now)s::timestamptz FROM picks
    ON CONFLICT DO NOTHING
    RETURNING status_list_id, status_index, credential_id
)
SELECT list_id, idx, credential_id FROM picks
EXCEPT ALL
SELECT status_list_id, status_index, credential_id FROM inserted
"""


class StatusListRepository(Repository):
    def add_list(self, status_list: StatusList) -> StatusList:
        if len(status_list.bitstring) * 8 < status_list.size:
            raise InvalidInput("the bitstring is shorter than the list size")
        status_list.created_at = self._now()
        return self._insert(status_list, "status list")

    def get_list(
        self, issuer_id: uuid.UUID, list_id: uuid.UUID, *, for_update: bool = False
    ) -> StatusList:
        query = select(StatusList).where(
            StatusList.id == list_id, StatusList.issuer_id == issuer_id
        )
        if for_update:
            # FOR NO KEY UPDATE on PostgreSQL; and re-read a row this session already holds
            query = query.with_for_update(key_share=True).execution_options(populate_existing=True)
        status_list = self._session.scalar(query)
        if status_list is None:
            raise NotFound(f"status list {list_id} not found")
        return status_list

    def find_list_by_number(
        self, issuer_id: uuid.UUID, purpose: StatusPurpose, number: int
    ) -> StatusList | None:
        """The list published as ``/status/<slug>/<purpose>/<number>``."""
        return self._session.scalar(
            select(StatusList).where(
                StatusList.issuer_id == issuer_id,
                StatusList.purpose == purpose,
                StatusList.number == number,
            )
        )

    def get_published_list(self, list_id: uuid.UUID) -> StatusList:
        """A list as anyone may fetch it (status lists are public by design)."""
        status_list = self._session.get(StatusList, list_id)
        if status_list is None:
            raise NotFound(f"status list {list_id} not found")
        return status_list

    def list_for_issuer(
        self, issuer_id: uuid.UUID, *, purpose: StatusPurpose | None = None
    ) -> list[StatusList]:
        query = select(StatusList).where(StatusList.issuer_id == issuer_id)
        if purpose is not None:
            query = query.where(StatusList.purpose == purpose)
        return list(self._session.scalars(query.order_by(StatusList.purpose, StatusList.number)))

    def add_entry(
        self, issuer_id: uuid.UUID, list_id: uuid.UUID, index: int, credential_id: uuid.UUID
    ) -> StatusEntry:
        """Allocate ``index`` of the list to a credential of the same issuer.

        :class:`Conflict` if the index is taken or the credential already has an entry here.
        """
        status_list = self.get_list(issuer_id, list_id)
        if not 0 <= index < status_list.size:
            raise InvalidInput(f"index {index} is outside the list (size {status_list.size})")
        owner = self._session.scalar(
            select(Credential.issuer_id).where(Credential.id == credential_id)
        )
        if owner != issuer_id:
            raise NotFound(f"credential {credential_id} not found")
        entry = StatusEntry(status_list_id=list_id, status_index=index, credential_id=credential_id)
        entry.created_at = self._now()
        return self._insert(entry, "status entry")

    def allocate_entries(
        self, picks: Sequence[tuple[uuid.UUID, int, uuid.UUID]]
    ) -> set[tuple[uuid.UUID, int]]:
        """Try to allocate each ``(list id, index, credential id)``; credentials being issued.

        Returns the ``(list id, index)`` pairs that were allocated (see
        :meth:`allocate_entries_refused`, which it calls, for the rules).
        """
        refused = self.allocate_entries_refused(picks)
        return {
            (list_id, index)
            for list_id, index, credential_id in picks
            if (list_id, index, credential_id) not in refused
        }

    def allocate_entries_refused(
        self, picks: Sequence[tuple[uuid.UUID, int, uuid.UUID]]
    ) -> set[tuple[uuid.UUID, int, uuid.UUID]]:
        """Try to allocate each ``(list id, index, credential id)``; return the picks that were
        *not* allocated (usually none). The credentials are being issued.

        The credentials need not be stored yet (their foreign key is checked at COMMIT). One
        ``INSERT … ON CONFLICT DO NOTHING`` for all the picks — on PostgreSQL the picks are three
        array parameters of one fixed statement (its text does not grow with the batch, so the
        driver does not scan and the server does not parse thousands of placeholders; it is
        prepared once per connection) that sends back only the picks it did not insert; on
        SQLite (>= 3.35) ``RETURNING`` the rows inserted. A refused pick collided with an
        index already taken (or its credential already has an entry in that list — see
        :meth:`find_entry`). No savepoint and no exception on a collision, so this stays cheap
        in bulk issuance. On PostgreSQL a pair another transaction has just inserted waits for
        it and counts as taken if it commits.

        Internal to the status service: the lists must come from the issuing issuer and the
        indexes lie inside them (the database refuses negatives only); no two picks share a
        ``(list id, index)``.
        """
        if not picks:
            return set()
        now = self._now()
        connection = self._session.connection()
        dialect = connection.dialect
        if dialect.name == "postgresql" and dialect.driver == "psycopg":
            return self._allocate_arrays(connection, picks, now)
        statement = _ALLOCATE.get(dialect.name)
        if statement is None:
            raise InvalidInput(f"status allocation is not supported on {dialect.name}")
        rows = [
            {
                "status_list_id": list_id,
                "status_index": index,
                "credential_id": credential_id,
                "created_at": now,
            }
            for list_id, index, credential_id in picks
        ]
        with translated_errors("status entry"):
            result = connection.execute(statement, rows)
        inserted = {(row[0], row[1], row[2]) for row in result}
        return {pick for pick in picks if pick not in inserted}

    @staticmethod
    def _allocate_arrays(
        connection: Connection,
        picks: Sequence[tuple[uuid.UUID, int, uuid.UUID]],
        now: datetime,
    ) -> set[tuple[uuid.UUID, int, uuid.UUID]]:
        lists = [list_id for list_id, _index, _credential in picks]
        indexes = [index for _list, index, _credential in picks]
        credentials = [credential for _list, _index, credential in picks]
        with translated_errors("status entry"):
            result = connection.exec_driver_sql(
                _ALLOCATE_ARRAYS,
                {
                    "lists": lists,
                    "indexes": indexes,
                    "credentials": credentials,
                    "now": now.astimezone(UTC),
                },
            )
        return {(row[0], row[1], row[2]) for row in result}

    def try_hold_list(self, list_id: uuid.UUID) -> bool:
        """Hold the list for this transaction unless another transaction does (PostgreSQL: a
        transaction-level advisory lock in a key space of status lists; released at commit or
        rollback). SQLite has one writer at a time: always True."""
        connection = self._session.connection()
        if connection.dialect.name != "postgresql":
            return True
        key = int.from_bytes(list_id.bytes[:4], "big", signed=True)
        held = connection.execute(
            text("SELECT pg_try_advisory_xact_lock(:space, :key)"),
            {"space": _LIST_LOCK_SPACE, "key": key},
        ).scalar_one()
        return bool(held)

    def find_entry(self, list_id: uuid.UUID, credential_id: uuid.UUID) -> StatusEntry | None:
        return self._session.scalar(
            select(StatusEntry).where(
                StatusEntry.status_list_id == list_id, StatusEntry.credential_id == credential_id
            )
        )

    def allocated_indexes(self, list_id: uuid.UUID) -> list[int]:
        """Every index handed out in the list (to rebuild an allocation map), unordered."""
        query = select(StatusEntry.status_index).where(StatusEntry.status_list_id == list_id)
        return list(self._session.scalars(query.execution_options(yield_per=10_000)))

    def count_entries(self, issuer_id: uuid.UUID, list_id: uuid.UUID) -> int:
        self.get_list(issuer_id, list_id)
        query = (
            select(func.count())
            .select_from(StatusEntry)
            .where(StatusEntry.status_list_id == list_id)
        )
        return int(self._session.scalar(query) or 0)

    def entries_for_credential(
        self, issuer_id: uuid.UUID, credential_id: uuid.UUID
    ) -> list[tuple[StatusEntry, StatusList]]:
        query = (
            select(StatusEntry, StatusList)
            .join(StatusList, StatusList.id == StatusEntry.status_list_id)
            .where(StatusEntry.credential_id == credential_id, StatusList.issuer_id == issuer_id)
            .order_by(StatusList.purpose)
        )
        return [(entry, lst) for entry, lst in self._session.execute(query).all()]

    def save_list(
        self,
        issuer_id: uuid.UUID,
        list_id: uuid.UUID,
        *,
        expected_version: int,
        bitstring: bytes | None = None,
        credential: dict[str, Any] | None = None,
        etag: str | None = None,
    ) -> StatusList:
        """Write new bits and/or a newly signed list credential; ``version`` goes up by one.

        :class:`Conflict` if someone else saved the list since ``expected_version`` was read.
        """
        status_list = self.get_list(issuer_id, list_id)
        values: dict[str, Any] = {"version": expected_version + 1, "updated_at": self._now()}
        if bitstring is not None:
            if len(bitstring) * 8 < status_list.size:
                raise InvalidInput("the bitstring is shorter than the list size")
            values["bitstring"] = bitstring
        if credential is not None:
            values["credential"] = credential
            values["etag"] = etag
        result = self._session.execute(
            update(StatusList)
            .where(
                StatusList.id == list_id,
                StatusList.issuer_id == issuer_id,
                StatusList.version == expected_version,
            )
            .values(**values)
            .execution_options(synchronize_session="fetch")
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict("the status list changed meanwhile; read it again and retry")
        self._session.refresh(status_list)
        return status_list
