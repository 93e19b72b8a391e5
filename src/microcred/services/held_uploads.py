"""Bulk-import files held between the console's steps (upload → map columns → dry run → start).

The file is kept in the database (``console_uploads``), not in one process's memory, so the
steps work when the server runs several workers and after a restart. :meth:`HeldUploads.hold`
returns a random key (the browser carries it in the form); only its SHA-256 is stored. A held
file belongs to the person and the issuer that uploaded it — anyone else, an unknown key or a
file older than :data:`UPLOAD_TTL` gets "upload it again" (:class:`InvalidInput`). Holding a
new file deletes those older than the TTL, so nothing piles up.

Stateless: build one per use with the platform's unit-of-work factory. Framework-free.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from microcred.clock import Clock
from microcred.errors import InvalidInput
from microcred.services.access import Permission, Principal
from microcred.services.issuers import require_issuer_permission
from microcred.storage import UnitOfWorkFactory
from microcred.storage.repositories.web import WebRepository
from microcred.storage.web_tables import ConsoleUpload

__all__ = ["MAX_HELD_FILE", "UPLOAD_TTL", "HeldUpload", "HeldUploads"]

UPLOAD_TTL: Final = timedelta(hours=1)
MAX_HELD_FILE: Final = 10 * 1024 * 1024
_KEY: Final = re.compile(r"^[A-Za-z0-9_-]{32}$")
_GONE: Final = "The uploaded file is no longer here; please upload it again."


@dataclass(frozen=True)
class HeldUpload:
    filename: str
    data: bytes


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("ascii")).hexdigest()


class HeldUploads:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def hold(self, principal: Principal, issuer_id: uuid.UUID, filename: str, data: bytes) -> str:
        """Keep ``data`` for the import steps (IMPORT_RUN); the key to get it back."""
        if not data:
            raise InvalidInput("Choose a CSV or XLSX file.")
        if len(data) > MAX_HELD_FILE:
            raise InvalidInput("The file is larger than 10 MiB.")
        key = secrets.token_urlsafe(24)
        now = self._clock.now()
        with self._uow() as tx:
            require_issuer_permission(tx, principal, issuer_id, Permission.IMPORT_RUN)
            repository = WebRepository(tx.session, self._clock)
            repository.purge_uploads(now - UPLOAD_TTL)
            repository.put_upload(
                ConsoleUpload(
                    key_hash=_hash(key),
                    issuer_id=issuer_id,
                    user_id=principal.user_id,
                    filename=(filename or "upload")[:255],
                    data=data,
                    created_at=now,
                )
            )
            tx.commit()
        return key

    def get(self, principal: Principal, issuer_id: uuid.UUID, key: str) -> HeldUpload:
        """The held file of ``key`` (InvalidInput when gone, expired or someone else's)."""
        if not _KEY.match(key or ""):
            raise InvalidInput(_GONE)
        with self._uow(read_only=True) as tx:
            require_issuer_permission(tx, principal, issuer_id, Permission.IMPORT_RUN)
            found = WebRepository(tx.session, self._clock).get_upload(_hash(key))
            if (
                found is None
                or found.issuer_id != issuer_id
                or found.user_id != principal.user_id
                or found.created_at < self._clock.now() - UPLOAD_TTL
            ):
                raise InvalidInput(_GONE)
            return HeldUpload(found.filename, found.data)
