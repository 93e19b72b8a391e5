"""Translate database exceptions into the microcred error tree, once, at the storage edge.

=========================================  ===============================================
database says                              we raise
=========================================  ===============================================
unique / primary-key violation             :class:`~microcred.errors.Conflict`
foreign-key violation                      :class:`~microcred.errors.Conflict`
CHECK / NOT NULL violation                 :class:`~microcred.errors.InvalidInput`
serialization failure, deadlock, busy      :class:`~microcred.errors.Conflict` (retry)
=========================================  ===============================================

Messages name the rule in words ("this idempotency key was already used ..."), never SQL. The
violated constraint's name is kept on the error's ``extra`` as ``constraint`` so a caller can
tell one conflict from another without parsing text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from microcred.errors import Conflict, InvalidInput, MicrocredError
from microcred.storage.tables import Base

__all__ = ["constraint_name", "translate_db_error", "translated_errors"]

# Friendly words for the constraints callers are expected to hit.
_MESSAGES: dict[str, str] = {
    "uq_credentials_issuer_id_idempotency_key": (
        "this idempotency key was already used for another credential of this issuer"
    ),
    "uq_credentials_credential_uri": "a credential with this id already exists",
    "uq_credentials_claim_token_hash": "this claim token is already in use",
    "pk_status_entries": "this status list index is already allocated",
    "uq_status_entries_status_list_id_credential_id": (
        "this credential already has an entry in this status list"
    ),
    "pk_import_rows": "this row of the import file was already loaded",
    "uq_issuers_slug": "an issuer with this short name already exists",
    "uq_issuers_did": "an issuer with this DID already exists",
    "uq_issuer_keys_one_active": "the issuer already has an active signing key",
    "uq_issuer_keys_key_store_id": "this key-store key is already registered",
    "uq_issuer_keys_verification_method": "this verification method is already registered",
    "uq_users_email": "a user with this e-mail address already exists",
    "pk_memberships": "this user is already a member of this issuer",
    "uq_api_tokens_token_hash": "this API token already exists",
    "pk_sessions": "this session already exists",
    "uq_definitions_issuer_id_slug": "a definition with this short name already exists",
    "uq_definition_versions_definition_id_version": (
        "this version of the definition already exists (created concurrently?)"
    ),
    "uq_learners_issuer_id_external_id": (
        "a learner with this external (student) id already exists at this issuer"
    ),
}

_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (?P<cols>.+)$")
_SQLITE_CHECK = re.compile(r"CHECK constraint failed: (?P<name>\S+)")
_SQLITE_NOT_NULL = re.compile(r"NOT NULL constraint failed: (?P<col>\S+)")


def _unique_constraints_by_columns() -> dict[tuple[str, frozenset[str]], str]:
    """(table, columns) -> constraint name, for SQLite, whose messages only list columns."""
    found: dict[tuple[str, frozenset[str]], str] = {}
    for table in Base.metadata.tables.values():
        for constraint in table.constraints:
            columns = getattr(constraint, "columns", None)
            name = constraint.name
            if isinstance(name, str) and columns is not None and name[:3] in ("uq_", "pk_"):
                found[(table.name, frozenset(c.name for c in columns))] = name
        for index in table.indexes:
            if index.unique and isinstance(index.name, str):
                found[(table.name, frozenset(c.name for c in index.columns))] = index.name
    return found


_BY_COLUMNS = _unique_constraints_by_columns()


def constraint_name(exc: DBAPIError) -> str | None:
    """The name of the violated constraint, when the driver tells it."""
    diag = getattr(exc.orig, "diag", None)  # psycopg
    name = getattr(diag, "constraint_name", None)
    if isinstance(name, str):
        return name
    message = str(exc.orig)
    match = _SQLITE_UNIQUE.search(message)
    if match:
        qualified = [part.strip() for part in match.group("cols").split(",")]
        table = qualified[0].split(".")[0]
        columns = frozenset(part.split(".", 1)[-1] for part in qualified)
        return _BY_COLUMNS.get((table, columns))
    match = _SQLITE_CHECK.search(message)
    if match:
        return match.group("name")
    return None


def _sqlstate(exc: DBAPIError) -> str | None:
    state = getattr(exc.orig, "sqlstate", None)
    return state if isinstance(state, str) else None


def translate_db_error(exc: DBAPIError, what: str = "record") -> MicrocredError | None:
    """The microcred error for ``exc``, or ``None`` when it is not ours to translate.

    ``what`` names the thing being written ("credential", "learner") for the fallback message.
    """
    state = _sqlstate(exc)
    message = str(exc.orig)
    name = constraint_name(exc)
    extra = {"constraint": name} if name else {}
    if isinstance(exc, IntegrityError):
        if state == "23505" or "UNIQUE constraint failed" in message:
            detail = _MESSAGES.get(name or "", f"this {what} clashes with an existing one")
            return Conflict(detail, **extra)
        if state == "23503" or "FOREIGN KEY constraint failed" in message:
            return Conflict(
                f"this {what} refers to something that does not exist, "
                "or something else still refers to it",
                **extra,
            )
        if state == "23514" or "CHECK constraint failed" in message:
            return InvalidInput(f"a value of this {what} is not allowed", **extra)
        if state == "23502" or _SQLITE_NOT_NULL.search(message):
            return InvalidInput(f"a required value of this {what} is missing", **extra)
        return Conflict(f"this {what} conflicts with the stored data", **extra)
    if state in ("40001", "40P01", "55P03"):
        return Conflict("a concurrent change got in the way; please retry", retryable=True)
    if isinstance(exc, OperationalError) and "database is locked" in message:
        return Conflict("the database is busy; please retry", retryable=True)
    return None


@contextmanager
def translated_errors(what: str = "record") -> Iterator[None]:
    """Re-raise database exceptions from the block as microcred errors (where we know how)."""
    try:
        yield
    except DBAPIError as exc:
        translated = translate_db_error(exc, what)
        if translated is None:
            raise
        raise translated from exc
