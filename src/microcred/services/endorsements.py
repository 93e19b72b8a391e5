"""Partner organisations and their Open Badges endorsements (docs/endorsements.md).

An issuer records the organisations that endorse it or its micro-credentials (industry
partners). A partner either

* has no platform of its own: the platform holds a key for it in the key store (``did:key``)
  and signs its endorsements when the issuer's staff record them on the partner's behalf
  (:meth:`EndorsementService.endorse`), or
* signs elsewhere (its own ``did:key`` or ``did:web``): its ``EndorsementCredential`` is
  uploaded and kept only when the platform's verifier verifies it, it is signed by that
  partner's DID and it is about the definition version or the issuer it is filed under
  (:meth:`EndorsementService.upload`).

Issued credentials carry the endorsements in force when they are issued: those of the
definition version in ``Achievement.endorsement``, those of the issuer in
``Profile.endorsement`` (Open Badges 3.0, :meth:`EndorsementService.attach`, called by the
issuance service inside the issuing transaction). An endorsement is about one definition
*version* (its achievement id): a new version needs a new endorsement.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, Protocol, TypeVar

from pydantic import AfterValidator, Field

from microcred.clock import Clock
from microcred.definition.endorsement import MAX_COMMENT, compose_endorsement
from microcred.did.key import did_key_from_public, did_key_verification_method, parse_did_key
from microcred.did.web import did_web_to_url
from microcred.errors import Conflict, InvalidInput, MicrocredError, NotFound
from microcred.keys.file_store import FileKeyStore
from microcred.model import Achievement, EndorsementCredential, Profile
from microcred.model.base import StrictModel
from microcred.services._support import AwareDateTime, UUIDField, issuer_profile
from microcred.services.access import Permission, Principal, require
from microcred.services.audit import record_audit
from microcred.services.schemas_identity import check_display_name, check_http_url
from microcred.storage import UnitOfWork, UnitOfWorkFactory
from microcred.storage.endorsement_tables import Endorsement, Partner
from microcred.storage.repositories.endorsements import EndorsementRepository
from microcred.storage.tables import DefinitionState, DefinitionVersion, Issuer
from microcred.verification.checks.base import type_values

__all__ = [
    "EndorseRequest",
    "EndorsementInfo",
    "EndorsementService",
    "EndorsementUpload",
    "PartnerInfo",
    "PartnerInput",
    "ReportingVerifier",
    "check_partner_did",
]

TargetType = Literal["definition", "issuer"]


class ReportingVerifier(Protocol):
    def verify_credential(self, credential: object) -> Any: ...


def check_partner_did(value: str) -> str:
    """A ``did:key`` (Ed25519) or a ``did:web``; anything else is refused."""
    if value.startswith("did:key:"):
        try:
            parse_did_key(value)
        except MicrocredError as error:
            raise ValueError(f"is not a valid did:key ({error.detail})") from error
        if "#" in value:
            raise ValueError("must be a DID, not a key reference (no '#...')")
        return value
    if value.startswith("did:web:"):
        try:
            did_web_to_url(value)
        except MicrocredError as error:
            raise ValueError(f"is not a valid did:web ({error.detail})") from error
        return value
    raise ValueError("must be a did:key or a did:web DID")


def _check_name(value: str) -> str:
    try:
        return check_display_name(value)
    except InvalidInput as error:
        raise ValueError(error.detail) from error


def _check_url(value: str) -> str:
    try:
        return check_http_url(value, "homepage")
    except InvalidInput as error:
        raise ValueError(error.detail) from error


def _check_comment(value: str) -> str:
    text = value.strip()
    if not text:
        raise ValueError("must not be empty")
    if any(ord(c) < 32 and c not in "\n\t" for c in text):
        raise ValueError("must not contain control characters")
    return text


class PartnerInput(StrictModel):
    """A partner organisation: its name and either ``did`` (it signs elsewhere) or
    ``holdKey: true`` (the platform creates and holds a did:key for it)."""

    name: Annotated[str, AfterValidator(_check_name)]
    did: Annotated[str, Field(max_length=512), AfterValidator(check_partner_did)] | None = None
    homepage: Annotated[str, AfterValidator(_check_url)] | None = None
    hold_key: bool = False


class EndorseRequest(StrictModel):
    """Sign an endorsement with a partner's held key.

    ``target`` ``definition`` needs ``definitionId`` (``version``: default the newest
    published one); ``issuer`` endorses the issuer itself."""

    partner_id: UUIDField
    target: TargetType
    definition_id: UUIDField | None = None
    version: Annotated[int, Field(ge=1)] | None = None
    comment: Annotated[str, Field(max_length=MAX_COMMENT), AfterValidator(_check_comment)]
    valid_until: AwareDateTime | None = None


class EndorsementUpload(StrictModel):
    """File an endorsement a partner signed elsewhere (``credential``: its JSON)."""

    partner_id: UUIDField
    target: TargetType
    definition_id: UUIDField | None = None
    version: Annotated[int, Field(ge=1)] | None = None
    credential: dict[str, Any]


@dataclass(frozen=True, slots=True)
class PartnerInfo:
    id: uuid.UUID
    issuer_id: uuid.UUID
    name: str
    did: str
    homepage: str | None
    holds_key: bool
    created_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "issuerId": str(self.issuer_id),
            "name": self.name,
            "did": self.did,
            "homepage": self.homepage,
            "holdsKey": self.holds_key,
            "createdAt": self.created_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class EndorsementInfo:
    id: uuid.UUID
    issuer_id: uuid.UUID
    partner_id: uuid.UUID
    partner_name: str
    target_type: str
    definition_id: uuid.UUID | None
    subject_id: str
    credential_uri: str
    comment: str | None
    source: str
    created_at: datetime
    withdrawn_at: datetime | None
    document: dict[str, Any]

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "issuerId": str(self.issuer_id),
            "partnerId": str(self.partner_id),
            "partnerName": self.partner_name,
            "target": self.target_type,
            "definitionId": str(self.definition_id) if self.definition_id else None,
            "subjectId": self.subject_id,
            "credentialId": self.credential_uri,
            "comment": self.comment,
            "source": self.source,
            "createdAt": self.created_at.isoformat(),
            "withdrawnAt": self.withdrawn_at.isoformat() if self.withdrawn_at else None,
            "active": self.active,
            "credential": self.document,
        }


def _partner_info(row: Partner) -> PartnerInfo:
    return PartnerInfo(
        id=row.id,
        issuer_id=row.issuer_id,
        name=row.name,
        did=row.did,
        homepage=row.homepage,
        holds_key=row.key_id is not None,
        created_at=row.created_at,
    )


def _endorsement_info(row: Endorsement, partner_name: str) -> EndorsementInfo:
    return EndorsementInfo(
        id=row.id,
        issuer_id=row.issuer_id,
        partner_id=row.partner_id,
        partner_name=partner_name,
        target_type=row.target_type,
        definition_id=row.definition_id,
        subject_id=row.subject_id,
        credential_uri=row.credential_uri,
        comment=row.comment,
        source=row.source,
        created_at=row.created_at,
        withdrawn_at=row.withdrawn_at,
        document=row.document,
    )


class EndorsementService:
    """Partners, endorsements, and the endorsements that go into issued credentials."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        key_store: FileKeyStore,
        pipeline: PipelineLike,
        verifier: ReportingVerifier,
        clock: Clock,
        *,
        suite_name: str = "eddsa-rdfc-2022",
    ) -> None:
        self._uow = uow
        self._keys = key_store
        self._pipeline = pipeline
        self._verifier = verifier
        self._clock = clock
        self._suite = suite_name

    # ------------------------------------------------------------------ partners

    def add_partner(
        self, principal: Principal, issuer_id: uuid.UUID, data: PartnerInput
    ) -> PartnerInfo:
        """Record a partner (``issuer:manage``); Conflict when its DID is already recorded."""
        require(principal, issuer_id, Permission.ISSUER_MANAGE)
        if data.hold_key == (data.did is not None):
            raise InvalidInput(
                "give either the partner's own DID ('did') or 'holdKey': true for a partner "
                "whose key this platform holds, not both or neither"
            )
        partner_id = uuid.uuid4()
        key_id: str | None = None
        did = data.did
        if data.hold_key:
            key_id = f"partner-{partner_id}"
            self._keys.create(key_id)
            did = did_key_from_public(self._keys.public_key(key_id))
        assert did is not None
        with self._uow() as tx:
            tx.issuers.get(issuer_id)
            row = self._repo(tx).add_partner(
                Partner(
                    id=partner_id,
                    issuer_id=issuer_id,
                    name=data.name,
                    did=did,
                    homepage=data.homepage,
                    key_id=key_id,
                )
            )
            record_audit(
                tx,
                principal,
                "partner.create",
                issuer_id=issuer_id,
                target_type="partner",
                target_id=row.id,
                details={"name": data.name, "did": did, "holdsKey": key_id is not None},
            )
            tx.commit()
        return _partner_info(row)

    def list_partners(self, principal: Principal, issuer_id: uuid.UUID) -> list[PartnerInfo]:
        require(principal, issuer_id, Permission.ISSUER_READ)
        with self._uow(read_only=True) as tx:
            return [_partner_info(p) for p in self._repo(tx).partners(issuer_id)]

    # ------------------------------------------------------------------ endorsements

    def endorse(
        self, principal: Principal, issuer_id: uuid.UUID, data: EndorseRequest
    ) -> EndorsementInfo:
        """Sign an endorsement with the key held for the partner (``issuer:manage``)."""
        require(principal, issuer_id, Permission.ISSUER_MANAGE)
        now = self._clock.now()
        if data.valid_until is not None:
            if data.valid_until.tzinfo is None:
                raise InvalidInput("validUntil needs a timezone (e.g. 2027-01-01T00:00:00Z)")
            if data.valid_until <= now:
                raise InvalidInput("validUntil must be in the future")
        with self._uow() as tx:
            issuer = tx.issuers.get(issuer_id)
            partner = self._partner(tx, issuer_id, data.partner_id)
            if partner.key_id is None:
                raise InvalidInput(
                    f"the platform holds no key for {partner.name}: that partner signs its "
                    "endorsements itself; upload the signed EndorsementCredential instead"
                )
            subject_id, definition_id = self._subject(
                tx, issuer, data.target, data.definition_id, data.version
            )
            endorser = Profile.from_json(
                {"id": partner.did, "type": ["Profile"], "name": partner.name}
                | ({"url": partner.homepage} if partner.homepage else {})
            )
            unsigned = compose_endorsement(
                subject_id,
                endorser,
                credential_id=f"urn:uuid:{uuid.uuid4()}",
                valid_from=now,
                valid_until=data.valid_until,
                comment=data.comment,
            )
            public = self._keys.public_key(partner.key_id)
            with self._keys.signer_for(
                partner.key_id, did_key_verification_method(public)
            ) as signer:
                signed = self._pipeline.sign(unsigned, signer, self._suite, now=now)
            self._pipeline.self_verify(signed)
            row = self._store(
                tx,
                principal,
                issuer_id,
                partner,
                data.target,
                definition_id,
                subject_id,
                signed,
                source="signed",
            )
            tx.commit()
        return _endorsement_info(row, partner.name)

    def upload(
        self, principal: Principal, issuer_id: uuid.UUID, data: EndorsementUpload
    ) -> EndorsementInfo:
        """File an endorsement the partner signed elsewhere, once it verifies."""
        require(principal, issuer_id, Permission.ISSUER_MANAGE)
        document = data.credential
        if "EndorsementCredential" not in type_values(document):
            raise InvalidInput("the uploaded credential is not an EndorsementCredential")
        parsed = EndorsementCredential.from_json(document)
        with self._uow() as tx:
            issuer = tx.issuers.get(issuer_id)
            partner = self._partner(tx, issuer_id, data.partner_id)
            subject_id, definition_id = self._subject(
                tx, issuer, data.target, data.definition_id, data.version
            )
            if parsed.issuer_id != partner.did:
                raise InvalidInput(
                    f"the endorsement was issued by {parsed.issuer_id}, not by "
                    f"{partner.name} ({partner.did})"
                )
            if parsed.credential_subject.id != subject_id:
                raise InvalidInput(
                    f"the endorsement is about {parsed.credential_subject.id}, not about "
                    f"{subject_id}"
                )
            report = self._verifier.verify_credential(document)
            if not report.verified:
                failures = [c for c in report.checks if c.outcome.value == "failed"]
                why = "; ".join(c.message for c in failures[:3])
                raise InvalidInput(
                    f"the endorsement does not verify: {why}", report=report.to_json()
                )
            row = self._store(
                tx,
                principal,
                issuer_id,
                partner,
                data.target,
                definition_id,
                subject_id,
                parsed.to_json(),
                source="uploaded",
            )
            tx.commit()
        return _endorsement_info(row, partner.name)

    def list_endorsements(
        self,
        principal: Principal,
        issuer_id: uuid.UUID,
        *,
        definition_id: uuid.UUID | None = None,
    ) -> list[EndorsementInfo]:
        require(principal, issuer_id, Permission.ISSUER_READ)
        with self._uow(read_only=True) as tx:
            repo = self._repo(tx)
            names = {p.id: p.name for p in repo.partners(issuer_id)}
            rows = repo.endorsements(issuer_id, definition_id=definition_id)
            return [_endorsement_info(r, names.get(r.partner_id, "")) for r in rows]

    def withdraw(
        self, principal: Principal, issuer_id: uuid.UUID, endorsement_id: uuid.UUID
    ) -> EndorsementInfo:
        """Stop placing an endorsement into new credentials (issued ones keep it)."""
        require(principal, issuer_id, Permission.ISSUER_MANAGE)
        with self._uow() as tx:
            repo = self._repo(tx)
            row = repo.endorsement(issuer_id, endorsement_id, for_update=True)
            if row is None:
                raise NotFound(f"endorsement {endorsement_id} not found")
            if row.withdrawn_at is not None:
                raise Conflict("this endorsement was already withdrawn")
            repo.withdraw(row, self._clock.now())
            record_audit(
                tx,
                principal,
                "endorsement.withdraw",
                issuer_id=issuer_id,
                target_type="endorsement",
                target_id=row.id,
                details={"credential": row.credential_uri},
            )
            partner = repo.partner(issuer_id, row.partner_id)
            tx.commit()
        return _endorsement_info(row, partner.name if partner else "")

    def public_endorsements(
        self, issuer_id: uuid.UUID, subject_ids: Sequence[str]
    ) -> list[EndorsementInfo]:
        """The active endorsements of some subjects (public data: shown on public pages)."""
        with self._uow(read_only=True) as tx:
            repo = self._repo(tx)
            names = {p.id: p.name for p in repo.partners(issuer_id)}
            rows = repo.endorsements(
                issuer_id, subject_ids=list(subject_ids), include_withdrawn=False
            )
            return [_endorsement_info(r, names.get(r.partner_id, "")) for r in rows]

    # ------------------------------------------------------------------ issuance hook

    def attach(
        self, tx: UnitOfWork, issuer_id: uuid.UUID, achievement: Achievement, issuer: Profile
    ) -> tuple[Achievement, Profile]:
        """``achievement`` and ``issuer`` with their active endorsements (inside ``tx``)."""
        rows = self._repo(tx).endorsements(
            issuer_id, subject_ids=[achievement.id, issuer.id], include_withdrawn=False
        )
        if not rows:
            return achievement, issuer
        return (
            _with_endorsements(
                achievement, [r.document for r in rows if r.subject_id == achievement.id]
            ),
            _with_endorsements(issuer, [r.document for r in rows if r.subject_id == issuer.id]),
        )

    # ------------------------------------------------------------------ helpers

    def _repo(self, tx: UnitOfWork) -> EndorsementRepository:
        return EndorsementRepository(tx.session, self._clock)

    def _partner(self, tx: UnitOfWork, issuer_id: uuid.UUID, partner_id: uuid.UUID) -> Partner:
        partner = self._repo(tx).partner(issuer_id, partner_id)
        if partner is None:
            raise NotFound(f"partner {partner_id} not found")
        return partner

    @staticmethod
    def _subject(
        tx: UnitOfWork,
        issuer: Issuer,
        target: str,
        definition_id: uuid.UUID | None,
        version: int | None,
    ) -> tuple[str, uuid.UUID | None]:
        if target == "issuer":
            if definition_id is not None or version is not None:
                raise InvalidInput("an endorsement of the issuer takes no definitionId/version")
            return issuer_profile(issuer).id, None
        if definition_id is None:
            raise InvalidInput("an endorsement of a definition needs 'definitionId'")
        chosen: DefinitionVersion | None
        if version is not None:
            chosen = tx.definitions.get_version_by_number(issuer.id, definition_id, version)
        else:
            tx.definitions.get(issuer.id, definition_id)
            chosen = tx.definitions.find_latest_published(issuer.id, definition_id)
            if chosen is None:
                raise Conflict(
                    "the definition has no published version yet: publish it first, or name "
                    "the version to endorse"
                )
        if chosen.state == DefinitionState.RETIRED:
            raise Conflict(f"version {chosen.version} of the definition is retired")
        return str(chosen.achievement["id"]), definition_id

    def _store(
        self,
        tx: UnitOfWork,
        principal: Principal,
        issuer_id: uuid.UUID,
        partner: Partner,
        target: str,
        definition_id: uuid.UUID | None,
        subject_id: str,
        document: dict[str, Any],
        *,
        source: str,
    ) -> Endorsement:
        subject = document.get("credentialSubject")
        comment = subject.get("endorsementComment") if isinstance(subject, Mapping) else None
        row = self._repo(tx).add_endorsement(
            Endorsement(
                issuer_id=issuer_id,
                partner_id=partner.id,
                target_type=target,
                definition_id=definition_id,
                subject_id=subject_id,
                credential_uri=str(document["id"]),
                comment=comment if isinstance(comment, str) else None,
                source=source,
                document=document,
                created_by=principal.user_id,
            )
        )
        record_audit(
            tx,
            principal,
            "endorsement.create",
            issuer_id=issuer_id,
            target_type="endorsement",
            target_id=row.id,
            details={"partner": partner.name, "subject": subject_id, "source": source},
        )
        return row


class PipelineLike(Protocol):
    def sign(
        self, unsigned: Mapping[str, Any], signer: Any, suite_name: str, *, now: datetime
    ) -> dict[str, Any]: ...

    def self_verify(self, secured: dict[str, Any]) -> None: ...


_Node = TypeVar("_Node", Achievement, Profile)


def _with_endorsements(node: _Node, documents: list[dict[str, Any]]) -> _Node:
    if not documents:
        return node
    data: dict[str, Any] = node.to_json()
    data["endorsement"] = [*data.get("endorsement", []), *documents]
    return type(node).from_json(data)
