"""The learner's side: wallet sessions from claim links, public share links, presentations.

Learners have no accounts yet. **The claim link is the learner's key**: opening it
(:meth:`SharingService.open_wallet`) claims the credential (``IssuanceService.claim``) and
starts a *wallet session* for the learner the credential was issued to — a random secret for a
cookie, of which only the SHA-256 is stored (``wallet_sessions``), ending after
``session_ttl`` (14 days by default) or when the learner signs out. A session sees exactly the
credentials of its learner row (one learner of one issuer); everything else is
:class:`~microcred.errors.NotFound`.

**Share links.** A credential's public page is ``<base_url>/c/<share_id>``: ``share_id`` is 128
random bits (22 URL-safe characters), created the first time it is needed and then kept for
the credential's life, so a printed certificate's QR code keeps its address. The page exists
only while the learner shares the credential (:meth:`~SharingService.set_sharing`); after that
:meth:`~SharingService.shared_credential` is ``NotFound`` (the page answers 404). Revoked and
replaced credentials cannot be shared; one that is revoked while shared stays visible with its
(failing) verification verdict, so whoever holds the link learns that it was revoked.
Turning sharing on or off is audited (``credential.share`` / ``credential.unshare``).

**Presentations.** :meth:`~SharingService.presentation` bundles several of the learner's
credentials into one *unsigned* W3C Verifiable Presentation (VC Data Model 2.0 §4.13): the
credentials inside keep their own proofs and verify one by one; nothing proves who presented
them (learners hold no keys yet).

Framework-free; see docs/web.md and docs/service-contracts.md.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from microcred.certificates.description import describe_credential
from microcred.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from microcred.services.audit import record_audit
from microcred.services.issuance import IssuanceService, claim_token_hash
from microcred.storage import (
    Credential,
    CredentialState,
    UnitOfWork,
    UnitOfWorkFactory,
)
from microcred.storage.repositories.wallet import WalletRepository
from microcred.storage.wallet_tables import CredentialShare, WalletSession

__all__ = [
    "MAX_PRESENTATION_CREDENTIALS",
    "SHARE_ID_PATTERN",
    "WALLET_SESSION_TTL",
    "ClaimPreview",
    "NewWalletSession",
    "ShareInfo",
    "SharedCredential",
    "SharingService",
    "WalletCredential",
    "WalletIdentity",
]

WALLET_SESSION_TTL: Final = timedelta(days=14)
MAX_PRESENTATION_CREDENTIALS: Final = 50
#: what a share id looks like (``secrets.token_urlsafe(16)``: 22 characters)
SHARE_ID_PATTERN: Final = re.compile(r"^[A-Za-z0-9_-]{22}$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{32,128}$")
_VC_V2: Final = "https://www.w3.org/ns/credentials/v2"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class WalletIdentity:
    """Whose wallet a session opens: one learner of one issuer."""

    learner_id: uuid.UUID
    issuer_id: uuid.UUID
    learner_name: str
    issuer_name: str
    expires_at: datetime


@dataclass(frozen=True)
class NewWalletSession:
    """A session just started: ``secret`` goes into the cookie (never stored, never logged)."""

    secret: str = field(repr=False)
    identity: WalletIdentity
    credential_id: uuid.UUID


@dataclass(frozen=True)
class ClaimPreview:
    """What a claim link is for, read without claiming (for the page before the button)."""

    credential_id: uuid.UUID
    title: str
    issuer_name: str
    learner_name: str | None
    state: CredentialState
    claimed: bool
    #: why the link cannot be used (revoked, replaced), or None
    problem: str | None


@dataclass(frozen=True)
class ShareInfo:
    """A credential's public page: its address once it has one, and whether it is on."""

    share_id: str | None
    shared: bool
    shared_at: datetime | None
    url: str | None


@dataclass(frozen=True)
class WalletCredential:
    """One credential as its learner (or, shared, anyone) sees it."""

    id: uuid.UUID
    issuer_id: uuid.UUID
    credential_uri: str
    state: CredentialState
    issued_at: datetime
    claimed_at: datetime | None
    replaced_by_id: uuid.UUID | None
    title: str
    issuer_name: str
    issuer_slug: str
    issuer_logo_uri: str | None
    learner_name: str | None
    document: Mapping[str, Any]
    share: ShareInfo

    @property
    def can_share(self) -> bool:
        return self.state is not CredentialState.REVOKED and self.replaced_by_id is None


@dataclass(frozen=True)
class SharedCredential:
    """A credential on its public page (the learner shares it)."""

    share_id: str
    url: str
    credential: WalletCredential


class SharingService:
    """Wallet sessions, share links and presentations (see the module docstring)."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        issuance: IssuanceService,
        *,
        base_url: str,
        session_ttl: timedelta = WALLET_SESSION_TTL,
    ) -> None:
        if session_ttl <= timedelta(0):
            raise ValueError("session_ttl must be positive")
        self._uow = uow
        self._issuance = issuance
        self._base_url = base_url.rstrip("/")
        self._session_ttl = session_ttl

    @property
    def session_ttl(self) -> timedelta:
        return self._session_ttl

    def public_url(self, share_id: str) -> str:
        """``<base_url>/c/<share_id>``."""
        return f"{self._base_url}/c/{share_id}"

    def _wallet(self, tx: UnitOfWork) -> WalletRepository:
        return WalletRepository(tx.session, self._uow.clock)

    # ------------------------------------------------------------------ claim links

    def preview_claim(self, token: str) -> ClaimPreview:
        """What ``token``'s claim link is for, without claiming (NotFound when unknown)."""
        if not isinstance(token, str) or not _SECRET.match(token):
            raise NotFound("this claim link is not valid")
        with self._uow(read_only=True) as tx:
            row = tx.credentials.find_by_claim_token_hash(claim_token_hash(token))
            if row is None:
                raise NotFound("this claim link is not valid")
            issuer = tx.issuers.get(row.issuer_id)
            learner = (
                tx.learners.get(row.issuer_id, row.learner_id)
                if row.learner_id is not None
                else None
            )
            problem = None
            if row.state is CredentialState.REVOKED:
                problem = "The issuer has revoked this credential."
            elif row.replaced_by_id is not None and row.claimed_at is None:
                problem = (
                    "This credential was corrected and replaced; use the link in the newer "
                    "e-mail to claim the corrected credential."
                )
            return ClaimPreview(
                credential_id=row.id,
                title=describe_credential(row.document).title,
                issuer_name=issuer.name,
                learner_name=learner.name if learner else None,
                state=row.state,
                claimed=row.claimed_at is not None,
                problem=problem,
            )

    def open_wallet(self, token: str) -> NewWalletSession:
        """Claim ``token``'s credential and start a wallet session for its learner.

        NotFound for an unknown link, Conflict for a revoked or replaced credential (from
        ``IssuanceService.claim``) and for a credential issued to no learner (VC-API).
        """
        issued = self._issuance.claim(token)
        if issued.learner_id is None:
            raise Conflict("this credential was not issued to a learner of this platform")
        secret = secrets.token_urlsafe(32)
        with self._uow() as tx:
            learner = tx.learners.get(issued.issuer_id, issued.learner_id)
            issuer = tx.issuers.get(issued.issuer_id)
            expires_at = self._uow.clock.now() + self._session_ttl
            wallet = self._wallet(tx)
            wallet.purge_expired_sessions()
            wallet.add_session(
                WalletSession(
                    id_hash=_hash(secret),
                    issuer_id=issued.issuer_id,
                    learner_id=learner.id,
                    expires_at=expires_at,
                )
            )
            tx.commit()
        identity = WalletIdentity(
            learner_id=learner.id,
            issuer_id=issuer.id,
            learner_name=learner.name,
            issuer_name=issuer.name,
            expires_at=expires_at,
        )
        return NewWalletSession(secret=secret, identity=identity, credential_id=issued.id)

    # ------------------------------------------------------------------ sessions

    def wallet(self, secret: str) -> WalletIdentity:
        """The wallet a session cookie opens (Unauthenticated when unknown or expired)."""
        if not isinstance(secret, str) or not _SECRET.match(secret):
            raise Unauthenticated("your wallet session has ended; open your claim link again")
        with self._uow(read_only=True) as tx:
            session = self._wallet(tx).active_session(_hash(secret))
            if session is None:
                raise Unauthenticated("your wallet session has ended; open your claim link again")
            learner = tx.learners.get(session.issuer_id, session.learner_id)
            issuer = tx.issuers.get(session.issuer_id)
            return WalletIdentity(
                learner_id=learner.id,
                issuer_id=issuer.id,
                learner_name=learner.name,
                issuer_name=issuer.name,
                expires_at=session.expires_at,
            )

    def close_wallet(self, secret: str) -> bool:
        """End a wallet session (sign out); False when there was none."""
        if not isinstance(secret, str) or not _SECRET.match(secret):
            return False
        with self._uow() as tx:
            ended = self._wallet(tx).end_session(_hash(secret))
            tx.commit()
        return ended

    # ------------------------------------------------------------------ the learner's credentials

    def _share_info(self, share: CredentialShare | None) -> ShareInfo:
        if share is None:
            return ShareInfo(share_id=None, shared=False, shared_at=None, url=None)
        return ShareInfo(
            share_id=share.share_id,
            shared=share.shared_at is not None,
            shared_at=share.shared_at,
            url=self.public_url(share.share_id),
        )

    def _view(
        self,
        tx: UnitOfWork,
        row: Credential,
        share: CredentialShare | None,
        issuers: dict[uuid.UUID, Any] | None = None,
    ) -> WalletCredential:
        cache = issuers if issuers is not None else {}
        issuer = cache.get(row.issuer_id)
        if issuer is None:
            issuer = cache[row.issuer_id] = tx.issuers.get(row.issuer_id)
        learner = (
            tx.learners.get(row.issuer_id, row.learner_id) if row.learner_id is not None else None
        )
        return WalletCredential(
            id=row.id,
            issuer_id=row.issuer_id,
            credential_uri=row.credential_uri,
            state=row.state,
            issued_at=row.issued_at,
            claimed_at=row.claimed_at,
            replaced_by_id=row.replaced_by_id,
            title=describe_credential(row.document).title,
            issuer_name=issuer.name,
            issuer_slug=issuer.slug,
            issuer_logo_uri=issuer.logo_uri,
            learner_name=learner.name if learner is not None else None,
            document=row.document,
            share=self._share_info(share),
        )

    def _own(self, tx: UnitOfWork, wallet: WalletIdentity, credential_id: uuid.UUID) -> Credential:
        row = tx.credentials.get(wallet.issuer_id, credential_id)  # NotFound elsewhere
        if row.learner_id != wallet.learner_id:
            raise NotFound(f"credential {credential_id} not found")
        return row

    def credentials(self, wallet: WalletIdentity) -> list[WalletCredential]:
        """Every credential issued to the wallet's learner, newest first."""
        with self._uow(read_only=True) as tx:
            rows = tx.credentials.list_for_issuer(
                wallet.issuer_id, learner_id=wallet.learner_id, limit=1000
            )
            shares = self._wallet(tx).shares_of([row.id for row in rows])
            issuers: dict[uuid.UUID, Any] = {}
            return [self._view(tx, row, shares.get(row.id), issuers) for row in rows]

    def credential(self, wallet: WalletIdentity, credential_id: uuid.UUID) -> WalletCredential:
        """One of the learner's credentials (NotFound for anyone else's)."""
        with self._uow(read_only=True) as tx:
            row = self._own(tx, wallet, credential_id)
            return self._view(tx, row, self._wallet(tx).share_of(row.id))

    # ------------------------------------------------------------------ share links

    def share_link(self, wallet: WalletIdentity, credential_id: uuid.UUID) -> ShareInfo:
        """The credential's public address, created (sharing still off) when it has none."""
        with self._uow() as tx:
            row = self._own(tx, wallet, credential_id)
            share = self._wallet(tx).ensure_share(row.issuer_id, row.id, _new_share_id)
            tx.commit()
            return self._share_info(share)

    def set_sharing(
        self, wallet: WalletIdentity, credential_id: uuid.UUID, shared: bool
    ) -> ShareInfo:
        """Turn the credential's public page on or off (idempotent; audited when it changes).

        Conflict when turning on a revoked or replaced credential.
        """
        with self._uow() as tx:
            row = self._own(tx, wallet, credential_id)
            wallet_rows = self._wallet(tx)
            if shared:
                if row.state is CredentialState.REVOKED:
                    raise Conflict("a revoked credential cannot be shared")
                if row.replaced_by_id is not None:
                    raise Conflict(
                        "this credential was replaced by a corrected one; share that one instead"
                    )
                share: CredentialShare | None = wallet_rows.ensure_share(
                    row.issuer_id, row.id, _new_share_id
                )
            else:
                share = wallet_rows.share_of(row.id, for_update=True)
            if share is None:
                return self._share_info(None)
            before = share.shared_at is not None
            wallet_rows.set_shared(share, shared)
            if before != shared:
                record_audit(
                    tx,
                    None,
                    "credential.share" if shared else "credential.unshare",
                    issuer_id=row.issuer_id,
                    target_type="credential",
                    target_id=row.id,
                    details={"by": "learner", "learner": str(wallet.learner_id)},
                )
            tx.commit()
            return self._share_info(share)

    def shared_credential(self, share_id: str) -> SharedCredential:
        """The credential behind a public page; NotFound unless it is shared right now."""
        if not isinstance(share_id, str) or not SHARE_ID_PATTERN.match(share_id):
            raise NotFound("there is no shared credential at this address")
        with self._uow(read_only=True) as tx:
            share = self._wallet(tx).find_by_share_id(share_id)
            if share is None or share.shared_at is None:
                raise NotFound("there is no shared credential at this address")
            row = tx.credentials.get(share.issuer_id, share.credential_id)
            return SharedCredential(
                share_id=share.share_id,
                url=self.public_url(share.share_id),
                credential=self._view(tx, row, share),
            )

    # ------------------------------------------------------------------ presentations

    def presentation(
        self, wallet: WalletIdentity, credential_ids: Iterable[uuid.UUID]
    ) -> dict[str, Any]:
        """An unsigned Verifiable Presentation of the chosen credentials (in the given order).

        InvalidInput for none or more than :data:`MAX_PRESENTATION_CREDENTIALS`; NotFound for
        a credential that is not the learner's.
        """
        chosen: list[uuid.UUID] = []
        for credential_id in credential_ids:
            if credential_id not in chosen:
                chosen.append(credential_id)
        if not chosen:
            raise InvalidInput("choose at least one credential for the presentation")
        if len(chosen) > MAX_PRESENTATION_CREDENTIALS:
            raise InvalidInput(
                f"a presentation holds at most {MAX_PRESENTATION_CREDENTIALS} credentials"
            )
        with self._uow(read_only=True) as tx:
            documents = [dict(self._own(tx, wallet, cid).document) for cid in chosen]
        return {
            "@context": [_VC_V2],
            "id": f"urn:uuid:{uuid.uuid4()}",
            "type": ["VerifiablePresentation"],
            "verifiableCredential": documents,
        }


def _new_share_id() -> str:
    return secrets.token_urlsafe(16)
