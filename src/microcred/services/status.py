"""Revocation and suspension: status list allocation, changes, publication.

W3C *Bitstring Status List v1.0*; the pure parts live in :mod:`microcred.status`.

Allocation (:meth:`StatusService.allocate_entries`)
    Called by issuance *inside its transaction, before signing*: every credential gets one
    ``BitstringStatusListEntry`` per purpose (``revocation``, ``suspension``). The index is drawn
    uniformly at random among the free slots of the issuer's current list (herd privacy, §2.1
    ``statusListIndex`` and §6.1), from an in-memory bitmap of allocated slots kept per list
    (:class:`~microcred.status.lists.AllocationMap`, loaded once per process from the list's
    entries), so allocation never scans rows. The database has the last word: the primary key
    ``(status_list_id, status_index)`` makes a double allocation impossible. Both entries are
    written by one ``INSERT … ON CONFLICT DO NOTHING RETURNING``; a pair that comes back missing
    collided (another process drew the same index) and is drawn again. A full list opens the
    next one (``number + 1``; ``UNIQUE (issuer, purpose, number)`` lets exactly one of two
    racing transactions create it, the other uses it).

Changes (:meth:`revoke`, :meth:`suspend`, :meth:`reinstate`, :meth:`credential_status`)
    Need ``credential:revoke`` at the credential's issuer (others' credentials are
    ``NotFound``). One transaction: the credential's state, the list's bit, the list credential
    re-signed with the issuer's key (``eddsa-rdfc-2022`` by default) and stored with a new ETag
    and version, and the audit entry holding the reason. The reason is never published: the
    list says only "bit set". Revocation is final (§2.2: "not reversible"); only a suspension
    can be lifted.

Publication (:meth:`status_list_credential`)
    Public and read-only: returns the stored signed JSON and its ETag. Nothing is ever signed on
    a read; the HTTP layer serves it with ``Cache-Control: public, max-age=<ttl>``
    (:attr:`cache_control`), the same lifetime the list states in ``credentialSubject.ttl``.
"""

from __future__ import annotations

import copy
import re
import secrets
import threading
import uuid
import weakref
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Literal, Protocol, cast

from pydantic import Field

from microcred.errors import ConfigError, Conflict, InvalidInput, NotFound, StatusError
from microcred.keys.protocols import Signer
from microcred.model import StrictModel
from microcred.proof.data_integrity import add_proof
from microcred.proof.options import ProofOptions
from microcred.proof.registry import CryptosuiteRegistry
from microcred.services.access import Permission, Principal, require
from microcred.services.audit import record_audit
from microcred.services.issuers import require_issuer_permission
from microcred.status.bitstring import MIN_ENTRIES, encode_bitstring, get_status, set_status
from microcred.status.credentials import build_status_list_credential
from microcred.status.lists import (
    PURPOSES,
    AllocationMap,
    RandomBelow,
    parse_status_list_url,
    status_list_entry,
    status_list_url,
)
from microcred.status.protocols import document_digest
from microcred.storage import (
    Credential,
    CredentialState,
    StatusList,
    StatusPurpose,
    UnitOfWork,
    UnitOfWorkFactory,
)

__all__ = [
    "CredentialStatusInfo",
    "CredentialStatusSelector",
    "CredentialStatusUpdate",
    "ListSigners",
    "ReplacedCredential",
    "StatusChange",
    "StatusListInfo",
    "StatusService",
]

_MAX_ATTEMPTS: Final = 64
_MAX_NUMBER: Final = 2**31 - 1  # the column is a 32-bit integer
_RELOAD_AFTER: Final = 8  # collisions in one allocation before the map is reloaded
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_ENTRY_TYPES: Final = frozenset({"BitstringStatusListEntry", "BitstringStatusList"})


class ListSigners(Protocol):
    """Where list signers come from: ``IssuerService.signer_for_issuer``."""

    def signer_for_issuer(self, issuer_id: uuid.UUID) -> AbstractContextManager[Signer]: ...


class ReplacedCredential(Protocol):
    """What :meth:`StatusService.on_replaced` reads from issuance's ``CredentialReplaced``."""

    @property
    def issuer_id(self) -> uuid.UUID: ...

    @property
    def old_id(self) -> uuid.UUID: ...

    @property
    def new_uri(self) -> str: ...

    @property
    def reason(self) -> str: ...


# --------------------------------------------------------------------------- inputs / outputs


class CredentialStatusSelector(StrictModel):
    """``credentialStatus`` of a VC-API status update: which status of the credential."""

    type: str = Field(max_length=100)
    status_purpose: str = Field(max_length=50)
    id: str | None = Field(default=None, max_length=2048)
    status_list_index: str | None = Field(default=None, max_length=20)
    status_list_credential: str | None = Field(default=None, max_length=2048)


class CredentialStatusUpdate(StrictModel):
    """The body of VC-API ``POST /credentials/status``.

    ``{"credentialId": "urn:uuid:…", "credentialStatus": {"type": "BitstringStatusListEntry",
    "statusPurpose": "revocation"}, "status": true}`` — ``status`` true sets the status
    (revoke / suspend), false clears it (lift a suspension; revocation cannot be undone).
    """

    credential_id: str = Field(min_length=1, max_length=200)
    credential_status: CredentialStatusSelector
    status: bool


@dataclass(frozen=True)
class StatusChange:
    """The outcome of a status change.

    ``published`` is false when the credential has no entry for ``purpose`` (issued before
    status lists, or signed without one): its state changed here, but no verifier can see it.
    ``changed`` is false when nothing had to change (a repeated VC-API request).
    """

    credential_id: uuid.UUID
    credential_uri: str
    state: CredentialState
    purpose: str
    status: bool
    published: bool
    changed: bool
    status_list_credential: str | None = None
    status_list_index: int | None = None
    list_version: int | None = None


@dataclass(frozen=True)
class StatusListInfo:
    """One list of an issuer, for the admin pages and the CLI."""

    id: uuid.UUID
    purpose: str
    number: int
    url: str
    size: int
    allocated: int
    set: int
    version: int
    etag: str | None
    created_at: datetime
    updated_at: datetime | None


@dataclass(frozen=True)
class CredentialStatusInfo:
    """One status entry of a credential and whether its bit is set now."""

    purpose: str
    status_list_credential: str
    status_list_index: int
    set: bool


# --------------------------------------------------------------------------- allocation state


@dataclass
class _ListSlots:
    """A list as this process knows it; ``creator`` is set while the list may be uncommitted.

    A list opened inside an issuing transaction exists for other transactions only once that
    one commits (and never if it rolls back), so only its creator uses it unchecked; anyone
    else first sees it in a query (then it is committed and ``creator`` is cleared).
    """

    list_id: uuid.UUID
    url: str
    slots: AllocationMap
    full: bool = False
    creator: weakref.ref[UnitOfWork] | None = None

    def usable_by(self, tx: UnitOfWork) -> bool:
        return not self.full and (self.creator is None or self.creator() is tx)


@dataclass(frozen=True)
class _IssuerRef:
    id: uuid.UUID
    slug: str
    did: str


def _check_reason(reason: object) -> str:
    if not isinstance(reason, str):
        raise InvalidInput("reason: must be a text")
    text = reason.strip()
    if not text:
        raise InvalidInput("reason: say why (it is kept in the audit log, never published)")
    if len(text) > 1000:
        raise InvalidInput("reason: at most 1000 characters")
    if _CONTROL.search(text):
        raise InvalidInput("reason: control characters are not allowed")
    return text


class StatusService:
    """Status lists of every issuer (see the module docstring).

    :param signers: ``IssuerService`` (``signer_for_issuer``), to sign list credentials.
    :param registry: the engine's cryptosuites; lists are signed with ``suite_name``.
    :param base_url: the platform's public URL; lists live under ``<base_url>/status/``.
    :param list_size: entries per list; the specification's minimum, 131,072, unless a test
        needs small lists (smaller lists fail verification with ``STATUS_LIST_LENGTH_ERROR``).
    :param ttl: how long verifiers may cache a list (``credentialSubject.ttl`` and the HTTP
        ``Cache-Control`` max-age); the longest a change can stay unseen.
    :param randbelow: the random source for indexes (:func:`secrets.randbelow`).
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        signers: ListSigners,
        registry: CryptosuiteRegistry,
        *,
        base_url: str,
        suite_name: str = "eddsa-rdfc-2022",
        list_size: int = MIN_ENTRIES,
        ttl: timedelta = timedelta(minutes=5),
        randbelow: RandomBelow = secrets.randbelow,
    ) -> None:
        if not isinstance(list_size, int) or list_size <= 0 or list_size % 8:
            raise ConfigError("list_size must be a positive multiple of 8")
        if ttl < timedelta(0):
            raise ConfigError("the status list ttl cannot be negative")
        registry.get(suite_name)  # unknown suite: fail at start, not at the first revocation
        self._uow = uow
        self._signers = signers
        self._registry = registry
        self._base_url = base_url.rstrip("/")
        self._suite_name = suite_name
        self._list_size = list_size
        self._ttl = ttl
        self._randbelow = randbelow
        self._lock = threading.Lock()
        self._slots: dict[uuid.UUID, _ListSlots] = {}
        self._current: dict[tuple[uuid.UUID, StatusPurpose], uuid.UUID] = {}
        self._issuers: dict[uuid.UUID, _IssuerRef] = {}
        #: bulk transactions -> the list each holds per (issuer, purpose) (see _claim)
        self._claims: weakref.WeakKeyDictionary[
            UnitOfWork, dict[tuple[uuid.UUID, StatusPurpose], uuid.UUID]
        ] = weakref.WeakKeyDictionary()

    def __repr__(self) -> str:
        return (
            f"StatusService(base_url={self._base_url!r}, list_size={self._list_size}, "
            f"suite={self._suite_name!r})"
        )

    @property
    def cache_control(self) -> str:
        """The ``Cache-Control`` header to serve lists with (matches their ``ttl``)."""
        return f"public, max-age={int(self._ttl.total_seconds())}"

    @property
    def ttl(self) -> timedelta:
        return self._ttl

    def list_url(self, slug: str, purpose: str, number: int) -> str:
        return status_list_url(self._base_url, slug, purpose, number)

    # ------------------------------------------------------------------ allocation

    def allocate_entries(
        self, tx: UnitOfWork, issuer_id: uuid.UUID, credential_id: uuid.UUID
    ) -> list[dict[str, Any]]:
        """Allocate the status entries of a credential being issued; return them (§2.1).

        Call inside the issuing unit of work, *before* composing and signing, with the id the
        credential row will have (``Credential(id=credential_id, …)`` added in the same
        transaction — the entries' foreign key is checked at COMMIT). Returns one
        ``BitstringStatusListEntry`` per purpose, revocation first, to pass as
        ``compose_credential(..., credential_status=entries)``. Calling it again for the same
        credential in the same transaction returns the same entries. No access check here: the
        caller has checked ``credential:issue``.
        """
        return self.allocate_entries_bulk(tx, issuer_id, [credential_id], exclusive=False)[0]

    def allocate_entries_bulk(
        self,
        tx: UnitOfWork,
        issuer_id: uuid.UUID,
        credential_ids: Sequence[uuid.UUID],
        *,
        exclusive: bool = True,
    ) -> list[list[dict[str, Any]]]:
        """:meth:`allocate_entries` for many credentials at once (bulk issuance).

        One database statement per round for the whole batch instead of one per credential;
        returns the entries of each credential in the order of ``credential_ids``.
        ``exclusive`` (the default): from lists no other bulk transaction draws from at the
        same time (:meth:`_claim`).
        """
        issuer = self._issuer(tx, issuer_id)
        purposes = [StatusPurpose(p) for p in PURPOSES]
        wanted = list(dict.fromkeys(credential_ids))
        # found[credential][purpose]; pending: (credential position, purpose position)
        found: list[list[dict[str, Any] | None]] = [[None] * len(purposes) for _ in wanted]
        pending = [(at, kind) for at in range(len(wanted)) for kind in range(len(purposes))]
        collisions = 0
        for _ in range(_MAX_ATTEMPTS):
            picks: list[tuple[int, int, _ListSlots, int]] = []
            for at, kind in pending:
                target, index = self._pick(tx, issuer, purposes[kind], exclusive=exclusive)
                picks.append((at, kind, target, index))
            refused = tx.status_lists.allocate_entries_refused(
                [(target.list_id, index, wanted[at]) for at, _kind, target, index in picks]
            )
            pending = []
            for at, kind, target, index in picks:
                purpose = purposes[kind].value
                if not refused or (target.list_id, index, wanted[at]) not in refused:
                    found[at][kind] = status_list_entry(target.url, purpose, index)
                    continue
                existing = tx.status_lists.find_entry(target.list_id, wanted[at])
                if existing is not None:  # allocated earlier in this transaction
                    found[at][kind] = status_list_entry(target.url, purpose, existing.status_index)
                    continue
                collisions += 1  # another process holds the index: draw again
                pending.append((at, kind))
                if collisions % _RELOAD_AFTER == 0:
                    self._reload(tx, target)
            if not pending:
                if len(wanted) == len(credential_ids):  # no repeats: found is in their order
                    return cast(list[list[dict[str, Any]]], found)
                by_credential = dict(zip(wanted, found, strict=True))
                return [
                    [entry for entry in by_credential[credential_id] if entry is not None]
                    for credential_id in credential_ids
                ]
        raise StatusError(
            f"could not allocate status indexes after {_MAX_ATTEMPTS} attempts "
            f"({collisions} collisions)"
        )

    def _issuer(self, tx: UnitOfWork, issuer_id: uuid.UUID) -> _IssuerRef:
        with self._lock:
            known = self._issuers.get(issuer_id)
        if known is not None:
            return known
        row = tx.issuers.get(issuer_id)
        ref = _IssuerRef(row.id, row.slug, row.did)
        with self._lock:
            self._issuers[issuer_id] = ref
        return ref

    def _pick(
        self, tx: UnitOfWork, issuer: _IssuerRef, purpose: StatusPurpose, *, exclusive: bool = False
    ) -> tuple[_ListSlots, int]:
        """A free index of the issuer's current list for ``purpose`` (marked as taken);
        ``exclusive``: of a list no other bulk transaction holds (:meth:`_claim`)."""
        for _ in range(_MAX_ATTEMPTS):
            target = self._target(tx, issuer, purpose, exclusive=exclusive)
            with self._lock:
                index = target.slots.pick(self._randbelow)
                if index is not None:
                    target.slots.mark(index)
                    return target, index
                self._retire(issuer.id, purpose, target)
        raise StatusError(f"could not find a free {purpose.value} status index")

    def _target(
        self,
        tx: UnitOfWork,
        issuer: _IssuerRef,
        purpose: StatusPurpose,
        *,
        exclusive: bool = False,
    ) -> _ListSlots:
        key = (issuer.id, purpose)
        with self._lock:
            if exclusive:
                held = self._claims.get(tx, {}).get(key)
                slots = self._slots.get(held) if held is not None else None
                if slots is not None and slots.usable_by(tx) and not slots.slots.full:
                    return slots
            current = self._current.get(key)
            slots = self._slots.get(current) if current is not None else None
            if slots is not None and slots.usable_by(tx) and not exclusive:
                return slots
        if slots is not None and slots.usable_by(tx) and self._claim(tx, key, slots.list_id):
            return slots
        for _ in range(_MAX_ATTEMPTS):
            rows = tx.status_lists.list_for_issuer(issuer.id, purpose=purpose)
            for row in rows:
                candidate = self._slots_for(tx, row)
                with self._lock:
                    if candidate.creator is not None and candidate.creator() is not tx:
                        candidate.creator = None  # visible to another transaction: committed
                if candidate.full:
                    continue
                if candidate.slots.full:
                    self._reload(tx, candidate)
                    if candidate.slots.full:
                        with self._lock:
                            candidate.full = True
                        continue
                if exclusive and not self._claim(tx, key, row.id):
                    continue  # another bulk transaction draws from it now: take the next
                with self._lock:
                    self._current[key] = row.id
                return candidate
            number = rows[-1].number + 1 if rows else 1
            try:
                row = self._open_list(tx, issuer, purpose, number)
            except Conflict as conflict:
                if conflict.extra.get("retryable"):
                    # a deadlock with another issuing transaction: only rolling back the
                    # whole transaction releases what the other one waits for
                    raise
                continue  # another transaction opened list `number` first: use it
            with self._lock:
                slots = _ListSlots(
                    row.id,
                    self._url(issuer, purpose, row.number),
                    AllocationMap(row.size),
                    creator=weakref.ref(tx),
                )
                self._slots[row.id] = slots
                self._current[key] = row.id
            if exclusive:
                self._claim(tx, key, row.id)  # only this transaction sees the new list yet
            return slots
        raise StatusError(f"could not open a {purpose.value} status list")

    def _claim(
        self, tx: UnitOfWork, key: tuple[uuid.UUID, StatusPurpose], list_id: uuid.UUID
    ) -> bool:
        """Hold the list for this bulk transaction (until it ends), or False when another
        one holds it.

        Two bulk workers drawing random indexes from one list collide every chunk (500 × 500
        draws among 131,072), and a collision with an uncommitted entry makes PostgreSQL wait
        for the other worker's whole chunk: in round 7 of ``docs/performance.md`` one worker
        was waiting half the time. Held lists (a transaction-level advisory lock) keep
        concurrent bulk transactions on different lists, each drawn from at random as before;
        single issues do not take part (they would open a list per concurrent request).
        """
        if not tx.status_lists.try_hold_list(list_id):
            return False
        with self._lock:
            self._claims.setdefault(tx, {})[key] = list_id
        return True

    def _slots_for(self, tx: UnitOfWork, row: StatusList) -> _ListSlots:
        with self._lock:
            known = self._slots.get(row.id)
        if known is not None:
            return known
        slug = self._issuer(tx, row.issuer_id).slug
        taken = tx.status_lists.allocated_indexes(row.id)
        loaded = _ListSlots(
            row.id,
            status_list_url(self._base_url, slug, row.purpose.value, row.number),
            AllocationMap(row.size, taken),
        )
        with self._lock:
            return self._slots.setdefault(row.id, loaded)

    def _reload(self, tx: UnitOfWork, target: _ListSlots) -> None:
        taken = tx.status_lists.allocated_indexes(target.list_id)
        fresh = AllocationMap(target.slots.size, taken)
        with self._lock:
            # what this process handed out in transactions not committed yet is not in the
            # fresh map; such an index drawn again collides in the database and is retried
            target.slots = fresh

    def _retire(self, issuer_id: uuid.UUID, purpose: StatusPurpose, target: _ListSlots) -> None:
        """The in-memory map is full: the next ``_target`` confirms against the database."""
        if self._current.get((issuer_id, purpose)) == target.list_id:
            del self._current[(issuer_id, purpose)]

    def _url(self, issuer: _IssuerRef, purpose: StatusPurpose, number: int) -> str:
        return status_list_url(self._base_url, issuer.slug, purpose.value, number)

    def _open_list(
        self, tx: UnitOfWork, issuer: _IssuerRef, purpose: StatusPurpose, number: int
    ) -> StatusList:
        bits = bytes(self._list_size // 8)
        url = self._url(issuer, purpose, number)
        signed, etag = self._sign(issuer, url, purpose, bits, self._now())
        return tx.status_lists.add_list(
            StatusList(
                issuer_id=issuer.id,
                purpose=purpose,
                size=self._list_size,
                number=number,
                bitstring=bits,
                credential=signed,
                etag=etag,
            )
        )

    # ------------------------------------------------------------------ signing

    def _now(self) -> datetime:
        return self._uow.clock.now().replace(microsecond=0)

    def _sign(
        self, issuer: _IssuerRef, url: str, purpose: StatusPurpose, bits: bytes, now: datetime
    ) -> tuple[dict[str, Any], str]:
        """§3.1 "Generate Algorithm": encode the bits, build the credential, prove it."""
        unsigned = build_status_list_credential(
            url=url,
            issuer=issuer.did,
            purpose=purpose.value,
            encoded_list=encode_bitstring(bits),
            valid_from=now,
            ttl_ms=int(self._ttl.total_seconds() * 1000),
        )
        suite = self._registry.get(self._suite_name)
        with self._signers.signer_for_issuer(issuer.id) as signer:
            options = ProofOptions(
                cryptosuite=suite.name,
                verification_method=signer.verification_method,
                created=now,
            )
            signed = add_proof(unsigned, suite, options, signer)
        return signed, f'"{document_digest(signed)}"'

    # ------------------------------------------------------------------ changes

    def revoke(
        self, principal: Principal, issuer_id: uuid.UUID, credential_id: uuid.UUID, reason: str
    ) -> StatusChange:
        """Revoke for good: state ``revoked``, revocation bit set, list re-signed."""
        return self._change(principal, issuer_id, ("id", credential_id), "revoke", reason)

    def suspend(
        self, principal: Principal, issuer_id: uuid.UUID, credential_id: uuid.UUID, reason: str
    ) -> StatusChange:
        """Suspend (reversible): state ``suspended``, suspension bit set, list re-signed."""
        return self._change(principal, issuer_id, ("id", credential_id), "suspend", reason)

    def reinstate(
        self, principal: Principal, issuer_id: uuid.UUID, credential_id: uuid.UUID, reason: str
    ) -> StatusChange:
        """Lift a suspension. A revoked credential cannot be reinstated (:class:`Conflict`)."""
        return self._change(principal, issuer_id, ("id", credential_id), "reinstate", reason)

    def credential_status(
        self,
        principal: Principal,
        issuer_id: uuid.UUID,
        request: CredentialStatusUpdate | Mapping[str, Any],
        *,
        reason: str = "status update through the VC-API",
    ) -> StatusChange:
        """VC-API ``POST /credentials/status``: set or clear one status of a credential.

        ``request`` is :class:`CredentialStatusUpdate` or its JSON. ``credentialId`` is the
        credential's ``id`` (``urn:uuid:…``) or its database id. Setting a status that is
        already set (or clearing one that is clear) changes nothing and succeeds, so the call
        can be retried. Clearing a revocation is :class:`Conflict`.
        """
        update = (
            request
            if isinstance(request, CredentialStatusUpdate)
            else CredentialStatusUpdate.model_validate(request)
        )
        selector = update.credential_status
        if selector.type not in _ENTRY_TYPES:
            raise InvalidInput(
                f"credentialStatus.type {selector.type!r} is not supported; use "
                "BitstringStatusListEntry",
                errors=[{"path": "credentialStatus.type", "message": "unsupported type"}],
            )
        if selector.status_purpose not in PURPOSES:
            raise InvalidInput(
                f"credentialStatus.statusPurpose must be one of {', '.join(PURPOSES)}",
                errors=[{"path": "credentialStatus.statusPurpose", "message": "unsupported"}],
            )
        action: Literal["revoke", "suspend", "reinstate"]
        if selector.status_purpose == "revocation":
            if not update.status:
                raise Conflict("a revocation cannot be undone (revocation is permanent)")
            action = "revoke"
        else:
            action = "suspend" if update.status else "reinstate"
        return self._change(
            principal,
            issuer_id,
            ("ref", update.credential_id),
            action,
            reason,
            idempotent=True,
            selector=selector,
        )

    def on_replaced(self, tx: UnitOfWork, event: ReplacedCredential) -> None:
        """Issuance's re-issue hook: revoke the replaced credential in the same transaction."""
        row = tx.credentials.get(event.issuer_id, event.old_id)
        if row.state is not CredentialState.REVOKED:
            tx.credentials.revoke(
                event.issuer_id, event.old_id, f"replaced by {event.new_uri}: {event.reason}"
            )
        self._publish(tx, event.issuer_id, row.id, StatusPurpose.REVOCATION, 1)

    def _change(
        self,
        principal: Principal,
        issuer_id: uuid.UUID,
        locator: tuple[str, Any],
        action: Literal["revoke", "suspend", "reinstate"],
        reason: str,
        *,
        idempotent: bool = False,
        selector: CredentialStatusSelector | None = None,
    ) -> StatusChange:
        require(principal, issuer_id, Permission.CREDENTIAL_REVOKE)
        text = _check_reason(reason)
        purpose = StatusPurpose.REVOCATION if action == "revoke" else StatusPurpose.SUSPENSION
        value = 0 if action == "reinstate" else 1
        if locator[0] == "id":
            credential_id = locator[1]
        else:  # find the id first, so that the locked read below is the row's first read
            with self._uow(read_only=True) as lookup:
                credential_id = self._locate(lookup, issuer_id, locator).id
        with self._uow() as tx:
            row = tx.credentials.get(issuer_id, credential_id, for_update=True)
            changed_state = self._apply_state(tx, row, action, text, idempotent=idempotent)
            published = self._publish(tx, issuer_id, row.id, purpose, value, selector=selector)
            row = tx.credentials.get(issuer_id, row.id)
            change = StatusChange(
                credential_id=row.id,
                credential_uri=row.credential_uri,
                state=CredentialState(row.state),
                purpose=purpose.value,
                status=bool(value),
                published=published is not None,
                changed=changed_state or (published is not None and published[2]),
                status_list_credential=published[0] if published else None,
                status_list_index=published[1] if published else None,
                list_version=published[3] if published else None,
            )
            if change.changed:
                record_audit(
                    tx,
                    principal,
                    f"credential.{action}",
                    issuer_id=issuer_id,
                    target_type="credential",
                    target_id=row.id,
                    details={
                        "credential": row.credential_uri,
                        "reason": text,
                        "purpose": purpose.value,
                        "published": change.published,
                        "statusListCredential": change.status_list_credential,
                        "statusListIndex": change.status_list_index,
                    },
                )
                tx.commit()
        return change

    @staticmethod
    def _locate(tx: UnitOfWork, issuer_id: uuid.UUID, locator: tuple[str, Any]) -> Credential:
        kind, value = locator
        if kind == "id":
            return tx.credentials.get(issuer_id, value)
        text = str(value)
        found = tx.credentials.find_by_uri(issuer_id, text)
        if found is None:
            try:
                row_id = uuid.UUID(text.removeprefix("urn:uuid:"))
            except ValueError:
                row_id = None
            if row_id is not None:
                found = tx.credentials.find_by_uri(issuer_id, f"urn:uuid:{row_id}")
                if found is None:
                    try:
                        found = tx.credentials.get(issuer_id, row_id)
                    except NotFound:
                        found = None
        if found is None:
            raise NotFound(f"credential {text[:200]!r} not found")
        return found

    @staticmethod
    def _apply_state(
        tx: UnitOfWork, row: Credential, action: str, reason: str, *, idempotent: bool
    ) -> bool:
        state = CredentialState(row.state)
        issuer_id, credential_id = row.issuer_id, row.id
        if action == "revoke":
            if state is CredentialState.REVOKED:
                if idempotent:
                    return False
                raise Conflict("this credential is already revoked")
            tx.credentials.revoke(issuer_id, credential_id, reason)
        elif action == "suspend":
            if state is CredentialState.SUSPENDED and idempotent:
                return False
            if state is CredentialState.REVOKED:
                raise Conflict("a revoked credential cannot be suspended: it is revoked for good")
            tx.credentials.suspend(issuer_id, credential_id, reason)
        else:
            if state is CredentialState.REVOKED:
                raise Conflict("a revoked credential cannot be reinstated: revocation is permanent")
            if state is not CredentialState.SUSPENDED:
                if idempotent:
                    return False
                raise Conflict("this credential is not suspended")
            tx.credentials.reinstate(issuer_id, credential_id, reason)
        return True

    def _publish(
        self,
        tx: UnitOfWork,
        issuer_id: uuid.UUID,
        credential_id: uuid.UUID,
        purpose: StatusPurpose,
        value: int,
        *,
        selector: CredentialStatusSelector | None = None,
    ) -> tuple[str, int, bool, int] | None:
        """Set the credential's bit for ``purpose`` and re-sign the list if it changed.

        ``(list url, index, changed, list version)``, or ``None`` without an entry.
        """
        matches = [
            (entry, lst)
            for entry, lst in tx.status_lists.entries_for_credential(issuer_id, credential_id)
            if lst.purpose is purpose
        ]
        if not matches:
            if selector is not None and selector.status_list_credential is not None:
                raise InvalidInput("this credential has no entry in the status list named")
            return None
        entry, listed = matches[0]
        status_list = tx.status_lists.get_list(issuer_id, listed.id, for_update=True)
        issuer = self._issuer(tx, issuer_id)
        url = self._url(issuer, purpose, status_list.number)
        index = entry.status_index
        if selector is not None:
            named = selector.status_list_credential
            if (named is not None and named != url) or (
                selector.status_list_index is not None and selector.status_list_index != str(index)
            ):
                raise InvalidInput(
                    "credentialStatus names a status list entry this credential does not have",
                    errors=[{"path": "credentialStatus", "message": "does not match"}],
                )
        bits = bytearray(status_list.bitstring)
        if get_status(bits, index) == value:
            return url, index, False, status_list.version
        set_status(bits, index, value)
        signed, etag = self._sign(issuer, url, purpose, bytes(bits), self._now())
        saved = tx.status_lists.save_list(
            issuer_id,
            status_list.id,
            expected_version=status_list.version,
            bitstring=bytes(bits),
            credential=signed,
            etag=etag,
        )
        return url, index, True, saved.version

    def resign_lists(self, principal: Principal, issuer_id: uuid.UUID) -> int:
        """Re-sign every list of the issuer with its current key; how many were re-signed.

        Needs ``keys:manage`` (an operator may do it too). Run it after a key rotation or after
        marking a key compromised, so that no published list hangs on the old key.
        """
        with self._uow() as tx:
            require_issuer_permission(tx, principal, issuer_id, Permission.KEYS_MANAGE)
            count = self.resign_lists_in(tx, issuer_id)
            record_audit(
                tx,
                principal,
                "status.resign",
                issuer_id=issuer_id,
                target_type="issuer",
                target_id=issuer_id,
                details={"lists": count},
            )
            tx.commit()
        return count

    def resign_lists_in(self, tx: UnitOfWork, issuer_id: uuid.UUID) -> int:
        """:meth:`resign_lists` inside the caller's unit of work (e.g. the key rotation's)."""
        issuer = self._issuer(tx, issuer_id)
        now = self._now()
        rows = tx.status_lists.list_for_issuer(issuer_id)
        for row in rows:
            locked = tx.status_lists.get_list(issuer_id, row.id, for_update=True)
            url = self._url(issuer, locked.purpose, locked.number)
            signed, etag = self._sign(issuer, url, locked.purpose, locked.bitstring, now)
            tx.status_lists.save_list(
                issuer_id,
                locked.id,
                expected_version=locked.version,
                credential=signed,
                etag=etag,
            )
        return len(rows)

    # ------------------------------------------------------------------ reading

    def status_list_credential(
        self, slug: str, purpose: str, number: int
    ) -> tuple[dict[str, Any], str]:
        """The signed list credential at ``/status/<slug>/<purpose>/<number>`` and its ETag.

        Public (status lists are public by design) and read-only: what was signed at the last
        change is returned as stored. Unknown issuer, purpose or number: :class:`NotFound`.
        """
        if (
            purpose not in PURPOSES
            or not isinstance(number, int)
            or isinstance(number, bool)
            or not 1 <= number <= _MAX_NUMBER
            or not isinstance(slug, str)
            or len(slug) > 64
        ):
            raise NotFound("no such status list")
        with self._uow(read_only=True) as tx:
            issuer = tx.issuers.find_by_slug(slug)
            row = (
                tx.status_lists.find_list_by_number(issuer.id, StatusPurpose(purpose), number)
                if issuer is not None
                else None
            )
            if row is None or row.credential is None or row.etag is None:
                raise NotFound("no such status list")
            return copy.deepcopy(row.credential), row.etag

    def published_list(self, url: str) -> dict[str, Any] | None:
        """The list published at ``url`` if it is one of ours, else ``None``.

        The lookup for :class:`~microcred.status.fetchers.LocalStatusListFetcher`.
        """
        address = parse_status_list_url(url, self._base_url)
        if address is None:
            return None
        try:
            document, _ = self.status_list_credential(address.slug, address.purpose, address.number)
        except NotFound:
            return None
        return document

    def status_lists(self, principal: Principal, issuer_id: uuid.UUID) -> list[StatusListInfo]:
        """Every list of the issuer with how full it is and how many bits are set."""
        require(principal, issuer_id, Permission.CREDENTIAL_READ)
        with self._uow(read_only=True) as tx:
            issuer = self._issuer(tx, issuer_id)
            rows = tx.status_lists.list_for_issuer(issuer_id)
            return [
                StatusListInfo(
                    id=row.id,
                    purpose=row.purpose.value,
                    number=row.number,
                    url=self._url(issuer, row.purpose, row.number),
                    size=row.size,
                    allocated=tx.status_lists.count_entries(issuer_id, row.id),
                    set=int.from_bytes(row.bitstring, "big").bit_count(),
                    version=row.version,
                    etag=row.etag,
                    created_at=row.created_at,
                    updated_at=row.updated_at,
                )
                for row in rows
            ]

    def credential_statuses(
        self, principal: Principal, issuer_id: uuid.UUID, credential_id: uuid.UUID
    ) -> list[CredentialStatusInfo]:
        """The credential's status entries and whether each bit is set now."""
        require(principal, issuer_id, Permission.CREDENTIAL_READ)
        with self._uow(read_only=True) as tx:
            tx.credentials.get(issuer_id, credential_id)
            issuer = self._issuer(tx, issuer_id)
            return [
                CredentialStatusInfo(
                    purpose=lst.purpose.value,
                    status_list_credential=self._url(issuer, lst.purpose, lst.number),
                    status_list_index=entry.status_index,
                    set=bool(get_status(lst.bitstring, entry.status_index)),
                )
                for entry, lst in tx.status_lists.entries_for_credential(issuer_id, credential_id)
            ]
