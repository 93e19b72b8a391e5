"""Issuers (tenants): profile, DID, signing keys and rotation, hosted DID documents, audit log.

DIDs
----
* ``did:web`` (the default) is hosted by the platform. The DID is derived from
  ``settings.base_url`` as ``did:web:<host>[%3A<port>][:<base path…>]:issuers:<slug>`` (did:web
  Method Specification §3.1 "Create (Register)"), and the document is served at
  ``<base_url>/issuers/<slug>/did.json`` (:meth:`IssuerService.did_document`). did:web forbids
  IP addresses, so a loopback base URL (``http://127.0.0.1:8000``, the single-machine default)
  becomes ``localhost`` (``did:web:localhost%3A8000:issuers:<slug>``); any other IP address is
  refused — set ``MICROCRED_BASE_URL`` to a domain name or use did:key. Outside verifiers fetch
  the document over https from the DID's host, so a did:web issuer that others verify needs a
  real https domain; the platform itself resolves its hosted DIDs in-process
  (:meth:`IssuerService.hosted_did_resolver`).
* ``did:key``: the DID *is* the first public key. It cannot rotate — a new key is a new DID —
  so :meth:`IssuerService.rotate_key` refuses it and says why.

Keys
----
Each issuer's Ed25519 keys live in the encrypted key store (ids ``issuer-<issuer uuid>-<n>``);
the database keeps the public key and the verification method (``<did>#key-<n>`` for did:web,
``<did>#<multibase>`` for did:key). The resolver returned by
:meth:`IssuerService.hosted_did_resolver` reads the database on every call, so every change
below is visible at once. Two different events end a key's life (see ``docs/keys-and-dids.md``):

* **Rotation** (:meth:`IssuerService.rotate_key`) — ordinary and planned. It creates key
  ``n+1``, makes it active and marks the old one ``rotated`` with ``rotated_at``. The DID
  document keeps the old key under ``assertionMethod`` with ``expires`` = ``rotated_at``
  (Controlled Identifiers 1.0 §2.2: a method SHOULD NOT be used to make proofs after
  ``expires``): credentials signed before the rotation verify normally, anchored or not; a
  proof dated after it fails (``proof.key_expired_before_signing``).
* **Compromise** (:meth:`IssuerService.mark_key_compromised`) — the key may be in someone
  else's hands from time C on. The key gets ``compromised_at`` = C and the DID document a
  ``revoked`` = C. A proof's own ``created`` then proves nothing (a thief can back-date it), so
  the anchor check only trusts credentials anchored before C (with a warning); unanchored ones
  and ones anchored at or after C fail. An active key is rotated out first, in the same
  transaction, so the issuer can keep issuing.

Access
------
Every method that takes a :class:`~microcred.services.access.Principal` checks it here:
non-members get :class:`~microcred.errors.NotFound`, members without the permission
:class:`~microcred.errors.PermissionDenied`. A platform operator (signed in as a user, not
through an API token) may read and manage issuers, their staff, keys and audit log
(:data:`OPERATOR_PERMISSIONS`) without being a member, but not their definitions, learners,
credentials or tokens. :meth:`IssuerService.signer_for_issuer` takes no principal: only services
(issuance) may call it, after their own access check — never expose it to a shell.
"""

from __future__ import annotations

import contextlib
import ipaddress
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

from sqlalchemy import select

from microcred.did.key import did_key_from_public
from microcred.did.protocols import DIDDocument
from microcred.did.resolver import HostedDIDResolver
from microcred.did.web import DidWebKey, build_did_web_document, did_web_path
from microcred.errors import ConfigError, Conflict, InvalidInput, NotFound
from microcred.keys.multikey import decode_public_multikey
from microcred.keys.protocols import Signer
from microcred.services.access import Permission, Principal, require, require_operator
from microcred.services.audit import audit_entry_info, record_audit
from microcred.services.schemas_identity import (
    AuditEntryInfo,
    IssuerCreate,
    IssuerInfo,
    IssuerKeyInfo,
    IssuerProfileUpdate,
    check_region_code,
)
from microcred.storage import (
    DidMethod,
    Issuer,
    IssuerKey,
    KeyStatus,
    UnitOfWork,
    UnitOfWorkFactory,
)

__all__ = [
    "OPERATOR_PERMISSIONS",
    "DidDocumentExtras",
    "IssuerService",
    "SigningKeyStore",
    "hosted_did_web",
    "lock_issuer",
    "require_issuer_permission",
]

#: what a platform operator may do at any issuer without being a member
OPERATOR_PERMISSIONS: frozenset[Permission] = frozenset(
    {
        Permission.ISSUER_READ,
        Permission.ISSUER_MANAGE,
        Permission.KEYS_MANAGE,
        Permission.STAFF_MANAGE,
        Permission.AUDIT_READ,
    }
)

#: ``extras(did) -> (verification methods, contexts)`` added to a hosted DID document, e.g. the
#: chain account that anchors for the issuer (``blockchainAccountId``, docs/anchoring.md)
DidDocumentExtras = Callable[[str], tuple[Sequence[Mapping[str, Any]], Sequence[str]]]

_MAX_KEY_PROBES = 50
_MAX_REASON = 1000


class SigningKeyStore(Protocol):
    """What the issuer service needs from the key store (:class:`FileKeyStore` fits)."""

    def create(self, key_id: str) -> str: ...

    def exists(self, key_id: str) -> bool: ...

    def signer_for(
        self, key_id: str, verification_method: str
    ) -> AbstractContextManager[Signer]: ...


# --------------------------------------------------------------------------- helpers


def require_issuer_permission(
    tx: UnitOfWork, principal: Principal, issuer_id: uuid.UUID, permission: Permission
) -> None:
    """:func:`~microcred.services.access.require`, plus the operator's reach.

    An operator signed in as a user passes for :data:`OPERATOR_PERMISSIONS` at any existing
    issuer (``NotFound`` if it does not exist); everyone else goes through ``require``.
    """
    if (
        principal.is_operator
        and principal.token_id is None
        and permission in OPERATOR_PERMISSIONS
        and not principal.can(issuer_id, permission)
    ):
        tx.issuers.get(issuer_id)
        return
    require(principal, issuer_id, permission)


def lock_issuer(tx: UnitOfWork, issuer_id: uuid.UUID) -> None:
    """Serialise changes of one issuer's staff or keys (``SELECT … FOR UPDATE``).

    On PostgreSQL this row lock keeps two concurrent "demote the other admin" requests from
    both passing the last-admin check; on SQLite a write transaction already holds the
    database write lock (``BEGIN IMMEDIATE``), so the lock is implicit.
    """
    found = tx.session.execute(
        select(Issuer.id).where(Issuer.id == issuer_id).with_for_update()
    ).first()
    if found is None:
        raise NotFound(f"issuer {issuer_id} not found")


def hosted_did_web(base_url: str, slug: str) -> str:
    """The did:web DID the platform at ``base_url`` hosts for issuer ``slug``.

    ``https://credentials.example.edu`` -> ``did:web:credentials.example.edu:issuers:<slug>``;
    ``http://127.0.0.1:8000`` -> ``did:web:localhost%3A8000:issuers:<slug>``; a base path
    (``https://example.edu/badges``) adds segments (``did:web:example.edu:badges:issuers:<slug>``).
    """
    parts = urlsplit(base_url)
    host = (parts.hostname or "").lower()
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        if not address.is_loopback:
            raise InvalidInput(
                f"cannot host a did:web DID under {base_url}: did:web needs a domain name, not "
                "an IP address. Set MICROCRED_BASE_URL to a URL with a domain name, or create "
                "the issuer with did_method 'key'."
            )
        host = "localhost"
    domain = host if parts.port is None else f"{host}%3A{parts.port}"
    segments = [quote(segment, safe="") for segment in parts.path.split("/") if segment]
    did = "did:web:" + ":".join([domain, *segments, "issuers", slug])
    try:
        did_web_path(did)
    except InvalidInput as exc:
        raise InvalidInput(
            f"cannot derive a did:web DID from the base URL {base_url}: {exc.detail}"
        ) from None
    return did


def _key_info(key: IssuerKey) -> IssuerKeyInfo:
    return IssuerKeyInfo(
        id=key.id,
        issuer_id=key.issuer_id,
        key_store_id=key.key_store_id,
        verification_method=key.verification_method,
        public_key_multibase=key.public_key_multibase,
        status=key.status.value,
        created_at=key.created_at,
        rotated_at=key.rotated_at,
        compromised_at=key.compromised_at,
    )


def _fragment(verification_method: str) -> str:
    return verification_method.partition("#")[2]


def _require_rotatable(issuer: Issuer) -> None:
    if issuer.did_method is DidMethod.KEY:
        raise InvalidInput(
            "a did:key issuer cannot rotate its key: its DID is its public key, so a "
            "new key would be a new DID and every credential already issued would name "
            "an issuer that no longer signs. Use a did:web issuer for key rotation, or "
            "create a new issuer."
        )


# --------------------------------------------------------------------------- the service


class IssuerService:
    """Issuers, their DIDs and keys, and the audit log. See the module docstring."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        key_store: SigningKeyStore,
        *,
        base_url: str,
        did_document_extras: DidDocumentExtras | None = None,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"the base URL {base_url!r} is not an absolute http(s) URL")
        self._uow = uow
        self._key_store = key_store
        self._base_url = base_url.rstrip("/")
        self._did_extras = did_document_extras

    def __repr__(self) -> str:
        return f"IssuerService(base_url={self._base_url!r})"

    # ------------------------------------------------------------------ issuers

    def create_issuer(self, principal: Principal, data: IssuerCreate) -> IssuerInfo:
        """Create an issuer with its DID and first signing key (platform operators only)."""
        require_operator(principal)
        if principal.token_id is not None:
            raise InvalidInput("issuers cannot be created with an API token")
        issuer_id = uuid.uuid4()
        with self._uow() as tx:
            if tx.issuers.find_by_slug(data.slug) is not None:
                raise Conflict(f"the slug {data.slug!r} is already taken by another issuer")
            did: str | None = None
            if data.did_method == "web":
                did = hosted_did_web(self._base_url, data.slug)
                if tx.issuers.find_by_did(did) is not None:
                    raise Conflict(f"the DID {did} is already in use")
            key_store_id, public = self._new_key(issuer_id, 1)
            if did is None:
                did = did_key_from_public(decode_public_multikey(public))
                verification_method = f"{did}#{public}"
                method = DidMethod.KEY
            else:
                verification_method = f"{did}#key-1"
                method = DidMethod.WEB
            issuer = tx.issuers.add(
                Issuer(id=issuer_id, slug=data.slug, did_method=method, did=did, **data.profile())
            )
            key = tx.issuers.add_key(
                IssuerKey(
                    issuer_id=issuer_id,
                    key_store_id=key_store_id,
                    public_key_multibase=public,
                    verification_method=verification_method,
                )
            )
            record_audit(
                tx,
                principal,
                "issuer.create",
                issuer_id=issuer_id,
                target_type="issuer",
                target_id=issuer_id,
                details={"slug": data.slug, "did": did, "did_method": method.value},
            )
            tx.commit()
        return self._info(issuer, key)

    def get_issuer(self, principal: Principal, issuer_id: uuid.UUID) -> IssuerInfo:
        with self._uow(read_only=True) as tx:
            require_issuer_permission(tx, principal, issuer_id, Permission.ISSUER_READ)
            return self._load_info(tx, issuer_id)

    def list_issuers(
        self, principal: Principal, *, limit: int = 100, offset: int = 0
    ) -> list[IssuerInfo]:
        """Issuers the principal may read: all of them for an operator, else its memberships."""
        with self._uow(read_only=True) as tx:
            if principal.is_operator and principal.token_id is None:
                issuers = tx.issuers.list_all(limit=limit, offset=offset)
            elif principal.user_id is None:
                issuers = []
            else:
                mine = [
                    issuer
                    for issuer, _ in tx.issuers.list_for_user(principal.user_id)
                    if principal.can(issuer.id, Permission.ISSUER_READ)
                ]
                issuers = mine[offset : offset + max(limit, 0)]
            return [self._info(issuer, self._active_key(tx, issuer.id)) for issuer in issuers]

    def update_profile(
        self, principal: Principal, issuer_id: uuid.UUID, update: IssuerProfileUpdate
    ) -> IssuerInfo:
        """Change profile fields (Permission.ISSUER_MANAGE); slug and DID never change."""
        changes = update.changes()
        with self._uow() as tx:
            require_issuer_permission(tx, principal, issuer_id, Permission.ISSUER_MANAGE)
            current = tx.issuers.get(issuer_id)
            country = changes.get("country_code", current.country_code)
            region = changes.get("region_code", current.region_code)
            if region is not None:
                check_region_code(region, country)
            if not changes:
                return self._info(current, self._active_key(tx, issuer_id))
            issuer = tx.issuers.update_profile(issuer_id, changes)
            record_audit(
                tx,
                principal,
                "issuer.update",
                issuer_id=issuer_id,
                target_type="issuer",
                target_id=issuer_id,
                details={"changes": changes},
            )
            key = self._active_key(tx, issuer_id)
            tx.commit()
        return self._info(issuer, key)

    # ------------------------------------------------------------------ keys

    def list_keys(self, principal: Principal, issuer_id: uuid.UUID) -> list[IssuerKeyInfo]:
        """Every signing key of the issuer, oldest first (public parts only)."""
        with self._uow(read_only=True) as tx:
            require_issuer_permission(tx, principal, issuer_id, Permission.ISSUER_READ)
            return [_key_info(key) for key in tx.issuers.list_keys(issuer_id)]

    def rotate_key(self, principal: Principal, issuer_id: uuid.UUID) -> IssuerKeyInfo:
        """Make a new active key (Permission.KEYS_MANAGE): an ordinary, planned rotation.

        The old key stays in the DID document with ``expires`` = the rotation time, so the
        credentials it signed keep verifying; it is *not* marked ``revoked`` (that means a
        compromise: :meth:`mark_key_compromised`). did:key issuers cannot rotate
        (:class:`InvalidInput`).
        """
        with self._uow() as tx:
            require_issuer_permission(tx, principal, issuer_id, Permission.KEYS_MANAGE)
            lock_issuer(tx, issuer_id)
            issuer = tx.issuers.get(issuer_id)
            _require_rotatable(issuer)
            new_key = self._rotate_in(tx, principal, issuer)
            tx.commit()
        return _key_info(new_key)

    def mark_key_compromised(
        self,
        principal: Principal,
        issuer_id: uuid.UUID,
        key_id: uuid.UUID,
        compromised_at: datetime | None,
        reason: str,
    ) -> IssuerKeyInfo:
        """Report a signing key as compromised from ``compromised_at`` on (KEYS_MANAGE).

        ``compromised_at`` (timezone-aware; ``None`` = now) is the earliest moment the key may
        have been in someone else's hands: not in the future, not before the key was created
        (use its ``created_at`` to distrust everything it ever signed). The DID document then
        lists the key with ``revoked`` = that time, and verifiers trust a credential it signed
        only if it was anchored before then (``anchor.key``: warning); unanchored credentials
        and those anchored later fail. If the key is still active it is rotated out first, in
        the same transaction, so the issuer can keep issuing with the new key.

        Marking again with the same time changes nothing; an earlier time moves the mark
        earlier; a later one is a :class:`Conflict` (a compromise cannot be narrowed). Audited
        as ``issuer.key_compromise`` with the ``reason`` (plus ``issuer.key_rotate`` when the
        key was active). Returns the compromised key.
        """
        text = reason.strip()
        if not text:
            raise InvalidInput("say why the key is considered compromised (reason is empty)")
        if len(text) > _MAX_REASON:
            raise InvalidInput(f"the reason is longer than {_MAX_REASON} characters")
        now = self._uow.clock.now()
        when = now if compromised_at is None else compromised_at
        if when.tzinfo is None or when.utcoffset() is None:
            raise InvalidInput("compromised_at must be timezone-aware (e.g. 2026-03-01T12:00Z)")
        if when > now:
            raise InvalidInput(
                f"compromised_at {when.isoformat()} is in the future; give the earliest moment "
                "the key may already have been exposed"
            )
        with self._uow() as tx:
            require_issuer_permission(tx, principal, issuer_id, Permission.KEYS_MANAGE)
            lock_issuer(tx, issuer_id)
            issuer = tx.issuers.get(issuer_id)
            if issuer.did_method is DidMethod.KEY:
                raise InvalidInput(
                    "a did:key issuer cannot mark its key compromised: its DID document is "
                    "computed from the key itself, so there is nowhere to publish that the key "
                    "was revoked. Revoke the affected credentials through their status lists "
                    "and create a new issuer (did:web issuers can rotate and revoke keys)."
                )
            key = tx.issuers.get_key(issuer_id, key_id)
            if when < key.created_at:
                raise InvalidInput(
                    f"compromised_at {when.isoformat()} is before the key was created "
                    f"({key.created_at.isoformat()}); to distrust everything this key ever "
                    "signed, give its creation time"
                )
            if key.compromised_at is not None:
                if key.compromised_at == when:
                    return _key_info(key)
                if key.compromised_at < when:
                    raise Conflict(
                        f"the key {key.verification_method} is already marked compromised "
                        f"since {key.compromised_at.isoformat()}; the time can only be moved "
                        "earlier"
                    )
            previous = key.compromised_at
            new_key: IssuerKey | None = None
            if key.status is KeyStatus.ACTIVE:
                new_key = self._rotate_in(tx, principal, issuer, reason="compromise")
            key = tx.issuers.mark_key_compromised(issuer_id, key_id, when)
            record_audit(
                tx,
                principal,
                "issuer.key_compromise",
                issuer_id=issuer_id,
                target_type="issuer_key",
                target_id=key.id,
                details={
                    "verification_method": key.verification_method,
                    "compromised_at": when,
                    "previous_compromised_at": previous,
                    "reason": text,
                    "new_verification_method": (
                        None if new_key is None else new_key.verification_method
                    ),
                },
            )
            tx.commit()
        return _key_info(key)

    @contextlib.contextmanager
    def signer_for_issuer(self, issuer_id: uuid.UUID) -> Iterator[Signer]:
        """A signer for the issuer's active key, dead after the ``with`` block.

        Internal: no principal is checked. Only services (issuance, status lists) call this,
        after their own access check; shells never do.
        """
        with self._uow(read_only=True) as tx:
            key = tx.issuers.get_active_key(issuer_id)
        with self._key_store.signer_for(key.key_store_id, key.verification_method) as signer:
            yield signer

    # ------------------------------------------------------------------ DID documents

    def did_document(self, slug: str) -> DIDDocument:
        """The DID document served at ``<base_url>/issuers/<slug>/did.json`` (public).

        Only did:web issuers have one here (a did:key document is derived from the DID itself);
        an unknown slug, or a did:key issuer, is :class:`NotFound`.
        """
        with self._uow(read_only=True) as tx:
            issuer = tx.issuers.find_by_slug(slug)
            if issuer is None or issuer.did_method is not DidMethod.WEB:
                raise NotFound(f"no DID document is hosted for issuer {slug[:64]!r}")
            return self._build_document(tx, issuer)

    def hosted_did_resolver(self) -> HostedDIDResolver:
        """A resolver for every did:web DID hosted here, reading the database on each call."""
        return HostedDIDResolver(_HostedDocuments(self))

    def did_document_url(self, slug: str) -> str:
        return f"{self._base_url}/issuers/{slug}/did.json"

    # ------------------------------------------------------------------ audit

    def audit_log(
        self,
        principal: Principal,
        issuer_id: uuid.UUID,
        *,
        limit: int = 100,
        before: int | None = None,
        action: str | None = None,
        target: str | uuid.UUID | None = None,
    ) -> list[AuditEntryInfo]:
        """The issuer's audit entries, newest first (Permission.AUDIT_READ).

        Page with ``before`` = the smallest ``id`` seen so far. ``target`` keeps the entries
        about one target (a credential's, a definition version's… id): its whole history, not
        only what is left of it among the issuer's latest entries.
        """
        target_id = None if target is None else str(target)
        with self._uow(read_only=True) as tx:
            require_issuer_permission(tx, principal, issuer_id, Permission.AUDIT_READ)
            entries = tx.audit.list_for_issuer(
                issuer_id, limit=limit, before_id=before, action=action, target_id=target_id
            )
            return [audit_entry_info(entry) for entry in entries]

    def platform_audit_log(
        self, principal: Principal, *, limit: int = 100, before: int | None = None
    ) -> list[AuditEntryInfo]:
        """Every audit entry, including platform actions such as logins (operators only)."""
        require_operator(principal)
        with self._uow(read_only=True) as tx:
            return [audit_entry_info(e) for e in tx.audit.list_all(limit=limit, before_id=before)]

    # ------------------------------------------------------------------ internals

    def _new_key(self, issuer_id: uuid.UUID, number: int) -> tuple[str, str]:
        key_store_id = f"issuer-{issuer_id}-{number}"
        return key_store_id, self._key_store.create(key_store_id)

    def _next_key(self, issuer_id: uuid.UUID, start: int) -> tuple[int, str, str]:
        """Create the key ``issuer-<id>-<n>`` with the first free ``n`` from ``start``.

        A key file can exist without a database row if a transaction failed after the key was
        made; such numbers are skipped rather than reused.
        """
        for number in range(start, start + _MAX_KEY_PROBES):
            key_store_id = f"issuer-{issuer_id}-{number}"
            if self._key_store.exists(key_store_id):
                continue
            try:
                return number, key_store_id, self._key_store.create(key_store_id)
            except Conflict:
                raise Conflict(
                    "another key rotation of this issuer is in progress; please retry",
                    retryable=True,
                ) from None
        raise Conflict("too many unused key files for this issuer in the key store")

    def _rotate_in(
        self, tx: UnitOfWork, principal: Principal, issuer: Issuer, *, reason: str | None = None
    ) -> IssuerKey:
        """Rotate inside ``tx`` (issuer locked by the caller); audited as ``issuer.key_rotate``."""
        keys = tx.issuers.list_keys(issuer.id)
        old = next((k for k in keys if k.status is KeyStatus.ACTIVE), None)
        number, key_store_id, public = self._next_key(issuer.id, len(keys) + 1)
        new_key = tx.issuers.rotate_key(
            issuer.id,
            IssuerKey(
                issuer_id=issuer.id,
                key_store_id=key_store_id,
                public_key_multibase=public,
                verification_method=f"{issuer.did}#key-{number}",
            ),
        )
        details: dict[str, str | None] = {
            "new_verification_method": new_key.verification_method,
            "old_verification_method": None if old is None else old.verification_method,
        }
        if reason is not None:
            details["reason"] = reason
        record_audit(
            tx,
            principal,
            "issuer.key_rotate",
            issuer_id=issuer.id,
            target_type="issuer_key",
            target_id=new_key.id,
            details=details,
        )
        return new_key

    def _active_key(self, tx: UnitOfWork, issuer_id: uuid.UUID) -> IssuerKey | None:
        try:
            return tx.issuers.get_active_key(issuer_id)
        except NotFound:
            return None

    def _load_info(self, tx: UnitOfWork, issuer_id: uuid.UUID) -> IssuerInfo:
        return self._info(tx.issuers.get(issuer_id), self._active_key(tx, issuer_id))

    def _info(self, issuer: Issuer, key: IssuerKey | None) -> IssuerInfo:
        return IssuerInfo(
            id=issuer.id,
            slug=issuer.slug,
            name=issuer.name,
            did_method=issuer.did_method.value,
            did=issuer.did,
            legal_name=issuer.legal_name,
            homepage=issuer.homepage,
            email=issuer.email,
            country_code=issuer.country_code,
            region_code=issuer.region_code,
            logo_uri=issuer.logo_uri,
            registration_identifiers=tuple(
                {str(k): str(v) for k, v in entry.items()}
                for entry in issuer.registration_identifiers
            ),
            created_at=issuer.created_at,
            updated_at=issuer.updated_at,
            did_document_url=(
                self.did_document_url(issuer.slug) if issuer.did_method is DidMethod.WEB else None
            ),
            active_key=None if key is None else _key_info(key),
        )

    def _build_document(self, tx: UnitOfWork, issuer: Issuer) -> DIDDocument:
        current: list[DidWebKey] = []
        past: list[DidWebKey] = []
        for key in tx.issuers.list_keys(issuer.id):
            fragment = _fragment(key.verification_method)
            if key.status is KeyStatus.ACTIVE:
                current.append(DidWebKey(fragment, key.public_key_multibase))
            else:
                # rotation ends a key's use (expires); only a compromise revokes it
                past.append(
                    DidWebKey(
                        fragment,
                        key.public_key_multibase,
                        revoked=key.compromised_at,
                        expires=key.rotated_at or key.created_at,
                    )
                )
        if self._did_extras is None:
            return build_did_web_document(issuer.did, current, past)
        methods, contexts = self._did_extras(issuer.did)
        return build_did_web_document(
            issuer.did,
            current,
            past,
            extra_verification_methods=methods,
            extra_contexts=contexts,
        )

    def _document_for_did(self, did: str) -> DIDDocument | None:
        with self._uow(read_only=True) as tx:
            issuer = tx.issuers.find_by_did(did)
            if issuer is None or issuer.did_method is not DidMethod.WEB:
                return None
            return self._build_document(tx, issuer)

    def _hosted_dids(self) -> list[str]:
        dids: list[str] = []
        offset = 0
        with self._uow(read_only=True) as tx:
            while True:
                batch = tx.issuers.list_all(limit=1000, offset=offset)
                dids += [i.did for i in batch if i.did_method is DidMethod.WEB]
                if len(batch) < 1000:
                    return dids
                offset += len(batch)


class _HostedDocuments(Mapping[str, DIDDocument]):
    """A live ``{did: document}`` view of the database for :class:`HostedDIDResolver`."""

    def __init__(self, service: IssuerService) -> None:
        self._service = service

    def __getitem__(self, did: str) -> DIDDocument:
        document = self._service._document_for_did(did)
        if document is None:
            raise KeyError(did)
        return document

    def __iter__(self) -> Iterator[str]:
        return iter(self._service._hosted_dids())

    def __len__(self) -> int:
        return len(self._service._hosted_dids())
