"""Learners and issuance: sign a published definition version for a learner, store it, mail it.

``IssuanceService.issue`` is one transaction that

1. checks access (``credential:issue``; ``learner:write`` too when the learner is given inline)
   and, with an idempotency key, returns the credential already stored for that key (same
   request digest) or refuses a different request under the same key (:class:`Conflict`);
2. loads the published definition version and the learner (upserting an inline learner by its
   external id);
3. composes the Open Badges 3.0 credential (:func:`microcred.definition.compose_credential`):
   id ``urn:uuid:<uuid4>``, ``validFrom`` = the clock's now, the learner named by DID when known,
   else by a salted SHA-256 hash of the e-mail address (OB 3.0 ``IdentityObject``);
4. signs it with the issuer's active key through :class:`~microcred.issuance.IssuancePipeline`
   (validate -> Data Integrity proof with the configured cryptosuite -> self-verify);
5. stores it (state ``issued``) with the SHA-256 of a random claim token, queues the claim
   e-mail (``<base_url>/claim/<token>``) in the outbox, writes the audit entry, and commits.

Two identical requests racing with the same key cannot both store a credential: the unique
constraint ``(issuer_id, idempotency_key)`` stops the second insert, which then reads and
returns the winner's row (retry-read).

``reissue`` corrects a credential: a new one is issued from the corrections, the old one is
linked to it (``replaced_by``) and the injected ``on_replaced`` hook runs in the same
transaction (status lists will revoke the old credential there). ``issue_unsigned`` serves the
W3C VC-API ``POST /credentials/issue``: it signs a credential the caller composed (OB 3.0 or
plain VC Data Model 2.0, issued by this issuer's DID).
"""

from __future__ import annotations

import copy
import hashlib
import re
import secrets
import uuid
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal, Protocol, TypeVar

from pydantic import AfterValidator, Field, model_validator

from microcred.definition import compose_credential
from microcred.did.syntax import parse_did
from microcred.errors import Conflict, InvalidInput, NotFound
from microcred.issuance import IssuancePipeline
from microcred.jsonld.processing import find_undefined_terms
from microcred.jsonld.protocols import DocumentLoader
from microcred.keys.protocols import Signer
from microcred.model import (
    Achievement,
    Evidence,
    IdentityObject,
    Profile,
    Result,
    StrictModel,
    hash_email,
)
from microcred.model.types import EmailAddress
from microcred.services._support import (
    AwareDateTime,
    UUIDField,
    issuer_profile,
    request_digest,
)
from microcred.services.access import Permission, Principal, require, require_operator
from microcred.services.audit import record_audit
from microcred.services.mail import OutboxMessageInfo, claim_message, outbox_message_info
from microcred.storage import (
    Credential,
    CredentialState,
    DefinitionState,
    DefinitionVersion,
    Issuer,
    Learner,
    UnitOfWork,
    UnitOfWorkFactory,
)
from microcred.verification.checks.base import CheckContext
from microcred.verification.checks.base import issuer_id as credential_issuer
from microcred.verification.checks.structure import StructureCheck, check_object
from microcred.verification.codes import STRUCTURE_PROOF

if TYPE_CHECKING:
    from microcred.services.bulk_issuance import BulkIssuance

__all__ = [
    "CLAIM_PATH",
    "CredentialCorrections",
    "CredentialFilter",
    "CredentialPage",
    "CredentialReplaced",
    "CredentialSummary",
    "IssueRequest",
    "IssuedCredential",
    "IssuanceService",
    "IssuerSigners",
    "LearnerInfo",
    "LearnerInput",
    "ReplacementHook",
    "SigningOptions",
    "StatusAllocator",
    "claim_token_hash",
]

#: claim links are ``<base_url>/claim/<token>``
CLAIM_PATH = "/claim/"

_IDEMPOTENCY_CONSTRAINT = "uq_credentials_issuer_id_idempotency_key"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,128}$")
# control characters, and the bidi overrides/isolates that disguise text (U+202A-U+202E,
# U+2066-U+2069: "Harmless \u202egnp.exe")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
_PRINTABLE_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
_SUITES = ("eddsa-rdfc-2022", "eddsa-jcs-2022")
_OB_TYPES = frozenset({"OpenBadgeCredential", "AchievementCredential"})
_VC_V2 = "https://www.w3.org/ns/credentials/v2"
#: how far in the future a caller-chosen proof ``created`` may lie (clock skew)
_CREATED_SKEW = timedelta(minutes=5)
#: how often an issuing transaction is tried when the database asks for a retry (a deadlock
#: between two issuing transactions on PostgreSQL, a busy SQLite file)
_ATTEMPTS: Final = 5
_T = TypeVar("_T")


# --------------------------------------------------------------------------- input types


def _check_text(limit: int) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        if len(value) > limit:
            raise ValueError(f"must be at most {limit} characters")
        if _CONTROL.search(value):
            raise ValueError("must not contain line breaks or control characters")
        return value.strip()

    return check


def _check_did(value: str) -> str:
    if len(value) > 512:
        raise ValueError("a DID longer than 512 characters is not accepted")
    try:
        parse_did(value)
    except InvalidInput as exc:
        raise ValueError(exc.detail) from None
    return value


def _check_key(value: str) -> str:
    if not _PRINTABLE_KEY.match(value):
        raise ValueError("must be 1-200 printable ASCII characters without spaces")
    return value


def _check_email_length(value: str) -> str:
    if len(value) > 320:
        raise ValueError("must be at most 320 characters")
    return value.strip()


Name = Annotated[str, AfterValidator(_check_text(300))]
ExternalId = Annotated[str, AfterValidator(_check_text(200))]
Reason = Annotated[str, AfterValidator(_check_text(1000))]
LearnerEmail = Annotated[EmailAddress, AfterValidator(_check_email_length)]
LearnerDID = Annotated[str, AfterValidator(_check_did)]
IdempotencyKey = Annotated[str, AfterValidator(_check_key)]
CredentialStateName = Literal["issued", "claimed", "revoked", "suspended"]


class LearnerInput(StrictModel):
    """A learner: name, optional e-mail, DID and external (student) id.

    With an ``external_id`` the learner is upserted: an existing learner with that id at this
    issuer is updated with the fields given (fields left out keep their value).
    """

    name: Name
    email: LearnerEmail | None = None
    did: LearnerDID | None = None
    external_id: ExternalId | None = None


class IssueRequest(StrictModel):
    """Issue one credential from a published definition version.

    ``version`` defaults to the newest published version. The learner is ``learner_id`` (an
    existing learner) or ``learner`` (inline, upserted by external id) — exactly one.
    """

    definition_id: UUIDField
    version: Annotated[int, Field(ge=1)] | None = None
    learner_id: UUIDField | None = None
    learner: LearnerInput | None = None
    result: list[Result] | None = None
    evidence: list[Evidence] | None = None
    valid_until: AwareDateTime | None = None
    idempotency_key: IdempotencyKey | None = None

    @model_validator(mode="after")
    def _one_learner(self) -> IssueRequest:
        if (self.learner_id is None) == (self.learner is None):
            raise ValueError("give exactly one of learnerId (an existing learner) or learner")
        return self


class CredentialCorrections(StrictModel):
    """What changes when a credential is re-issued.

    A field left out keeps the old credential's value; a field given as ``null`` removes it
    (``result``, ``evidence``, ``validUntil``). ``learner`` corrects the learner's record
    (only the fields given). ``version`` re-issues from another version of the same definition
    (it must be published); by default the old credential's version is used.
    """

    version: Annotated[int, Field(ge=1)] | None = None
    learner: LearnerInput | None = None
    result: list[Result] | None = None
    evidence: list[Evidence] | None = None
    valid_until: AwareDateTime | None = None
    idempotency_key: IdempotencyKey | None = None


class SigningOptions(StrictModel):
    """Options of ``POST /credentials/issue``: the cryptosuite and the proof's ``created``."""

    cryptosuite: Literal["eddsa-rdfc-2022", "eddsa-jcs-2022"] | None = None
    created: AwareDateTime | None = None


class CredentialFilter(StrictModel):
    """Filters of :meth:`IssuanceService.list_credentials` (all optional, combined with AND).

    ``search`` matches the learner's name or e-mail; ``issued_from`` is inclusive,
    ``issued_before`` exclusive; ``version`` needs ``definition_id``.
    """

    definition_id: UUIDField | None = None
    version: Annotated[int, Field(ge=1)] | None = None
    state: CredentialStateName | None = None
    search: Annotated[str, Field(max_length=200)] | None = None
    issued_from: AwareDateTime | None = None
    issued_before: AwareDateTime | None = None

    @model_validator(mode="after")
    def _version_needs_definition(self) -> CredentialFilter:
        if self.version is not None and self.definition_id is None:
            raise ValueError("version filters need definitionId")
        return self


# --------------------------------------------------------------------------- outputs


@dataclass(frozen=True)
class LearnerInfo:
    id: uuid.UUID
    issuer_id: uuid.UUID
    name: str
    email: str | None
    did: str | None
    external_id: str | None
    created_at: datetime
    updated_at: datetime | None


@dataclass(frozen=True)
class IssuedCredential:
    """A stored credential with its signed JSON ``document``.

    ``claim_url`` is the learner's secret claim link: set only in the answer to the request
    that created the credential (it is not stored, only its hash); ``replayed`` is true when an
    idempotent retry returned a credential stored earlier.
    """

    id: uuid.UUID
    issuer_id: uuid.UUID
    credential_uri: str
    state: CredentialState
    issued_at: datetime
    claimed_at: datetime | None
    definition_id: uuid.UUID | None
    definition_version_id: uuid.UUID | None
    version: int | None
    learner_id: uuid.UUID | None
    replaced_by_id: uuid.UUID | None
    state_reason: str | None
    document: Mapping[str, Any]
    claim_url: str | None = None
    replayed: bool = False


@dataclass(frozen=True)
class CredentialSummary:
    """One line of the credentials list (no document)."""

    id: uuid.UUID
    credential_uri: str
    name: str | None
    state: CredentialState
    issued_at: datetime
    claimed_at: datetime | None
    learner_id: uuid.UUID | None
    learner_name: str | None
    learner_email: str | None
    definition_id: uuid.UUID | None
    definition_slug: str | None
    version: int | None
    replaced_by_id: uuid.UUID | None


@dataclass(frozen=True)
class CredentialPage:
    items: list[CredentialSummary]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class CredentialReplaced:
    """Passed to the ``on_replaced`` hook when a re-issue replaces a credential."""

    issuer_id: uuid.UUID
    old_id: uuid.UUID
    old_uri: str
    new_id: uuid.UUID
    new_uri: str
    reason: str
    at: datetime


#: ``on_replaced(tx, event)``, run inside the re-issuing transaction (before commit);
#: ``StatusService.on_replaced`` revokes the old credential there.
ReplacementHook = Callable[[UnitOfWork, CredentialReplaced], None]


class StatusAllocator(Protocol):
    """Where status entries come from: ``StatusService.allocate_entries``.

    Called inside the issuing unit of work, before signing, with the id the credential row
    will have; returns the ``credentialStatus`` entries (one per purpose) to sign.
    """

    def allocate_entries(
        self, tx: UnitOfWork, issuer_id: uuid.UUID, credential_id: uuid.UUID
    ) -> list[dict[str, Any]]: ...


class EndorsementAttacher(Protocol):
    """Where endorsements come from: ``EndorsementService.attach`` (docs/endorsements.md).

    Called inside the issuing unit of work; returns the achievement and the issuer profile
    with the active endorsements of each in their ``endorsement`` arrays.
    """

    def attach(
        self, tx: UnitOfWork, issuer_id: uuid.UUID, achievement: Achievement, issuer: Profile
    ) -> tuple[Achievement, Profile]: ...


class IssuerSigners(Protocol):
    """Where signers come from: ``IssuerService.signer_for_issuer``."""

    def signer_for_issuer(self, issuer_id: uuid.UUID) -> AbstractContextManager[Signer]: ...


def claim_token_hash(token: str) -> str:
    """What is stored for a claim token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _learner_info(row: Learner) -> LearnerInfo:
    return LearnerInfo(
        id=row.id,
        issuer_id=row.issuer_id,
        name=row.name,
        email=row.email,
        did=row.did,
        external_id=row.external_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _credential_name(document: Mapping[str, Any]) -> str | None:
    name = document.get("name")
    if isinstance(name, str):
        return name
    subject = document.get("credentialSubject")
    if isinstance(subject, Mapping):
        achievement = subject.get("achievement")
        if isinstance(achievement, Mapping) and isinstance(achievement.get("name"), str):
            return str(achievement["name"])
    return None


@dataclass(frozen=True)
class _Issued:
    row: Credential
    version: DefinitionVersion
    claim_url: str | None


# --------------------------------------------------------------------------- the service


class IssuanceService:
    """Learners, issuing, re-issuing, claiming and listing credentials.

    Collaborators (built by ``wiring.py``): ``uow`` (units of work; its clock is *now*),
    ``signers`` (``IssuerService``: ``signer_for_issuer``), ``pipeline`` (an
    :class:`IssuancePipeline` whose verifier resolves the platform's hosted DIDs), ``loader``
    (the static JSON-LD loader, for the safe-mode check of VC-API credentials), ``base_url``
    (claim links), ``default_suite`` (``settings.default_cryptosuite``), ``on_replaced`` and
    ``status`` (``StatusService``: every credential gets a revocation and a suspension entry,
    allocated in the issuing transaction before signing; ``None`` issues without status).

    An issuing transaction that the database refuses with a retryable :class:`Conflict` (two
    issuing transactions deadlocked on status indexes, a busy SQLite file) is run again from
    the start, at most five times.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        signers: IssuerSigners,
        pipeline: IssuancePipeline,
        loader: DocumentLoader,
        *,
        base_url: str,
        default_suite: str = "eddsa-rdfc-2022",
        on_replaced: ReplacementHook | None = None,
        status: StatusAllocator | None = None,
        endorsements: EndorsementAttacher | None = None,
    ) -> None:
        if default_suite not in _SUITES:
            raise ValueError(f"default_suite must be one of {', '.join(_SUITES)}")
        self._uow = uow
        self._signers = signers
        self._pipeline = pipeline
        self._loader = loader
        self._base_url = base_url.rstrip("/")
        self._default_suite = default_suite
        self._on_replaced = on_replaced
        self._status = status
        self._endorsements = endorsements
        self._issue_listeners: list[Callable[[IssuedCredential], None]] = []

    def add_issue_listener(self, listener: Callable[[IssuedCredential], None]) -> None:
        """Call ``listener(issued)`` after each credential :meth:`issue` commits (not for
        replays). Pathways evaluate the learner there; a listener must not raise."""
        self._issue_listeners.append(listener)

    # ------------------------------------------------------------------ learners

    def upsert_learner(
        self, principal: Principal, issuer_id: uuid.UUID, data: LearnerInput
    ) -> LearnerInfo:
        """Create a learner, or update the one with the same external id."""
        require(principal, issuer_id, Permission.LEARNER_WRITE)
        with self._uow() as tx:
            tx.issuers.get(issuer_id)
            learner, created = self._upsert(tx, issuer_id, data)
            record_audit(
                tx,
                principal,
                "learner.create" if created else "learner.update",
                issuer_id=issuer_id,
                target_type="learner",
                target_id=learner.id,
            )
            info = _learner_info(learner)
            tx.commit()
        return info

    def get_learner(
        self, principal: Principal, issuer_id: uuid.UUID, learner_id: uuid.UUID
    ) -> LearnerInfo:
        require(principal, issuer_id, Permission.LEARNER_READ)
        with self._uow(read_only=True) as tx:
            return _learner_info(tx.learners.get(issuer_id, learner_id))

    def list_learners(
        self,
        principal: Principal,
        issuer_id: uuid.UUID,
        *,
        search: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[LearnerInfo]:
        """Learners by name; ``search`` matches name, e-mail or external id."""
        require(principal, issuer_id, Permission.LEARNER_READ)
        if search is not None and len(search) > 200:
            raise InvalidInput("the search text is longer than 200 characters")
        with self._uow(read_only=True) as tx:
            rows = tx.learners.list_for_issuer(issuer_id, search=search, limit=limit, offset=offset)
            return [_learner_info(row) for row in rows]

    # ------------------------------------------------------------------ issuing

    def issue(
        self, principal: Principal, issuer_id: uuid.UUID, request: IssueRequest
    ) -> IssuedCredential:
        """Issue, sign, store and announce one credential (one transaction; see the module)."""

        def attempt() -> IssuedCredential:
            with self._uow() as tx:
                issued = self.issue_in(tx, principal, issuer_id, request)
                if not issued.replayed:
                    tx.commit()
            return issued

        issued = _retrying(attempt)
        if not issued.replayed:
            for listener in self._issue_listeners:
                listener(issued)
        return issued

    def bulk(self) -> BulkIssuance:
        """Chunked issuing for bulk imports with this service's signers, pipeline, status
        lists, base URL and cryptosuite (:mod:`microcred.services.bulk_issuance`)."""
        from microcred.services.bulk_issuance import BulkIssuance

        return BulkIssuance(
            self._signers,
            self._pipeline,
            self._pipeline.registry,
            self._status if hasattr(self._status, "allocate_entries_bulk") else None,  # type: ignore[arg-type]
            base_url=self._base_url,
            suite=self._default_suite,
        )

    def issue_in(
        self, tx: UnitOfWork, principal: Principal, issuer_id: uuid.UUID, request: IssueRequest
    ) -> IssuedCredential:
        """:meth:`issue` inside the caller's unit of work, which commits (bulk imports).

        Access is checked here too. A replayed credential (same idempotency key, same request)
        writes nothing. On :class:`InvalidInput` nothing of this credential was written except
        what the caller's savepoint (if any) rolls back: run each call inside
        ``tx.session.begin_nested()`` when one refused row must not spoil the batch. A
        :class:`Conflict` with ``extra["retryable"]`` means: roll back and run the caller's
        whole transaction again.
        """
        require(principal, issuer_id, Permission.CREDENTIAL_ISSUE)
        if request.learner is not None:
            require(principal, issuer_id, Permission.LEARNER_WRITE)
        key = request.idempotency_key
        digest = request_digest("issue", request.to_json() | {"idempotencyKey": None})
        if key is not None:
            stored = tx.credentials.find_by_idempotency_key(issuer_id, key)
            if stored is not None:
                return self._replay(tx, stored, digest)
        issuer = tx.issuers.get(issuer_id)
        definition = tx.definitions.get(issuer_id, request.definition_id)
        if request.version is None:
            version = tx.definitions.find_latest_published(issuer_id, definition.id)
            if version is None:
                raise Conflict(
                    f"definition {definition.slug!r} has no published version; credentials "
                    "are issued only from published versions"
                )
        else:
            version = tx.definitions.get_version_by_number(
                issuer_id, definition.id, request.version
            )
            _require_published(version)
        if request.learner is not None:
            learner, _ = self._upsert(tx, issuer_id, request.learner)
        else:
            assert request.learner_id is not None
            learner = tx.learners.get(issuer_id, request.learner_id)
        try:
            issued = self._issue_in(
                tx,
                issuer,
                version,
                learner,
                result=request.result,
                evidence=request.evidence,
                valid_until=request.valid_until,
                idempotency_key=key,
                digest=digest,
            )
        except Conflict as exc:
            if key is None or exc.extra.get("constraint") != _IDEMPOTENCY_CONSTRAINT:
                raise
            # A concurrent request with the same key committed first: return its row.
            stored = tx.credentials.find_by_idempotency_key(issuer_id, key)
            if stored is None:
                raise
            return self._replay(tx, stored, digest)
        record_audit(
            tx,
            principal,
            "credential.issue",
            issuer_id=issuer_id,
            target_type="credential",
            target_id=issued.row.id,
            details={
                "credential": issued.row.credential_uri,
                "definition": str(definition.id),
                "version": version.version,
                "learner": str(learner.id),
            },
        )
        return self._info(issued.row, issued.version, claim_url=issued.claim_url)

    def reissue(
        self,
        principal: Principal,
        issuer_id: uuid.UUID,
        credential_id: uuid.UUID,
        corrections: CredentialCorrections,
        reason: str,
    ) -> IssuedCredential:
        """Issue a corrected credential and link the old one to it (``replaced_by``).

        The old credential must not be revoked or already replaced. ``reason`` is kept in the
        audit log and passed to the ``on_replaced`` hook (which revokes, once status lists
        exist). The learner gets a new claim e-mail.
        """
        require(principal, issuer_id, Permission.CREDENTIAL_ISSUE)
        if corrections.learner is not None:
            require(principal, issuer_id, Permission.LEARNER_WRITE)
        try:
            reason = _check_text(1000)(reason) if isinstance(reason, str) else ""
        except ValueError as exc:
            raise InvalidInput(f"reason: {exc}") from None
        if not reason:
            raise InvalidInput("reason: must be a text saying what was corrected")
        key = corrections.idempotency_key
        given = corrections.model_fields_set
        digest = request_digest(
            "reissue",
            {
                "credential": str(credential_id),
                "reason": reason,
                "given": sorted(given - {"idempotency_key"}),
                "corrections": corrections.to_json() | {"idempotencyKey": None},
            },
        )

        def attempt() -> IssuedCredential:
            with self._uow() as tx:
                if key is not None:
                    stored = tx.credentials.find_by_idempotency_key(issuer_id, key)
                    if stored is not None:
                        return self._replay(tx, stored, digest)
                issuer = tx.issuers.get(issuer_id)
                old = tx.credentials.get(issuer_id, credential_id, for_update=True)
                if old.definition_version_id is None or old.learner_id is None:
                    raise InvalidInput(
                        "this credential was signed through the VC-API, not issued from a "
                        "definition; issue a corrected one the same way instead"
                    )
                # a replaced credential is revoked too: say where its successor is first
                if old.replaced_by_id is not None:
                    raise Conflict(
                        "this credential was already replaced by credential "
                        f"{old.replaced_by_id}; correct that one instead",
                        replaced_by=str(old.replaced_by_id),
                    )
                if old.state is CredentialState.REVOKED:
                    raise Conflict("this credential is revoked; issue a new one instead")
                old_version = tx.definitions.get_version(issuer_id, old.definition_version_id)
                if corrections.version is None or corrections.version == old_version.version:
                    version = old_version
                    # A correction keeps what the learner earned: a retired version serves.
                    if DefinitionState(version.state) not in (
                        DefinitionState.PUBLISHED,
                        DefinitionState.RETIRED,
                    ):
                        _require_published(version)
                else:
                    version = tx.definitions.get_version_by_number(
                        issuer_id, old_version.definition_id, corrections.version
                    )
                    _require_published(version)
                learner = tx.learners.get(issuer_id, old.learner_id)
                if corrections.learner is not None:
                    changes = {
                        name: getattr(corrections.learner, name)
                        for name in corrections.learner.model_fields_set
                    }
                    learner = tx.learners.update(issuer_id, learner.id, changes)
                document = old.document
                result = (
                    corrections.result
                    if "result" in given
                    else _old_results(document.get("credentialSubject"))
                )
                evidence = corrections.evidence if "evidence" in given else _old_evidence(document)
                valid_until = (
                    corrections.valid_until
                    if "valid_until" in given
                    else _old_valid_until(document.get("validUntil"))
                )
                try:
                    issued = self._issue_in(
                        tx,
                        issuer,
                        version,
                        learner,
                        result=result,
                        evidence=evidence,
                        valid_until=valid_until,
                        idempotency_key=key,
                        digest=digest,
                        corrected=True,
                    )
                except Conflict as exc:
                    if key is None or exc.extra.get("constraint") != _IDEMPOTENCY_CONSTRAINT:
                        raise
                    stored = tx.credentials.find_by_idempotency_key(issuer_id, key)
                    if stored is None:
                        raise
                    return self._replay(tx, stored, digest)
                tx.credentials.link_replacement(issuer_id, old.id, issued.row.id)
                if self._on_replaced is not None:
                    self._on_replaced(
                        tx,
                        CredentialReplaced(
                            issuer_id=issuer_id,
                            old_id=old.id,
                            old_uri=old.credential_uri,
                            new_id=issued.row.id,
                            new_uri=issued.row.credential_uri,
                            reason=reason,
                            at=issued.row.issued_at,
                        ),
                    )
                record_audit(
                    tx,
                    principal,
                    "credential.reissue",
                    issuer_id=issuer_id,
                    target_type="credential",
                    target_id=old.id,
                    details={
                        "replaced_by": str(issued.row.id),
                        "credential": issued.row.credential_uri,
                        "reason": reason,
                        "version": version.version,
                    },
                )
                info = self._info(issued.row, issued.version, claim_url=issued.claim_url)
                tx.commit()
            return info

        return _retrying(attempt)

    def issue_unsigned(
        self,
        principal: Principal,
        issuer_id: uuid.UUID,
        credential: Mapping[str, Any],
        options: SigningOptions | None = None,
    ) -> IssuedCredential:
        """Sign a complete unsigned credential (VC-API ``POST /credentials/issue``).

        The credential must be VC Data Model 2.0 (an Open Badges 3.0 credential or a plain
        one), carry no proof, be issued by this issuer's DID, be well-formed and use only terms
        its contexts define (JSON-LD safe mode). It is stored without a definition version or
        learner; nothing is mailed. Anything else is :class:`InvalidInput`. A credential
        without ``credentialStatus`` gets the platform's revocation and suspension entries
        (one that brings its own is signed as it is).
        """
        require(principal, issuer_id, Permission.CREDENTIAL_ISSUE)
        options = options or SigningOptions()
        document = _unsigned_document(credential, self._now())
        uri = document.get("id")
        if uri is not None and (not isinstance(uri, str) or len(uri) > 200):
            raise InvalidInput("the credential id must be a URI of at most 200 characters")
        is_open_badge = bool(_OB_TYPES & set(_types(document)))
        suite = options.cryptosuite or self._default_suite

        def attempt() -> IssuedCredential:
            with self._uow() as tx:
                issuer = tx.issuers.get(issuer_id)
                named = credential_issuer(document)
                if named != issuer.did:
                    raise InvalidInput(
                        f"the credential's issuer must be this issuer's DID {issuer.did}",
                        errors=[{"path": "issuer", "message": f"must be {issuer.did}"}],
                    )
                now = self._now()
                created = options.created or now
                if created > now + _CREATED_SKEW:
                    raise InvalidInput("options.created lies in the future")
                with self._signers.signer_for_issuer(issuer_id) as signer:
                    if is_open_badge:
                        self._pipeline.validate(document, now=now, signer=signer)
                    else:
                        self._validate_plain(document, now)
                    row_id = uuid.uuid4()
                    to_sign = dict(document)
                    if self._status is not None and to_sign.get("credentialStatus") is None:
                        to_sign["credentialStatus"] = self._status.allocate_entries(
                            tx, issuer_id, row_id
                        )
                    secured = self._pipeline.sign(to_sign, signer, suite, now=created)
                    self._pipeline.self_verify(secured)
                row = tx.credentials.add(
                    Credential(
                        id=row_id,
                        issuer_id=issuer_id,
                        definition_version_id=None,
                        learner_id=None,
                        credential_uri=uri if isinstance(uri, str) else f"urn:uuid:{row_id}",
                        document=secured,
                    )
                )
                record_audit(
                    tx,
                    principal,
                    "credential.issue_unsigned",
                    issuer_id=issuer_id,
                    target_type="credential",
                    target_id=row.id,
                    details={"credential": row.credential_uri, "cryptosuite": suite},
                )
                info = self._info(row, None)
                tx.commit()
            return info

        return _retrying(attempt)

    # ------------------------------------------------------------------ claiming

    def claim(self, token: str) -> IssuedCredential:
        """The learner opens the claim link: mark the credential claimed and return it.

        Public (the token is the authority). Claiming twice returns the same credential. An
        unknown token is :class:`NotFound`; a revoked credential, or one that was replaced
        before it was claimed, is :class:`Conflict`.
        """
        if not isinstance(token, str) or not _TOKEN.match(token):
            raise NotFound("this claim link is not valid")
        with self._uow() as tx:
            row = tx.credentials.find_by_claim_token_hash(claim_token_hash(token))
            if row is None:
                raise NotFound("this claim link is not valid")
            version = self._version_of(tx, row)
            if row.claimed_at is not None and row.state is not CredentialState.REVOKED:
                return self._info(row, version)
            if row.replaced_by_id is not None:
                raise Conflict(
                    "this credential was corrected and replaced; use the link in the newer "
                    "e-mail to claim the corrected credential"
                )
            row = tx.credentials.mark_claimed(row.issuer_id, row.id)
            record_audit(
                tx,
                None,
                "credential.claim",
                issuer_id=row.issuer_id,
                target_type="credential",
                target_id=row.id,
            )
            info = self._info(row, version)
            tx.commit()
        return info

    # ------------------------------------------------------------------ reading

    def get_credential(
        self, principal: Principal, issuer_id: uuid.UUID, credential_id: uuid.UUID
    ) -> IssuedCredential:
        require(principal, issuer_id, Permission.CREDENTIAL_READ)
        with self._uow(read_only=True) as tx:
            row = tx.credentials.get(issuer_id, credential_id)
            return self._info(row, self._version_of(tx, row))

    def get_credential_by_uri(
        self, principal: Principal, issuer_id: uuid.UUID, credential_uri: str
    ) -> IssuedCredential:
        """The credential whose JSON ``id`` is ``credential_uri`` (VC-API ``GET
        /credentials/{id}``)."""
        require(principal, issuer_id, Permission.CREDENTIAL_READ)
        with self._uow(read_only=True) as tx:
            row = tx.credentials.find_by_uri(issuer_id, credential_uri)
            if row is None:
                raise NotFound("no credential with this id")
            return self._info(row, self._version_of(tx, row))

    def list_credentials(
        self,
        principal: Principal,
        issuer_id: uuid.UUID,
        filters: CredentialFilter | None = None,
        *,
        limit: int = 50,
        offset: int = 0,
    ) -> CredentialPage:
        """A page of the issuer's credentials, newest first, with the total that match."""
        require(principal, issuer_id, Permission.CREDENTIAL_READ)
        filters = filters or CredentialFilter()
        with self._uow(read_only=True) as tx:
            version_id: uuid.UUID | None = None
            if filters.definition_id is not None and filters.version is not None:
                version_id = tx.definitions.get_version_by_number(
                    issuer_id, filters.definition_id, filters.version
                ).id
            listings, total = tx.credentials.search_for_issuer(
                issuer_id,
                definition_id=filters.definition_id,
                definition_version_id=version_id,
                state=CredentialState(filters.state) if filters.state else None,
                text=filters.search,
                issued_from=filters.issued_from,
                issued_before=filters.issued_before,
                limit=limit,
                offset=offset,
            )
        items = [
            CredentialSummary(
                id=entry.credential.id,
                credential_uri=entry.credential.credential_uri,
                name=_credential_name(entry.credential.document),
                state=CredentialState(entry.credential.state),
                issued_at=entry.credential.issued_at,
                claimed_at=entry.credential.claimed_at,
                learner_id=entry.credential.learner_id,
                learner_name=entry.learner_name,
                learner_email=entry.learner_email,
                definition_id=entry.definition_id,
                definition_slug=entry.definition_slug,
                version=entry.version,
                replaced_by_id=entry.credential.replaced_by_id,
            )
            for entry in listings
        ]
        return CredentialPage(items=items, total=total, limit=min(limit, 1000), offset=offset)

    def outbox(
        self,
        principal: Principal,
        *,
        issuer_id: uuid.UUID | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[OutboxMessageInfo]:
        """Mail in the outbox, newest first: all of it for the platform operator, one issuer's
        for that issuer's admins (``issuer:manage``)."""
        if issuer_id is None:
            require_operator(principal)
        elif not principal.is_operator:
            require(principal, issuer_id, Permission.ISSUER_MANAGE)
        with self._uow(read_only=True) as tx:
            rows = tx.outbox.list_recent(issuer_id=issuer_id, limit=limit, offset=offset)
            return [outbox_message_info(row) for row in rows]

    # ------------------------------------------------------------------ internals

    def _now(self) -> datetime:
        return self._uow.clock.now().replace(microsecond=0)

    def _upsert(
        self, tx: UnitOfWork, issuer_id: uuid.UUID, data: LearnerInput
    ) -> tuple[Learner, bool]:
        learner, created = tx.learners.find_or_add(
            Learner(
                issuer_id=issuer_id,
                name=data.name,
                email=data.email,
                did=data.did,
                external_id=data.external_id,
            )
        )
        if not created:
            changes = {
                name: getattr(data, name)
                for name in data.model_fields_set
                if getattr(learner, name) != getattr(data, name)
            }
            if changes:
                learner = tx.learners.update(issuer_id, learner.id, changes)
        return learner, created

    def _issue_in(
        self,
        tx: UnitOfWork,
        issuer: Issuer,
        version: DefinitionVersion,
        learner: Learner,
        *,
        result: Sequence[Result] | None,
        evidence: Sequence[Evidence] | None,
        valid_until: datetime | None,
        idempotency_key: str | None,
        digest: str,
        corrected: bool = False,
    ) -> _Issued:
        subject: str | IdentityObject
        if learner.did:
            subject = learner.did
        elif learner.email:
            subject = hash_email(learner.email)
        else:
            raise InvalidInput(
                "the learner has neither a DID nor an e-mail address, so the credential could "
                "not name them; add one of the two to the learner"
            )
        achievement = Achievement.from_json(version.achievement)
        now = self._now()
        row_id = uuid.uuid4()
        credential_uri = f"urn:uuid:{uuid.uuid4()}"
        # Everything that can refuse the input runs before the status indexes are drawn: a
        # refused row of a bulk import then rolls back nothing of the status lists.
        profile = issuer_profile(issuer)
        if self._endorsements is not None:
            achievement, profile = self._endorsements.attach(tx, issuer.id, achievement, profile)
        unsigned = compose_credential(
            achievement,
            subject,
            profile,
            credential_id=credential_uri,
            valid_from=now,
            valid_until=valid_until,
            result=result or None,
            evidence=evidence or None,
        )
        if valid_until is not None and valid_until <= now:
            raise InvalidInput(
                f"the credential expires ({valid_until.isoformat()}) before it is issued "
                f"({now.isoformat()})"
            )
        if self._status is not None:
            # the entries go into the signed document unchanged (BitstringStatusListEntry)
            unsigned["credentialStatus"] = self._status.allocate_entries(tx, issuer.id, row_id)
        with self._signers.signer_for_issuer(issuer.id) as signer:
            secured = self._pipeline.issue(unsigned, signer, self._default_suite, now=now)
        token = secrets.token_urlsafe(32)
        row = tx.credentials.add(
            Credential(
                id=row_id,
                issuer_id=issuer.id,
                definition_version_id=version.id,
                learner_id=learner.id,
                credential_uri=credential_uri,
                document=secured,
                idempotency_key=idempotency_key,
                request_digest=digest,
                claim_token_hash=claim_token_hash(token),
            )
        )
        claim_url = f"{self._base_url}{CLAIM_PATH}{token}"
        if learner.email:
            tx.outbox.add(
                claim_message(
                    issuer_id=issuer.id,
                    to_address=learner.email,
                    learner_name=learner.name,
                    issuer_name=issuer.name,
                    credential_name=achievement.name,
                    claim_url=claim_url,
                    corrected=corrected,
                )
            )
        return _Issued(row=row, version=version, claim_url=claim_url)

    def _replay(self, tx: UnitOfWork, stored: Credential, digest: str) -> IssuedCredential:
        if stored.request_digest != digest:
            raise Conflict(
                "this idempotency key was already used for a different request; use a new key "
                "for a new credential",
                constraint=_IDEMPOTENCY_CONSTRAINT,
                credential=stored.credential_uri,
            )
        return self._info(stored, self._version_of(tx, stored), replayed=True)

    @staticmethod
    def _version_of(tx: UnitOfWork, row: Credential) -> DefinitionVersion | None:
        if row.definition_version_id is None:
            return None
        return tx.definitions.get_version(row.issuer_id, row.definition_version_id)

    @staticmethod
    def _info(
        row: Credential,
        version: DefinitionVersion | None,
        *,
        claim_url: str | None = None,
        replayed: bool = False,
    ) -> IssuedCredential:
        return IssuedCredential(
            id=row.id,
            issuer_id=row.issuer_id,
            credential_uri=row.credential_uri,
            state=CredentialState(row.state),
            issued_at=row.issued_at,
            claimed_at=row.claimed_at,
            definition_id=version.definition_id if version else None,
            definition_version_id=row.definition_version_id,
            version=version.version if version else None,
            learner_id=row.learner_id,
            replaced_by_id=row.replaced_by_id,
            state_reason=row.state_reason,
            document=copy.deepcopy(row.document),
            claim_url=claim_url,
            replayed=replayed,
        )

    def _validate_plain(self, document: dict[str, Any], now: datetime) -> None:
        """Checks for a plain VC 2.0 credential (OB credentials go through the pipeline)."""
        valid_until = document.get("validUntil")
        if isinstance(valid_until, str):
            try:
                until = datetime.fromisoformat(valid_until.replace("Z", "+00:00"))
            except ValueError:
                until = None
            if until is not None and until.tzinfo is not None and until <= now:
                raise InvalidInput("the credential's validUntil lies in the past")
        undefined = find_undefined_terms(document, self._loader)
        if undefined:
            raise InvalidInput(
                "these properties or types are not defined by any of the credential's contexts "
                f"and would not be covered by the signature: {', '.join(undefined)}",
                terms=list(undefined),
            )


# --------------------------------------------------------------------------- helpers


def _retrying(attempt: Callable[[], _T]) -> _T:
    """Run one issuing transaction; again while the database refuses it as retryable."""
    for remaining in range(_ATTEMPTS - 1, -1, -1):
        try:
            return attempt()
        except Conflict as exc:
            if not exc.extra.get("retryable") or remaining == 0:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _require_published(version: DefinitionVersion) -> None:
    state = DefinitionState(version.state)
    if state is not DefinitionState.PUBLISHED:
        raise Conflict(
            f"version {version.version} is {state.value.replace('_', ' ')}; credentials are "
            "issued only from published versions"
        )


def _types(document: Mapping[str, Any]) -> list[str]:
    value = document.get("type")
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [t for t in value if isinstance(t, str)]
    return []


def _unsigned_document(credential: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """A private copy of a VC-API credential after the structure checks (VC DM 2.0)."""
    if not isinstance(credential, Mapping):
        raise InvalidInput("the credential must be a JSON object")
    document = copy.deepcopy(dict(credential))
    if "proof" in document:
        raise InvalidInput("the credential already has a proof; send it unsigned")
    shape = check_object(document)
    if shape.outcome == "failed":
        raise InvalidInput(shape.message)
    contexts = document.get("@context")
    first = contexts[0] if isinstance(contexts, list) and contexts else contexts
    if first != _VC_V2:
        raise InvalidInput(
            f"only Verifiable Credentials Data Model 2.0 credentials are issued: the first "
            f"@context must be {_VC_V2}",
            errors=[{"path": "@context", "message": f"must start with {_VC_V2}"}],
        )
    results = StructureCheck().run(document, CheckContext(now))
    failed = [r for r in results if r.outcome == "failed" and r.code != STRUCTURE_PROOF]
    if failed:
        raise InvalidInput(
            "the credential is not well-formed: " + " ".join(r.message for r in failed),
            errors=[{"path": r.code, "message": r.message} for r in failed],
        )
    return document


def _old_results(subject: Any) -> list[Result] | None:
    if not isinstance(subject, Mapping) or not isinstance(subject.get("result"), list):
        return None
    return [Result.from_json(item) for item in subject["result"]]


def _old_evidence(document: Mapping[str, Any]) -> list[Evidence] | None:
    evidence = document.get("evidence")
    if not isinstance(evidence, list):
        return None
    return [Evidence.from_json(item) for item in evidence]


def _old_valid_until(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
