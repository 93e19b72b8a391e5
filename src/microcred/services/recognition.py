"""Recognition and credit transfer: external credentials, their reports and the decisions.

A recognition officer (``recognition:decide``: registrars and admins) imports a credential
another issuer gave one of the issuer's learners — a JSON file or text, a baked PNG/SVG badge,
or a web address (read with the public verifier's hardened HTTPS client, only when the platform
may use the network) — using the same parsing as the public verifier page
(:mod:`microcred.web.inputs`). It is verified at once with the platform's verifier and stored
with the report (``external_credentials``); the same document imported again for the same
learner is found, not stored twice.

The officer then records one decision per external credential: **recognised** for N ECTS
(towards a pathway of the issuer, or a programme named in text, or neither) — only for a
credential that verified — or **refused**, always with a reason. Both are audited
(``recognition.import``, ``recognition.decide``). A recognised credential counts towards
pathways with the decided ECTS; a refused one never counts. With ``issueCredential`` the
decision is also issued to the learner as a credential of a recognition definition of the issuer
(its evidence points at the external credential and states the decision). After each import and
decision the learner's pathways are evaluated (``PathwayService.after_change``).
Reading (``learner:read``): :meth:`RecognitionService.get`, :meth:`RecognitionService.inbox`.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, model_validator

from microcred.errors import Conflict, InvalidInput
from microcred.model import Evidence, StrictModel
from microcred.pathways.holdings import ects_text
from microcred.pathways.rules import Ects
from microcred.services._support import UUIDField
from microcred.services.access import Permission, Principal, require
from microcred.services.audit import record_audit
from microcred.services.issuance import IssuanceService, IssueRequest
from microcred.services.pathways import AwardInfo, PathwayService
from microcred.storage import UnitOfWork, UnitOfWorkFactory
from microcred.storage.pathway_tables import (
    ExternalCredential,
    RecognitionDecision,
    RecognitionOutcome,
)
from microcred.storage.repositories.pathways import PathwayRepository
from microcred.verification.report import VerificationReport

if TYPE_CHECKING:  # web/ imports the platform: read its input helpers lazily
    from microcred.web.inputs import CredentialFetcher, ParsedInput

__all__ = [
    "DecisionInfo",
    "DecisionInput",
    "ExternalCredentialInfo",
    "RecognitionService",
]


def _reason(value: str) -> str:
    text = value.strip()
    if not text:
        raise ValueError("must not be empty")
    if len(text) > 2000:
        raise ValueError("must be at most 2000 characters")
    return text


def _programme(value: str) -> str:
    text = value.strip()
    if not text or len(text) > 300:
        raise ValueError("must be 1 to 300 characters")
    return text


class DecisionInput(StrictModel):
    """The officer's decision on one external credential."""

    outcome: Literal["recognised", "refused"]
    reason: Annotated[str, AfterValidator(_reason)]
    ects: Ects | None = None
    pathway_id: UUIDField | None = None
    programme: Annotated[str, AfterValidator(_programme)] | None = None
    #: also issue the recognition to the learner as a credential of this definition
    issue_definition_id: UUIDField | None = None

    @model_validator(mode="after")
    def _consistent(self) -> DecisionInput:
        if self.outcome == "recognised" and self.ects is None:
            raise ValueError("a recognition needs ects (the credits recognised)")
        if self.outcome == "refused" and (
            self.ects is not None or self.pathway_id is not None or self.issue_definition_id
        ):
            raise ValueError("a refusal carries no ects, pathwayId or issueDefinitionId")
        return self


@dataclass(frozen=True)
class DecisionInfo:
    id: uuid.UUID
    external_credential_id: uuid.UUID
    learner_id: uuid.UUID
    outcome: RecognitionOutcome
    ects: Decimal | None
    pathway_id: uuid.UUID | None
    programme: str | None
    reason: str
    decided_by: uuid.UUID | None
    decided_at: datetime
    credential_id: uuid.UUID | None
    awards: tuple[AwardInfo, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "externalCredentialId": str(self.external_credential_id),
            "learnerId": str(self.learner_id),
            "outcome": self.outcome.value,
            "ects": ects_text(self.ects) if self.ects is not None else None,
            "pathwayId": str(self.pathway_id) if self.pathway_id else None,
            "programme": self.programme,
            "reason": self.reason,
            "decidedBy": str(self.decided_by) if self.decided_by else None,
            "decidedAt": self.decided_at.isoformat(),
            "credentialId": str(self.credential_id) if self.credential_id else None,
            "awards": [award.to_json() for award in self.awards],
        }


@dataclass(frozen=True)
class ExternalCredentialInfo:
    id: uuid.UUID
    issuer_id: uuid.UUID
    learner_id: uuid.UUID
    name: str
    credential_uri: str | None
    issuer_did: str | None
    achievement_id: str | None
    source: str
    verified: bool
    report: Mapping[str, Any]
    document: Mapping[str, Any]
    imported_at: datetime
    decision: DecisionInfo | None
    created: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "learnerId": str(self.learner_id),
            "name": self.name,
            "credentialUri": self.credential_uri,
            "issuerDid": self.issuer_did,
            "achievementId": self.achievement_id,
            "source": self.source,
            "verified": self.verified,
            "report": dict(self.report),
            "document": dict(self.document),
            "importedAt": self.imported_at.isoformat(),
            "decision": self.decision.to_json() if self.decision else None,
        }


def _decision_info(row: RecognitionDecision, awards: tuple[AwardInfo, ...] = ()) -> DecisionInfo:
    return DecisionInfo(
        id=row.id,
        external_credential_id=row.external_credential_id,
        learner_id=row.learner_id,
        outcome=row.outcome,
        ects=row.ects,
        pathway_id=row.pathway_id,
        programme=row.programme,
        reason=row.reason,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        credential_id=row.credential_id,
        awards=awards,
    )


def _info(
    row: ExternalCredential, decision: RecognitionDecision | None, *, created: bool = False
) -> ExternalCredentialInfo:
    return ExternalCredentialInfo(
        id=row.id,
        issuer_id=row.issuer_id,
        learner_id=row.learner_id,
        name=row.name,
        credential_uri=row.credential_uri,
        issuer_did=row.issuer_did,
        achievement_id=row.achievement_id,
        source=row.source,
        verified=row.verified,
        report=row.report,
        document=row.document,
        imported_at=row.imported_at,
        decision=_decision_info(decision) if decision else None,
        created=created,
    )


def _digest(document: Mapping[str, Any]) -> str:
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _achievement(document: Mapping[str, Any]) -> Mapping[str, Any]:
    subject = document.get("credentialSubject")
    first = subject[0] if isinstance(subject, list) and subject else subject
    achievement = first.get("achievement") if isinstance(first, Mapping) else None
    return achievement if isinstance(achievement, Mapping) else {}


def _issuer_did(document: Mapping[str, Any]) -> str | None:
    issuer = document.get("issuer")
    value = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    return value[:512] if isinstance(value, str) else None


def _short(value: object, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


class RecognitionService:
    """External credentials, their verification reports and recognition decisions."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        issuance: IssuanceService,
        pathways: PathwayService,
        verify: Callable[[dict[str, Any]], VerificationReport],
        *,
        base_url: str,
        own_document: Callable[[str], Mapping[str, Any]] | None = None,
        fetcher: CredentialFetcher | None = None,
    ) -> None:
        self._uow = uow
        self._issuance = issuance
        self._pathways = pathways
        self._verify = verify
        self._base_url = base_url
        self._own_document = own_document
        self._fetcher = fetcher

    def _repo(self, tx: UnitOfWork) -> PathwayRepository:
        return PathwayRepository(tx.session, self._uow.clock)

    # ------------------------------------------------------------------ import

    def parse(self, source: bytes | str, kind: Literal["file", "text", "url"]) -> ParsedInput:
        """The document in a file's bytes (JSON or a baked PNG/SVG), pasted JSON text, or at
        a web address; InvalidInput with a sentence for people otherwise."""
        from microcred.web.inputs import document_from_bytes, document_from_text, document_from_url

        if kind == "file":
            data = source.encode("utf-8") if isinstance(source, str) else source
            return document_from_bytes(data)
        text = source.decode("utf-8", "replace") if isinstance(source, bytes) else source
        if kind == "text":
            return document_from_text(text)

        def own(share_id: str) -> Mapping[str, Any]:
            if self._own_document is None:
                raise InvalidInput("this platform's public pages cannot be read here")
            return self._own_document(share_id)

        return document_from_url(
            text, base_url=self._base_url, own_document=own, fetcher=self._fetcher
        )

    def import_credential(
        self,
        principal: Principal,
        issuer_id: uuid.UUID,
        learner_id: uuid.UUID,
        source: bytes | str,
        kind: Literal["file", "text", "url"],
    ) -> ExternalCredentialInfo:
        """Parse, verify and store an external credential for a learner (see the module)."""
        require(principal, issuer_id, Permission.RECOGNITION_DECIDE)
        with self._uow(read_only=True) as tx:
            issuer = tx.issuers.get(issuer_id)
            tx.learners.get(issuer_id, learner_id)
        parsed = self.parse(source, kind)
        document = parsed.document
        if not isinstance(document, Mapping) or parsed.is_presentation:
            raise InvalidInput(
                "Import one credential (a JSON object), not a presentation or a list."
            )
        document = dict(document)
        if _issuer_did(document) == issuer.did:
            raise InvalidInput(
                "This credential was issued by this issuer: it counts towards pathways "
                "already and needs no recognition."
            )
        report = self._verify(document)
        if report.input_problem() is not None:
            problem = report.input_problem()
            assert problem is not None
            raise InvalidInput(f"This is not a credential that can be checked: {problem.message}")
        achievement = _achievement(document)
        name = _short(achievement.get("name"), 300) or _short(document.get("name"), 300)
        with self._uow() as tx:
            repo = self._repo(tx)
            row, created = repo.add_external(
                ExternalCredential(
                    issuer_id=issuer_id,
                    learner_id=learner_id,
                    document=document,
                    document_sha256=_digest(document),
                    credential_uri=_short(document.get("id"), 1000),
                    name=name or "Unnamed credential",
                    issuer_did=_issuer_did(document),
                    achievement_id=_short(achievement.get("id"), 1000),
                    source=f"{parsed.source}: {parsed.detail}"[:200],
                    verified=report.verified,
                    report=report.to_json(),
                    imported_by=principal.user_id,
                )
            )
            if created:
                record_audit(
                    tx,
                    principal,
                    "recognition.import",
                    issuer_id=issuer_id,
                    target_type="external_credential",
                    target_id=row.id,
                    details={
                        "learner": str(learner_id),
                        "verified": row.verified,
                        "credential": row.credential_uri,
                        "issuer": row.issuer_did,
                    },
                )
            info = _info(row, repo.decision_for(issuer_id, row.id), created=created)
            tx.commit()
        if created and info.verified:
            self._pathways.after_change(issuer_id, learner_id)
        return info

    # ------------------------------------------------------------------ decisions

    def decide(
        self,
        principal: Principal,
        issuer_id: uuid.UUID,
        external_id: uuid.UUID,
        data: DecisionInput,
    ) -> DecisionInfo:
        """Record the decision (one per external credential: Conflict for a second one)."""
        require(principal, issuer_id, Permission.RECOGNITION_DECIDE)
        if data.issue_definition_id is not None:
            require(principal, issuer_id, Permission.CREDENTIAL_ISSUE)
        with self._uow() as tx:
            repo = self._repo(tx)
            external = repo.get_external(issuer_id, external_id)
            if repo.decision_for(issuer_id, external_id) is not None:
                raise Conflict("this credential has a recognition decision already")
            if data.outcome == "recognised" and not external.verified:
                raise InvalidInput(
                    "This credential did not verify, so it cannot be recognised; refuse it "
                    "with the reason, or ask the learner for a credential that verifies."
                )
            if data.pathway_id is not None:
                repo.get_pathway(issuer_id, data.pathway_id)
            row = repo.add_decision(
                RecognitionDecision(
                    issuer_id=issuer_id,
                    external_credential_id=external.id,
                    learner_id=external.learner_id,
                    outcome=RecognitionOutcome(data.outcome),
                    ects=data.ects,
                    pathway_id=data.pathway_id,
                    programme=data.programme,
                    reason=data.reason,
                    decided_by=principal.user_id,
                )
            )
            if data.issue_definition_id is not None:
                issued = self._issuance.issue_in(
                    tx,
                    principal,
                    issuer_id,
                    IssueRequest(
                        definition_id=data.issue_definition_id,
                        learner_id=external.learner_id,
                        evidence=[self._evidence(external, row)],
                        idempotency_key=f"recognition:{row.id}",
                    ),
                )
                repo.set_decision_credential(row, issued.id)
            record_audit(
                tx,
                principal,
                "recognition.decide",
                issuer_id=issuer_id,
                target_type="external_credential",
                target_id=external.id,
                details={
                    "outcome": data.outcome,
                    "ects": str(data.ects) if data.ects is not None else None,
                    "pathway": str(data.pathway_id) if data.pathway_id else None,
                    "programme": data.programme,
                    "reason": data.reason,
                    "credential": str(row.credential_id) if row.credential_id else None,
                },
            )
            learner_id = external.learner_id
            tx.commit()
        awards: tuple[AwardInfo, ...] = tuple(self._pathways.after_change(issuer_id, learner_id))
        return _decision_info(row, awards)

    @staticmethod
    def _evidence(external: ExternalCredential, decision: RecognitionDecision) -> Evidence:
        towards = ""
        if decision.programme:
            towards = f" towards {decision.programme}"
        return Evidence(
            id=external.credential_uri or f"urn:uuid:{external.id}",
            name=external.name,
            narrative=(
                f"Recognised prior learning: '{external.name}'"
                + (f" issued by {external.issuer_did}" if external.issuer_did else "")
                + f", recognised for {ects_text(decision.ects or Decimal(0))} ECTS{towards}. "
                + decision.reason
            ),
            genre="Recognised prior learning",
        )

    # ------------------------------------------------------------------ reading

    def get(
        self, principal: Principal, issuer_id: uuid.UUID, external_id: uuid.UUID
    ) -> ExternalCredentialInfo:
        require(principal, issuer_id, Permission.LEARNER_READ)
        with self._uow(read_only=True) as tx:
            repo = self._repo(tx)
            row = repo.get_external(issuer_id, external_id)
            return _info(row, repo.decision_for(issuer_id, row.id))

    def inbox(
        self,
        principal: Principal,
        issuer_id: uuid.UUID,
        *,
        learner_id: uuid.UUID | None = None,
        undecided_only: bool = False,
        limit: int = 100,
        offset: int = 0,
    ) -> list[ExternalCredentialInfo]:
        """External credentials, newest first (``undecided_only``: the officer's to-do)."""
        require(principal, issuer_id, Permission.LEARNER_READ)
        with self._uow(read_only=True) as tx:
            tx.issuers.get(issuer_id)
            repo = self._repo(tx)
            rows = repo.list_externals(
                issuer_id,
                learner_id=learner_id,
                undecided_only=undecided_only,
                limit=limit,
                offset=offset,
            )
            return [_info(row, repo.decision_for(issuer_id, row.id)) for row in rows]
