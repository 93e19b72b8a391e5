"""Micro-credential definitions: design, review, publish, retire — one version at a time.

A definition is an Open Badges 3.0 ``Achievement`` (:class:`microcred.model.Achievement`)
carrying the European standard elements (:class:`microcred.model.EUStandardElements`, Council
Recommendation 2022/C 243/02, Annex I) as typed fields. Its content lives in numbered versions::

    draft ──submit_for_review──▶ in_review ──approve_and_publish──▶ published ──retire──▶ retired
      ▲                              │
      └──────request_changes─────────┘

* Designers (``definition:edit``) create, edit drafts and submit them; reviewers (admins,
  ``definition:review``) request changes, approve-and-publish and retire.
* Publishing is refused with :class:`~microcred.errors.InvalidInput` while a mandatory EU
  element is missing (:func:`microcred.model.compliance_report`, in words a designer
  understands); the error lists the missing elements.
* A version that left ``draft`` never changes again. Editing a published (or retired)
  definition starts the next version as a draft; credentials keep pointing at the exact version
  they were issued from.
* Each version's achievement has a stable id,
  ``<base_url>/issuers/<issuer-slug>/achievements/<definition-slug>/v<version>``.
"""

from __future__ import annotations

import builtins
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator

from microcred.errors import Conflict, InvalidInput, NotFound
from microcred.model import Achievement, ComplianceReport, StrictModel, compliance_report
from microcred.model.types import URI
from microcred.services._support import issuer_profile
from microcred.services.access import Permission, Principal, require
from microcred.services.audit import record_audit
from microcred.storage import (
    Definition,
    DefinitionState,
    DefinitionVersion,
    Issuer,
    UnitOfWork,
    UnitOfWorkFactory,
)
from microcred.storage.repositories.definitions import ALLOWED_TRANSITIONS

__all__ = [
    "AchievementInput",
    "DefinitionInfo",
    "DefinitionInput",
    "DefinitionService",
    "DefinitionUpdate",
    "DefinitionVersionInfo",
    "achievement_id",
]

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$")
_D = DefinitionState


def _check_slug(value: str) -> str:
    if not _SLUG.match(value) or "--" in value:
        raise ValueError(
            f"{value[:120]!r} is not a valid short name: use 1-100 lower-case letters, digits "
            "and single hyphens, starting and ending with a letter or digit "
            "(e.g. 'data-literacy')"
        )
    return value


#: The short name of a definition: part of its achievement URL, never changes.
Slug = Annotated[str, AfterValidator(_check_slug)]


def achievement_id(base_url: str, issuer_slug: str, definition_slug: str, version: int) -> str:
    """The stable URL naming one version of a definition (the OB ``Achievement.id``)."""
    base = base_url.rstrip("/")
    return f"{base}/issuers/{issuer_slug}/achievements/{definition_slug}/v{version}"


# --------------------------------------------------------------------------- inputs


class AchievementInput(Achievement):
    """The ``Achievement`` of a definition as a designer writes it.

    Every Open Badges ``Achievement`` field and the ``euStandardElements`` are accepted and
    validated exactly as :class:`~microcred.model.Achievement` does (strict types, unknown
    properties refused). ``id`` may be left out: the platform assigns each version its stable
    URL. An ``id`` that is given must be one of this definition's own achievement URLs (so an
    achievement read back from the API can be edited and sent again).
    """

    id: URI | None = None  # type: ignore[assignment]


class DefinitionInput(StrictModel):
    """A new definition: its short name (``slug``, fixed for good) and its achievement."""

    slug: Slug
    achievement: AchievementInput


class DefinitionUpdate(StrictModel):
    """New content for a definition (replaces the draft, or starts the next version)."""

    achievement: AchievementInput


# --------------------------------------------------------------------------- outputs


@dataclass(frozen=True)
class DefinitionVersionInfo:
    """One version of a definition, with its validated achievement."""

    id: uuid.UUID
    definition_id: uuid.UUID
    issuer_id: uuid.UUID
    slug: str
    version: int
    state: DefinitionState
    achievement: Achievement
    created_by: uuid.UUID | None
    created_at: datetime
    submitted_at: datetime | None
    published_by: uuid.UUID | None
    published_at: datetime | None
    retired_at: datetime | None

    @property
    def achievement_id(self) -> str:
        return self.achievement.id

    @property
    def editable(self) -> bool:
        """Only a draft can change; any other version is frozen."""
        return self.state is _D.DRAFT

    @property
    def issuable(self) -> bool:
        """Credentials are issued only from published versions."""
        return self.state is _D.PUBLISHED

    def to_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "definitionId": str(self.definition_id),
            "slug": self.slug,
            "version": self.version,
            "state": self.state.value,
            "achievement": self.achievement.to_json(),
            "createdAt": _iso(self.created_at),
            "submittedAt": _iso(self.submitted_at),
            "publishedAt": _iso(self.published_at),
            "retiredAt": _iso(self.retired_at),
        }


@dataclass(frozen=True)
class DefinitionInfo:
    """A definition with its newest version (``latest``) and newest published version number."""

    id: uuid.UUID
    issuer_id: uuid.UUID
    slug: str
    state: DefinitionState
    latest_version: int
    published_version: int | None
    created_at: datetime
    updated_at: datetime | None
    latest: DefinitionVersionInfo

    @property
    def name(self) -> str:
        return self.latest.achievement.name

    def to_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "slug": self.slug,
            "name": self.name,
            "state": self.state.value,
            "latestVersion": self.latest_version,
            "publishedVersion": self.published_version,
            "createdAt": _iso(self.created_at),
            "updatedAt": _iso(self.updated_at),
            "latest": self.latest.to_json(),
        }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _version_info(row: DefinitionVersion, slug: str) -> DefinitionVersionInfo:
    return DefinitionVersionInfo(
        id=row.id,
        definition_id=row.definition_id,
        issuer_id=row.issuer_id,
        slug=slug,
        version=row.version,
        state=DefinitionState(row.state),
        achievement=Achievement.from_json(row.achievement),
        created_by=row.created_by,
        created_at=row.created_at,
        submitted_at=row.submitted_at,
        published_by=row.published_by,
        published_at=row.published_at,
        retired_at=row.retired_at,
    )


def _state_words(state: DefinitionState) -> str:
    return state.value.replace("_", " ")


# --------------------------------------------------------------------------- the service


class DefinitionService:
    """Use cases of micro-credential definitions; each method is one transaction.

    ``uow`` builds units of work (its clock stamps every change); ``base_url`` is the public URL
    of the platform (``settings.base_url``), the root of every achievement id.
    """

    def __init__(self, uow: UnitOfWorkFactory, *, base_url: str) -> None:
        self._uow = uow
        self._base_url = base_url.rstrip("/")

    # ------------------------------------------------------------------ designing

    def create(
        self, principal: Principal, issuer_id: uuid.UUID, data: DefinitionInput
    ) -> DefinitionInfo:
        """Create a definition with version 1 as a draft."""
        require(principal, issuer_id, Permission.DEFINITION_EDIT)
        with self._uow() as tx:
            issuer = tx.issuers.get(issuer_id)
            if tx.definitions.find_by_slug(issuer_id, data.slug) is not None:
                raise Conflict(
                    f"a definition with the short name {data.slug!r} already exists; "
                    "choose another one or edit that definition",
                    constraint="uq_definitions_issuer_id_slug",
                )
            content = self._content(issuer, data.slug, 1, data.achievement, previous_ids=())
            definition, version = tx.definitions.add(
                issuer_id, data.slug, content, created_by=principal.user_id
            )
            record_audit(
                tx,
                principal,
                "definition.create",
                issuer_id=issuer_id,
                target_type="definition",
                target_id=definition.id,
                details={"slug": data.slug, "version": 1},
            )
            info = self._info(tx, definition)
            tx.commit()
        return info

    def update_draft(
        self,
        principal: Principal,
        issuer_id: uuid.UUID,
        definition_id: uuid.UUID,
        data: DefinitionUpdate,
    ) -> DefinitionVersionInfo:
        """Change the definition's content.

        The newest version is a draft: it is replaced. It is published or retired: the content
        becomes the next version, a new draft (the published one stays as it was). It is in
        review: :class:`Conflict` — a reviewer must request changes first.
        """
        require(principal, issuer_id, Permission.DEFINITION_EDIT)
        with self._uow() as tx:
            issuer = tx.issuers.get(issuer_id)
            definition = tx.definitions.get(issuer_id, definition_id)
            newest = tx.definitions.get_version_by_number(
                issuer_id, definition_id, definition.latest_version
            )
            state = DefinitionState(newest.state)
            if state is _D.IN_REVIEW:
                raise Conflict(
                    f"version {newest.version} is in review and cannot be edited; a reviewer "
                    "can send it back to draft (request changes)"
                )
            number = newest.version if state is _D.DRAFT else newest.version + 1
            content = self._content(
                issuer,
                definition.slug,
                number,
                data.achievement,
                previous_ids=range(1, number + 1),
            )
            if state is _D.DRAFT:
                row = tx.definitions.update_draft(issuer_id, newest.id, content)
                action = "definition.update_draft"
            else:
                row = tx.definitions.add_version(
                    issuer_id, definition_id, content, created_by=principal.user_id
                )
                action = "definition.new_version"
            record_audit(
                tx,
                principal,
                action,
                issuer_id=issuer_id,
                target_type="definition_version",
                target_id=row.id,
                details={"definition": str(definition_id), "version": row.version},
            )
            info = _version_info(row, definition.slug)
            tx.commit()
        return info

    def submit_for_review(
        self,
        principal: Principal,
        issuer_id: uuid.UUID,
        definition_id: uuid.UUID,
        version: int | None = None,
    ) -> DefinitionVersionInfo:
        """Send a draft (default: the newest version) to review."""
        require(principal, issuer_id, Permission.DEFINITION_EDIT)
        return self._move(
            principal, issuer_id, definition_id, version, _D.IN_REVIEW, "definition.submit"
        )

    # ------------------------------------------------------------------ reviewing

    def request_changes(
        self,
        principal: Principal,
        issuer_id: uuid.UUID,
        definition_id: uuid.UUID,
        version: int | None = None,
        *,
        comment: str | None = None,
    ) -> DefinitionVersionInfo:
        """Send a version in review back to draft, optionally saying what to change."""
        require(principal, issuer_id, Permission.DEFINITION_REVIEW)
        if comment is not None and len(comment) > 2000:
            raise InvalidInput("the review comment is longer than 2,000 characters")
        return self._move(
            principal,
            issuer_id,
            definition_id,
            version,
            _D.DRAFT,
            "definition.request_changes",
            details={"comment": comment} if comment else None,
        )

    def approve_and_publish(
        self,
        principal: Principal,
        issuer_id: uuid.UUID,
        definition_id: uuid.UUID,
        version: int | None = None,
    ) -> DefinitionVersionInfo:
        """Publish a version in review (default: the newest), after the compliance gate.

        :class:`InvalidInput` while a mandatory EU standard element is missing: ``detail`` says
        which, ``extra["missing"]`` lists them (``elementId``, ``element``, ``message``).
        """
        require(principal, issuer_id, Permission.DEFINITION_REVIEW)
        return self._move(
            principal, issuer_id, definition_id, version, _D.PUBLISHED, "definition.publish"
        )

    def retire(
        self,
        principal: Principal,
        issuer_id: uuid.UUID,
        definition_id: uuid.UUID,
        version: int | None = None,
    ) -> DefinitionVersionInfo:
        """Stop issuing a published version (default: the newest published one).

        Credentials already issued from it stay valid and keep pointing at it.
        """
        require(principal, issuer_id, Permission.DEFINITION_REVIEW)
        return self._move(
            principal, issuer_id, definition_id, version, _D.RETIRED, "definition.retire"
        )

    # ------------------------------------------------------------------ reading

    def get(
        self, principal: Principal, issuer_id: uuid.UUID, definition_id: uuid.UUID
    ) -> DefinitionInfo:
        require(principal, issuer_id, Permission.DEFINITION_READ)
        with self._uow(read_only=True) as tx:
            return self._info(tx, tx.definitions.get(issuer_id, definition_id))

    def find_by_slug(self, principal: Principal, issuer_id: uuid.UUID, slug: str) -> DefinitionInfo:
        """The definition with this short name (:class:`NotFound` if there is none)."""
        require(principal, issuer_id, Permission.DEFINITION_READ)
        with self._uow(read_only=True) as tx:
            definition = tx.definitions.find_by_slug(issuer_id, slug)
            if definition is None:
                raise NotFound(f"no definition with the short name {slug[:100]!r}")
            return self._info(tx, definition)

    def get_version(
        self,
        principal: Principal,
        issuer_id: uuid.UUID,
        definition_id: uuid.UUID,
        version: int | None = None,
    ) -> DefinitionVersionInfo:
        """One version (default: the newest)."""
        require(principal, issuer_id, Permission.DEFINITION_READ)
        with self._uow(read_only=True) as tx:
            definition = tx.definitions.get(issuer_id, definition_id)
            row = self._version(tx, definition, version)
            return _version_info(row, definition.slug)

    def versions(
        self, principal: Principal, issuer_id: uuid.UUID, definition_id: uuid.UUID
    ) -> builtins.list[DefinitionVersionInfo]:
        """Every version, oldest first."""
        require(principal, issuer_id, Permission.DEFINITION_READ)
        with self._uow(read_only=True) as tx:
            definition = tx.definitions.get(issuer_id, definition_id)
            return [
                _version_info(row, definition.slug)
                for row in tx.definitions.list_versions(issuer_id, definition_id)
            ]

    def compliance(
        self,
        principal: Principal,
        issuer_id: uuid.UUID,
        definition_id: uuid.UUID,
        version: int | None = None,
    ) -> ComplianceReport:
        """The EU standard elements report of a version (default: the newest)."""
        require(principal, issuer_id, Permission.DEFINITION_READ)
        with self._uow(read_only=True) as tx:
            issuer = tx.issuers.get(issuer_id)
            definition = tx.definitions.get(issuer_id, definition_id)
            row = self._version(tx, definition, version)
            return compliance_report(Achievement.from_json(row.achievement), issuer_profile(issuer))

    def list(
        self,
        principal: Principal,
        issuer_id: uuid.UUID,
        *,
        state: DefinitionState | None = None,
    ) -> builtins.list[DefinitionInfo]:
        """The issuer's definitions by short name; ``state`` filters on the definition state
        (``published`` while any version is published, else the newest version's state)."""
        require(principal, issuer_id, Permission.DEFINITION_READ)
        with self._uow(read_only=True) as tx:
            return [
                self._info(tx, definition)
                for definition in tx.definitions.list_for_issuer(issuer_id, state=state)
            ]

    # ------------------------------------------------------------------ internals

    def _content(
        self,
        issuer: Issuer,
        slug: str,
        number: int,
        achievement: AchievementInput,
        *,
        previous_ids: range | tuple[int, ...],
    ) -> dict[str, Any]:
        """The stored achievement JSON of version ``number``, with its platform id."""
        own_id = achievement_id(self._base_url, issuer.slug, slug, number)
        given = achievement.id
        if given is not None and given != own_id:
            allowed = {achievement_id(self._base_url, issuer.slug, slug, n) for n in previous_ids}
            if given not in allowed:
                raise InvalidInput(
                    f"achievement.id {given[:200]!r} is not an id of this definition; leave it "
                    f"out and the platform assigns {own_id}",
                    errors=[{"path": "achievement.id", "message": "not this definition's id"}],
                )
        content = achievement.to_json()
        content["id"] = own_id
        # Validate as the real model (the id is now set) and store its canonical JSON.
        return Achievement.from_json(content).to_json()

    @staticmethod
    def _version(tx: UnitOfWork, definition: Definition, version: int | None) -> DefinitionVersion:
        number = definition.latest_version if version is None else version
        return tx.definitions.get_version_by_number(definition.issuer_id, definition.id, number)

    def _move(
        self,
        principal: Principal,
        issuer_id: uuid.UUID,
        definition_id: uuid.UUID,
        version: int | None,
        target: DefinitionState,
        action: str,
        *,
        details: dict[str, Any] | None = None,
    ) -> DefinitionVersionInfo:
        with self._uow() as tx:
            definition = tx.definitions.get(issuer_id, definition_id)
            if version is None and target is _D.RETIRED:
                row = tx.definitions.find_latest_published(issuer_id, definition_id)
                if row is None:
                    raise Conflict("no version of this definition is published, so none to retire")
            else:
                row = self._version(tx, definition, version)
            current = DefinitionState(row.state)
            if target not in ALLOWED_TRANSITIONS[current]:
                raise Conflict(_refusal(row.version, current, target))
            if target is _D.PUBLISHED:
                issuer = tx.issuers.get(issuer_id)
                report = compliance_report(
                    Achievement.from_json(row.achievement), issuer_profile(issuer)
                )
                if not report.compliant:
                    missing = [f for f in report.findings if f.blocking]
                    raise InvalidInput(
                        f"version {row.version} cannot be published: "
                        + " ".join(f.message for f in missing),
                        missing=[
                            {"elementId": f.element_id, "element": f.element, "message": f.message}
                            for f in missing
                        ],
                    )
                row = tx.definitions.publish(issuer_id, row.id, published_by=principal.user_id)
            elif target is _D.IN_REVIEW:
                row = tx.definitions.submit_for_review(issuer_id, row.id)
            elif target is _D.DRAFT:
                row = tx.definitions.return_to_draft(issuer_id, row.id)
            else:
                row = tx.definitions.retire(issuer_id, row.id)
            record_audit(
                tx,
                principal,
                action,
                issuer_id=issuer_id,
                target_type="definition_version",
                target_id=row.id,
                details={
                    "definition": str(definition_id),
                    "version": row.version,
                    **(details or {}),
                },
            )
            info = _version_info(row, definition.slug)
            tx.commit()
        return info

    def _info(self, tx: UnitOfWork, definition: Definition) -> DefinitionInfo:
        latest = tx.definitions.get_version_by_number(
            definition.issuer_id, definition.id, definition.latest_version
        )
        published = tx.definitions.find_latest_published(definition.issuer_id, definition.id)
        return DefinitionInfo(
            id=definition.id,
            issuer_id=definition.issuer_id,
            slug=definition.slug,
            state=DefinitionState(definition.state),
            latest_version=definition.latest_version,
            published_version=published.version if published else None,
            created_at=definition.created_at,
            updated_at=definition.updated_at,
            latest=_version_info(latest, definition.slug),
        )


def _refusal(number: int, current: DefinitionState, target: DefinitionState) -> str:
    hints = {
        _D.IN_REVIEW: "only a draft can be submitted for review",
        _D.DRAFT: "only a version in review can be sent back to draft",
        _D.PUBLISHED: "only a version in review can be published; submit it for review first",
        _D.RETIRED: "only a published version can be retired",
    }
    return f"version {number} is {_state_words(current)}: {hints[target]}"
