"""Pathways: a target award earned by stacking parts, evaluated and awarded automatically.

A pathway (``pathway:edit`` to create or change; ``definition:read`` to read) names a target
definition of the issuer and a :class:`~microcred.pathways.PathwayRule`. What a learner holds
(:meth:`PathwayService.held_items`):

* the issuer's own credentials to the learner that are issued or claimed (not revoked,
  suspended or replaced);
* external credentials imported for the learner that **verified** at import and were not
  refused: recognised ones count with the ECTS of the decision (towards the decision's pathway
  only, when it names one), undecided ones with their own claims;
* before an award is issued, every external credential it rests on is verified again
  (``verify``); one that no longer verifies is marked so and the learner is evaluated again.

:meth:`PathwayService.evaluate_learner` runs after every credential issued through
``IssuanceService.issue`` (the hook ``after_issue``) and after each recognition; when a rule is
met the learner gets an award row (one per learner and pathway: a unique constraint, so repeated
or racing evaluations never award twice) and the target credential is issued at once through
``IssuanceService.issue_in`` in the same transaction — or the award waits as ``pending`` for a
registrar (``credential:issue``) when the pathway ``requiresApproval``. The award credential
lists each part it rests on as an Open Badges ``evidence`` entry (``id`` = the part's credential
id, ``genre`` "Pathway part"). Automatic awards are issued and audited as the system actor
``pathway:<slug>`` with the registrar's permissions at that issuer.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field

from microcred.errors import Conflict, InvalidInput, MicrocredError, NotFound
from microcred.model import Evidence, StrictModel
from microcred.pathways import HeldItem, PathwayRule, Progress, evaluate, held_item_from_document
from microcred.pathways.holdings import ects_text
from microcred.services._support import UUIDField
from microcred.services.access import Permission, Principal, Role, require
from microcred.services.audit import record_audit
from microcred.services.issuance import IssuanceService, IssuedCredential, IssueRequest
from microcred.storage import UnitOfWork, UnitOfWorkFactory
from microcred.storage.pathway_tables import (
    AwardState,
    ExternalCredential,
    Pathway,
    PathwayAward,
    RecognitionOutcome,
)
from microcred.storage.repositories.pathways import PathwayRepository
from microcred.verification.report import VerificationReport

__all__ = [
    "AwardInfo",
    "PathwayInfo",
    "PathwayInput",
    "PathwayProgress",
    "PathwayService",
    "PathwayUpdate",
    "system_principal",
]

_log = logging.getLogger(__name__)

#: the genre of the evidence entries that list an award's parts
PART_GENRE = "Pathway part"


def _text(limit: int) -> Any:
    def check(value: str) -> str:
        stripped = value.strip()
        if not stripped:
            raise ValueError("must not be empty")
        if len(stripped) > limit:
            raise ValueError(f"must be at most {limit} characters")
        return stripped

    return AfterValidator(check)


def _rule(value: object) -> object:
    return PathwayRule.from_json(value) if isinstance(value, dict) else value


Slug = Annotated[str, Field(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$")]
Name = Annotated[str, _text(300)]
Description = Annotated[str, _text(5000)]
Reason = Annotated[str, _text(1000)]
RuleField = Annotated[PathwayRule, BeforeValidator(_rule)]


class PathwayInput(StrictModel):
    """A new pathway: its slug, name, target definition and rule."""

    slug: Slug
    name: Name
    description: Description | None = None
    target_definition_id: UUIDField
    rule: RuleField
    requires_approval: bool = False


class PathwayUpdate(StrictModel):
    """Changes to a pathway (fields left out keep their value)."""

    name: Name | None = None
    description: Description | None = None
    target_definition_id: UUIDField | None = None
    rule: RuleField | None = None
    requires_approval: bool | None = None
    active: bool | None = None


@dataclass(frozen=True)
class PathwayInfo:
    id: uuid.UUID
    issuer_id: uuid.UUID
    slug: str
    name: str
    description: str | None
    target_definition_id: uuid.UUID
    rule: PathwayRule
    requires_approval: bool
    active: bool
    created_at: datetime
    updated_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "issuerId": str(self.issuer_id),
            "slug": self.slug,
            "name": self.name,
            "description": self.description,
            "targetDefinitionId": str(self.target_definition_id),
            "rule": self.rule.to_json(),
            "requiresApproval": self.requires_approval,
            "active": self.active,
            "createdAt": self.created_at.isoformat(),
            "updatedAt": self.updated_at.isoformat() if self.updated_at else None,
        }


@dataclass(frozen=True)
class AwardInfo:
    id: uuid.UUID
    issuer_id: uuid.UUID
    pathway_id: uuid.UUID
    learner_id: uuid.UUID
    state: AwardState
    parts: list[dict[str, Any]]
    credential_id: uuid.UUID | None
    created_at: datetime
    decided_at: datetime | None
    note: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "issuerId": str(self.issuer_id),
            "pathwayId": str(self.pathway_id),
            "learnerId": str(self.learner_id),
            "state": self.state.value,
            "parts": self.parts,
            "credentialId": str(self.credential_id) if self.credential_id else None,
            "createdAt": self.created_at.isoformat(),
            "decidedAt": self.decided_at.isoformat() if self.decided_at else None,
            "note": self.note,
        }


@dataclass(frozen=True)
class PathwayProgress:
    """One pathway and how far the learner is on it (and the award, once there is one)."""

    pathway: PathwayInfo
    progress: Progress
    award: AwardInfo | None

    def to_json(self) -> dict[str, Any]:
        return {
            "pathway": {
                "id": str(self.pathway.id),
                "slug": self.pathway.slug,
                "name": self.pathway.name,
            },
            "progress": self.progress.to_json(),
            "award": self.award.to_json() if self.award else None,
        }


def system_principal(issuer_id: uuid.UUID, label: str) -> Principal:
    """The actor of automatic awards: no user, a registrar's permissions at one issuer."""
    return Principal(user_id=None, label=label, roles={issuer_id: Role.REGISTRAR})


def pathway_info(row: Pathway) -> PathwayInfo:
    return PathwayInfo(
        id=row.id,
        issuer_id=row.issuer_id,
        slug=row.slug,
        name=row.name,
        description=row.description,
        target_definition_id=row.target_definition_id,
        rule=PathwayRule.from_json(row.rule),
        requires_approval=row.requires_approval,
        active=row.active,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def award_info(row: PathwayAward) -> AwardInfo:
    return AwardInfo(
        id=row.id,
        issuer_id=row.issuer_id,
        pathway_id=row.pathway_id,
        learner_id=row.learner_id,
        state=row.state,
        parts=list(row.parts),
        credential_id=row.credential_id,
        created_at=row.created_at,
        decided_at=row.decided_at,
        note=row.note,
    )


def _earned_at(document: Mapping[str, Any], fallback: datetime) -> datetime:
    for key in ("validFrom", "issuanceDate"):
        value = document.get(key)
        if isinstance(value, str):
            try:
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
            if moment.utcoffset() is not None:
                return moment
    return fallback


def _external_ref(row: ExternalCredential) -> str:
    return f"urn:uuid:{row.id}"


class PathwayService:
    """Pathways of an issuer, learner progress, evaluation and awards (see the module)."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        issuance: IssuanceService,
        *,
        verify: Callable[[dict[str, Any]], VerificationReport] | None = None,
    ) -> None:
        self._uow = uow
        self._issuance = issuance
        self._verify = verify

    def _repo(self, tx: UnitOfWork) -> PathwayRepository:
        return PathwayRepository(tx.session, self._uow.clock)

    # ------------------------------------------------------------------ pathways

    def create(self, principal: Principal, issuer_id: uuid.UUID, data: PathwayInput) -> PathwayInfo:
        require(principal, issuer_id, Permission.PATHWAY_EDIT)
        with self._uow() as tx:
            tx.issuers.get(issuer_id)
            self._check_rule(tx, issuer_id, data.target_definition_id, data.rule)
            repo = self._repo(tx)
            if repo.find_pathway_by_slug(issuer_id, data.slug) is not None:
                raise Conflict(f"a pathway with the slug {data.slug!r} exists already")
            row = repo.add_pathway(
                Pathway(
                    issuer_id=issuer_id,
                    slug=data.slug,
                    name=data.name,
                    description=data.description,
                    target_definition_id=data.target_definition_id,
                    rule=data.rule.to_json(),
                    requires_approval=data.requires_approval,
                )
            )
            record_audit(
                tx,
                principal,
                "pathway.create",
                issuer_id=issuer_id,
                target_type="pathway",
                target_id=row.id,
                details={"slug": row.slug, "target": str(row.target_definition_id)},
            )
            info = pathway_info(row)
            tx.commit()
        return info

    def update(
        self, principal: Principal, issuer_id: uuid.UUID, pathway_id: uuid.UUID, data: PathwayUpdate
    ) -> PathwayInfo:
        require(principal, issuer_id, Permission.PATHWAY_EDIT)
        with self._uow() as tx:
            repo = self._repo(tx)
            row = repo.get_pathway(issuer_id, pathway_id)
            target = data.target_definition_id or row.target_definition_id
            rule = data.rule or PathwayRule.from_json(row.rule)
            self._check_rule(tx, issuer_id, target, rule)
            changes: dict[str, Any] = {}
            for name in data.model_fields_set:
                value = getattr(data, name)
                if value is None and name != "description":
                    continue
                changes[name] = value.to_json() if isinstance(value, PathwayRule) else value
            row = repo.update_pathway(issuer_id, pathway_id, changes)
            record_audit(
                tx,
                principal,
                "pathway.update",
                issuer_id=issuer_id,
                target_type="pathway",
                target_id=row.id,
                details={"changed": sorted(changes)},
            )
            info = pathway_info(row)
            tx.commit()
        return info

    def get(self, principal: Principal, issuer_id: uuid.UUID, pathway_id: uuid.UUID) -> PathwayInfo:
        require(principal, issuer_id, Permission.DEFINITION_READ)
        with self._uow(read_only=True) as tx:
            return pathway_info(self._repo(tx).get_pathway(issuer_id, pathway_id))

    def find_by_slug(self, principal: Principal, issuer_id: uuid.UUID, slug: str) -> PathwayInfo:
        require(principal, issuer_id, Permission.DEFINITION_READ)
        with self._uow(read_only=True) as tx:
            row = self._repo(tx).find_pathway_by_slug(issuer_id, slug)
            if row is None:
                raise NotFound(f"no pathway with the slug {slug!r}")
            return pathway_info(row)

    def list_pathways(self, principal: Principal, issuer_id: uuid.UUID) -> list[PathwayInfo]:
        require(principal, issuer_id, Permission.DEFINITION_READ)
        with self._uow(read_only=True) as tx:
            tx.issuers.get(issuer_id)
            return [pathway_info(row) for row in self._repo(tx).list_pathways(issuer_id)]

    @staticmethod
    def _check_rule(
        tx: UnitOfWork, issuer_id: uuid.UUID, target: uuid.UUID, rule: PathwayRule
    ) -> None:
        tx.definitions.get(issuer_id, target)  # NotFound for another issuer's definition
        own = rule.own_definition_ids()
        if target in own:
            raise InvalidInput("the target definition cannot also be one of the pathway's parts")
        for definition_id in own:
            try:
                tx.definitions.get(issuer_id, definition_id)
            except MicrocredError:
                raise InvalidInput(
                    f"part definition {definition_id} is not a definition of this issuer"
                ) from None

    # ------------------------------------------------------------------ progress

    def held_items(
        self, tx: UnitOfWork, issuer_id: uuid.UUID, learner_id: uuid.UUID
    ) -> list[tuple[HeldItem, uuid.UUID | None]]:
        """What the learner holds, each with the pathway it is restricted to (or ``None``)."""
        repo = self._repo(tx)
        items: list[tuple[HeldItem, uuid.UUID | None]] = []
        for credential, definition_id in repo.learner_credentials(issuer_id, learner_id):
            if credential.replaced_by_id is not None:
                continue
            items.append(
                (
                    held_item_from_document(
                        credential.document,
                        ref=credential.credential_uri,
                        kind="own",
                        awarded_at=credential.issued_at,
                        definition_id=definition_id,
                    ),
                    None,
                )
            )
        decided: set[uuid.UUID] = set()
        for decision, external in repo.decisions_for_learner(issuer_id, learner_id):
            decided.add(external.id)
            if decision.outcome != RecognitionOutcome.RECOGNISED or not external.verified:
                continue
            items.append(
                (
                    held_item_from_document(
                        external.document,
                        ref=_external_ref(external),
                        kind="recognition",
                        awarded_at=_earned_at(external.document, external.imported_at),
                        ects=decision.ects,
                    ),
                    decision.pathway_id,
                )
            )
        for external in repo.list_externals(issuer_id, learner_id=learner_id, limit=1000):
            if external.id in decided or not external.verified:
                continue
            items.append(
                (
                    held_item_from_document(
                        external.document,
                        ref=_external_ref(external),
                        kind="external",
                        awarded_at=_earned_at(external.document, external.imported_at),
                    ),
                    None,
                )
            )
        return items

    @staticmethod
    def _for(
        pathway_id: uuid.UUID, items: list[tuple[HeldItem, uuid.UUID | None]]
    ) -> list[HeldItem]:
        return [item for item, only in items if only is None or only == pathway_id]

    def learner_progress(
        self, issuer_id: uuid.UUID, learner_id: uuid.UUID
    ) -> list[PathwayProgress]:
        """Progress on every active pathway, without an access check: for the learner's own
        wallet (the caller has checked the wallet session) and the checked methods below."""
        with self._uow(read_only=True) as tx:
            tx.learners.get(issuer_id, learner_id)
            repo = self._repo(tx)
            items = self.held_items(tx, issuer_id, learner_id)
            result = []
            for row in repo.list_pathways(issuer_id, active_only=True):
                info = pathway_info(row)
                award = repo.award_for(issuer_id, row.id, learner_id)
                result.append(
                    PathwayProgress(
                        pathway=info,
                        progress=evaluate(info.rule, self._for(row.id, items)),
                        award=award_info(award) if award else None,
                    )
                )
            return result

    def progress(
        self, principal: Principal, issuer_id: uuid.UUID, learner_id: uuid.UUID
    ) -> list[PathwayProgress]:
        """The learner's progress on every active pathway (``learner:read``)."""
        require(principal, issuer_id, Permission.LEARNER_READ)
        return self.learner_progress(issuer_id, learner_id)

    # ------------------------------------------------------------------ evaluation and awards

    def evaluate_learner(
        self, principal: Principal, issuer_id: uuid.UUID, learner_id: uuid.UUID
    ) -> list[AwardInfo]:
        """Evaluate every active pathway for the learner now (``credential:issue``); the
        awards created by this call (issued, or pending approval)."""
        require(principal, issuer_id, Permission.CREDENTIAL_ISSUE)
        return self._evaluate(issuer_id, learner_id)

    def after_issue(self, issued: IssuedCredential) -> None:
        """The issuance hook: evaluate the learner of a newly issued credential. Errors are
        logged, never raised (the credential is already issued)."""
        if issued.learner_id is None or issued.replayed:
            return
        self.after_change(issued.issuer_id, issued.learner_id)

    def after_change(self, issuer_id: uuid.UUID, learner_id: uuid.UUID) -> list[AwardInfo]:
        """Evaluate the learner after what they hold changed (an issuance, a recognition);
        the awards created. Errors are logged, never raised: the change itself is done."""
        try:
            return self._evaluate(issuer_id, learner_id)
        except MicrocredError as exc:
            _log.warning("pathway evaluation of learner %s failed: %s", learner_id, exc.detail)
            return []

    def _evaluate(self, issuer_id: uuid.UUID, learner_id: uuid.UUID) -> list[AwardInfo]:
        created: list[AwardInfo] = []
        for _ in range(10):  # an award may complete another pathway; bounded
            awards, retry = self._evaluate_once(issuer_id, learner_id)
            created.extend(awards)
            if not awards and not retry:
                break
        return created

    def _evaluate_once(
        self, issuer_id: uuid.UUID, learner_id: uuid.UUID
    ) -> tuple[list[AwardInfo], bool]:
        """One pass: award at most one pathway; ``retry`` when an external credential failed
        its re-verification (the learner is evaluated again without it)."""
        with self._uow() as tx:
            repo = self._repo(tx)
            tx.learners.get(issuer_id, learner_id)
            items = self.held_items(tx, issuer_id, learner_id)
            for row in repo.list_pathways(issuer_id, active_only=True):
                if repo.award_for(issuer_id, row.id, learner_id) is not None:
                    continue
                rule = PathwayRule.from_json(row.rule)
                progress = evaluate(rule, self._for(row.id, items))
                if not progress.met:
                    continue
                if not self._still_verify(tx, repo, issuer_id, progress):
                    tx.commit()
                    return [], True
                award = self._award(tx, repo, row, learner_id, progress)
                tx.commit()
                return [award], False
        return [], False

    def _still_verify(
        self, tx: UnitOfWork, repo: PathwayRepository, issuer_id: uuid.UUID, progress: Progress
    ) -> bool:
        if self._verify is None:
            return True
        ok = True
        for item in progress.used:
            if item.kind == "own":
                continue
            external = repo.get_external(issuer_id, uuid.UUID(item.ref.removeprefix("urn:uuid:")))
            report = self._verify(dict(external.document))
            if not report.verified:
                external.verified = False
                external.report = report.to_json()
                record_audit(
                    tx,
                    None,
                    "recognition.reverify_failed",
                    issuer_id=issuer_id,
                    target_type="external_credential",
                    target_id=external.id,
                )
                ok = False
        if not ok:
            tx.session.flush()
        return ok

    def _award(
        self,
        tx: UnitOfWork,
        repo: PathwayRepository,
        pathway: Pathway,
        learner_id: uuid.UUID,
        progress: Progress,
    ) -> AwardInfo:
        parts = [
            {
                "key": part.key,
                "label": part.label,
                "ref": part.item.ref,
                "kind": part.item.kind,
                "name": part.item.name,
                "ects": ects_text(part.item.ects) if part.item.ects is not None else None,
            }
            for part in progress.parts
            if part.item is not None
        ]
        state = AwardState.PENDING if pathway.requires_approval else AwardState.ISSUED
        award, created = repo.add_award(
            PathwayAward(
                issuer_id=pathway.issuer_id,
                pathway_id=pathway.id,
                learner_id=learner_id,
                state=AwardState.PENDING,
                parts=parts,
            )
        )
        if not created:
            return award_info(award)
        actor = system_principal(pathway.issuer_id, f"pathway:{pathway.slug}")
        if state is AwardState.ISSUED:
            try:
                with tx.session.begin_nested():
                    issued = self._issue_award(tx, actor, pathway, award)
            except (InvalidInput, Conflict) as exc:
                if exc.extra.get("retryable"):
                    raise
                # e.g. the target has no published version: a registrar sees it pending
                state = AwardState.PENDING
                award.note = f"not issued automatically: {exc.detail}"[:1000]
                tx.session.flush()
            else:
                repo.settle_award(award, AwardState.ISSUED, credential_id=issued.id)
        record_audit(
            tx,
            actor,
            "pathway.award" if state is AwardState.ISSUED else "pathway.award_pending",
            issuer_id=pathway.issuer_id,
            target_type="pathway_award",
            target_id=award.id,
            details={"pathway": pathway.slug, "learner": str(learner_id), "parts": len(parts)},
        )
        return award_info(award)

    def _issue_award(
        self, tx: UnitOfWork, actor: Principal, pathway: Pathway, award: PathwayAward
    ) -> IssuedCredential:
        evidence = [
            Evidence(
                id=part["ref"],
                name=part["name"],
                narrative=f"Part '{part['label']}' of the pathway '{pathway.name}'"
                + (f" ({part['ects']} ECTS)" if part.get("ects") else "")
                + (", recognised prior learning" if part["kind"] == "recognition" else "")
                + ".",
                genre=PART_GENRE,
            )
            for part in award.parts
        ]
        request = IssueRequest(
            definition_id=pathway.target_definition_id,
            learner_id=award.learner_id,
            evidence=evidence,
            idempotency_key=f"pathway:{pathway.id}:{award.learner_id}",
        )
        return self._issuance.issue_in(tx, actor, pathway.issuer_id, request)

    def list_awards(
        self,
        principal: Principal,
        issuer_id: uuid.UUID,
        *,
        state: Literal["pending", "issued", "rejected"] | None = None,
        learner_id: uuid.UUID | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[AwardInfo]:
        require(principal, issuer_id, Permission.CREDENTIAL_READ)
        with self._uow(read_only=True) as tx:
            tx.issuers.get(issuer_id)
            rows = self._repo(tx).list_awards(
                issuer_id,
                state=AwardState(state) if state else None,
                learner_id=learner_id,
                limit=limit,
                offset=offset,
            )
            return [award_info(row) for row in rows]

    def approve_award(
        self, principal: Principal, issuer_id: uuid.UUID, award_id: uuid.UUID
    ) -> AwardInfo:
        """Issue a pending award (``credential:issue``); Conflict unless it is pending."""
        require(principal, issuer_id, Permission.CREDENTIAL_ISSUE)
        with self._uow() as tx:
            repo = self._repo(tx)
            award = repo.get_award(issuer_id, award_id)
            if award.state is not AwardState.PENDING:
                raise Conflict(f"this award is {award.state.value}, not pending")
            pathway = repo.get_pathway(issuer_id, award.pathway_id)
            issued = self._issue_award(tx, principal, pathway, award)
            repo.settle_award(
                award, AwardState.ISSUED, credential_id=issued.id, decided_by=principal.user_id
            )
            record_audit(
                tx,
                principal,
                "pathway.award_approve",
                issuer_id=issuer_id,
                target_type="pathway_award",
                target_id=award.id,
                details={"pathway": pathway.slug, "credential": issued.credential_uri},
            )
            info = award_info(award)
            tx.commit()
        return info

    def reject_award(
        self, principal: Principal, issuer_id: uuid.UUID, award_id: uuid.UUID, reason: str
    ) -> AwardInfo:
        """Refuse a pending award with a reason (``credential:issue``). The learner is not
        awarded this pathway again by later evaluations (the award row stays)."""
        require(principal, issuer_id, Permission.CREDENTIAL_ISSUE)
        text = reason.strip()
        if not text or len(text) > 1000:
            raise InvalidInput("give a reason of 1 to 1000 characters")
        with self._uow() as tx:
            repo = self._repo(tx)
            award = repo.get_award(issuer_id, award_id)
            if award.state is not AwardState.PENDING:
                raise Conflict(f"this award is {award.state.value}, not pending")
            repo.settle_award(award, AwardState.REJECTED, decided_by=principal.user_id, note=text)
            record_audit(
                tx,
                principal,
                "pathway.award_reject",
                issuer_id=issuer_id,
                target_type="pathway_award",
                target_id=award.id,
                details={"reason": text},
            )
            info = award_info(award)
            tx.commit()
        return info
