"""Writing and reading the audit log from services.

Every state-changing use case calls :func:`record_audit` inside its own unit of work, before
``commit()``, so the entry lands in the same transaction as the change (both or neither).
An entry says who (the user and, for API calls, the token), what (``action``, e.g.
``member.add``), on which target, when (the unit of work's clock) and from where (the IP
address the shell put into the :class:`~microcred.services.access.Principal`).

``details`` must never hold a secret. As a second line of defence, any key with a word that
names one (``password``, ``passphrase``, ``secret``, ``token`` — except ``token_id``,
``token_name`` and ``token_prefix`` —, ``hash``, ``kek``, ``private``, ``cookie``; words split
at ``_``, ``-`` and camelCase) has its value replaced by ``"[redacted]"`` at any depth, and
long strings are cut.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from microcred.services.access import Principal
from microcred.services.schemas_identity import AuditEntryInfo
from microcred.storage import AuditEntry, UnitOfWork

__all__ = ["REDACTED", "audit_entry_info", "record_audit", "scrub_details"]

REDACTED = "[redacted]"

_SECRET_WORDS = frozenset(
    {"password", "passwd", "passphrase", "secret", "token", "hash", "kek", "private", "cookie"}
)
_SAFE_KEYS = frozenset({"token_id", "token_prefix", "token_name"})
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_WORD_SPLIT = re.compile(r"[^a-z0-9]+")


def _looks_secret(key: str) -> bool:
    if key in _SAFE_KEYS:
        return False
    words = _WORD_SPLIT.split(_CAMEL.sub(r"\1_\2", key).lower())
    return any(word in _SECRET_WORDS for word in words)


_MAX_STRING = 1000
_MAX_ITEMS = 100
_MAX_DEPTH = 4


def _normalise_ip(ip: str | None) -> str | None:
    if ip is None:
        return None
    try:
        return str(ipaddress.ip_address(ip.strip().split("%", 1)[0]))
    except ValueError:
        return ip.strip()[:45] or None


def _scrub(value: Any, depth: int) -> Any:
    if depth > _MAX_DEPTH:
        return "[too deep]"
    if isinstance(value, Mapping):
        result: dict[str, Any] = {}
        for index, (key, item) in enumerate(value.items()):
            if index >= _MAX_ITEMS:
                result["[more]"] = len(value) - _MAX_ITEMS
                break
            name = str(key)
            if _looks_secret(name):
                result[name] = REDACTED
            else:
                result[name] = _scrub(item, depth + 1)
        return result
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else list(value)
        return [_scrub(item, depth + 1) for item in items[:_MAX_ITEMS]]
    if isinstance(value, str):
        return value if len(value) <= _MAX_STRING else value[:_MAX_STRING] + "…"
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return str(value)[:_MAX_STRING]


def scrub_details(details: Mapping[str, Any] | None) -> dict[str, Any]:
    """JSON-ready ``details`` with secret-looking keys redacted and sizes bounded."""
    if not details:
        return {}
    scrubbed = _scrub(details, 0)
    assert isinstance(scrubbed, dict)
    return scrubbed


def record_audit(
    tx: UnitOfWork,
    principal: Principal | None,
    action: str,
    *,
    issuer_id: uuid.UUID | None = None,
    target_type: str | None = None,
    target_id: object | None = None,
    details: Mapping[str, Any] | None = None,
    ip: str | None = None,
) -> AuditEntry:
    """Append one audit entry in ``tx`` (the caller commits).

    ``principal`` is the actor (``None`` for bootstrap actions and anonymous attempts such as
    a failed login). ``ip`` overrides the principal's address (used when there is none).
    """
    return tx.audit.record(
        AuditEntry(
            action=action,
            issuer_id=issuer_id,
            actor_user_id=principal.user_id if principal is not None else None,
            actor_token_id=principal.token_id if principal is not None else None,
            target_type=target_type,
            target_id=None if target_id is None else str(target_id)[:200],
            ip=_normalise_ip(ip if ip is not None else principal.ip if principal else None),
            details=scrub_details(details),
        )
    )


def audit_entry_info(entry: AuditEntry) -> AuditEntryInfo:
    return AuditEntryInfo(
        id=entry.id,
        at=entry.at,
        action=entry.action,
        issuer_id=entry.issuer_id,
        actor_user_id=entry.actor_user_id,
        actor_token_id=entry.actor_token_id,
        target_type=entry.target_type,
        target_id=entry.target_id,
        ip=entry.ip,
        details=dict(entry.details),
    )
