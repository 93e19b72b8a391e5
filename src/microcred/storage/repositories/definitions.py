"""Micro-credential definitions and their numbered versions.

Lifecycle of a version::

    draft ──submit──▶ in_review ──publish──▶ published ──retire──▶ retired
      ▲                   │
      └───return_to_draft─┘

Only a ``draft`` version's content can change. A published version is immutable: editing a
published definition means :meth:`DefinitionRepository.add_version` (a new draft with the next
number), and credentials keep pointing at the version they were issued from. Besides the checks
here, a mapper-level guard refuses to flush a content change to any non-draft version, whoever
makes it.

``Definition.state`` summarises the versions: ``published`` while any version is published
(something can be issued), else the state of the newest version.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapper

from microcred.errors import Conflict, NotFound
from microcred.storage.repositories._base import Repository
from microcred.storage.tables import Definition, DefinitionState, DefinitionVersion

__all__ = ["ALLOWED_TRANSITIONS", "DefinitionRepository"]

_D = DefinitionState

#: state -> states it may move to
ALLOWED_TRANSITIONS: dict[DefinitionState, frozenset[DefinitionState]] = {
    _D.DRAFT: frozenset({_D.IN_REVIEW}),
    _D.IN_REVIEW: frozenset({_D.DRAFT, _D.PUBLISHED}),
    _D.PUBLISHED: frozenset({_D.RETIRED}),
    _D.RETIRED: frozenset(),
}

_FROZEN_COLUMNS = ("achievement", "version", "definition_id", "issuer_id")


class DefinitionRepository(Repository):
    # ------------------------------------------------------------------ definitions

    def add(
        self,
        issuer_id: uuid.UUID,
        slug: str,
        achievement: dict[str, Any],
        *,
        created_by: uuid.UUID | None = None,
    ) -> tuple[Definition, DefinitionVersion]:
        """Create a definition with its first version (a draft numbered 1)."""
        definition = Definition(issuer_id=issuer_id, slug=slug, latest_version=1)
        definition.created_at = self._now()
        self._insert(definition, "definition")
        version = DefinitionVersion(
            definition_id=definition.id,
            issuer_id=issuer_id,
            version=1,
            achievement=achievement,
            created_by=created_by,
        )
        version.created_at = definition.created_at
        self._insert(version, "definition version")
        return definition, version

    def get(self, issuer_id: uuid.UUID, definition_id: uuid.UUID) -> Definition:
        definition = self._session.scalar(
            select(Definition).where(
                Definition.id == definition_id, Definition.issuer_id == issuer_id
            )
        )
        if definition is None:
            raise NotFound(f"definition {definition_id} not found")
        return definition

    def find_by_slug(self, issuer_id: uuid.UUID, slug: str) -> Definition | None:
        return self._session.scalar(
            select(Definition).where(Definition.issuer_id == issuer_id, Definition.slug == slug)
        )

    def list_for_issuer(
        self, issuer_id: uuid.UUID, *, state: DefinitionState | None = None
    ) -> list[Definition]:
        query = select(Definition).where(Definition.issuer_id == issuer_id)
        if state is not None:
            query = query.where(Definition.state == state)
        return list(self._session.scalars(query.order_by(Definition.slug)))

    # ------------------------------------------------------------------ versions

    def add_version(
        self,
        issuer_id: uuid.UUID,
        definition_id: uuid.UUID,
        achievement: dict[str, Any],
        *,
        created_by: uuid.UUID | None = None,
    ) -> DefinitionVersion:
        """Start the next version as a draft.

        :class:`Conflict` while the newest version is still a draft or in review: finish (or
        edit) that one first, so there is one open draft at a time.
        """
        definition = self.get(issuer_id, definition_id)
        newest = self.get_version_by_number(issuer_id, definition_id, definition.latest_version)
        if newest.state in (_D.DRAFT, _D.IN_REVIEW):
            raise Conflict(
                f"version {newest.version} is still {newest.state.value.replace('_', ' ')}; "
                "edit or publish it before starting another version"
            )
        version = DefinitionVersion(
            definition_id=definition.id,
            issuer_id=issuer_id,
            version=definition.latest_version + 1,
            achievement=achievement,
            created_by=created_by,
        )
        version.created_at = self._now()
        self._insert(version, "definition version")
        definition.latest_version = version.version
        definition.updated_at = version.created_at
        self._refresh_state(definition)
        return version

    def get_version(self, issuer_id: uuid.UUID, version_id: uuid.UUID) -> DefinitionVersion:
        version = self._session.scalar(
            select(DefinitionVersion).where(
                DefinitionVersion.id == version_id, DefinitionVersion.issuer_id == issuer_id
            )
        )
        if version is None:
            raise NotFound(f"definition version {version_id} not found")
        return version

    def get_version_by_number(
        self, issuer_id: uuid.UUID, definition_id: uuid.UUID, number: int
    ) -> DefinitionVersion:
        version = self._session.scalar(
            select(DefinitionVersion).where(
                DefinitionVersion.issuer_id == issuer_id,
                DefinitionVersion.definition_id == definition_id,
                DefinitionVersion.version == number,
            )
        )
        if version is None:
            raise NotFound(f"version {number} of definition {definition_id} not found")
        return version

    def list_versions(
        self, issuer_id: uuid.UUID, definition_id: uuid.UUID
    ) -> list[DefinitionVersion]:
        query = (
            select(DefinitionVersion)
            .where(
                DefinitionVersion.issuer_id == issuer_id,
                DefinitionVersion.definition_id == definition_id,
            )
            .order_by(DefinitionVersion.version)
        )
        return list(self._session.scalars(query))

    def find_latest_published(
        self, issuer_id: uuid.UUID, definition_id: uuid.UUID
    ) -> DefinitionVersion | None:
        """The newest published version: the one new credentials are issued from."""
        query = (
            select(DefinitionVersion)
            .where(
                DefinitionVersion.issuer_id == issuer_id,
                DefinitionVersion.definition_id == definition_id,
                DefinitionVersion.state == _D.PUBLISHED,
            )
            .order_by(DefinitionVersion.version.desc())
            .limit(1)
        )
        return self._session.scalar(query)

    def update_draft(
        self, issuer_id: uuid.UUID, version_id: uuid.UUID, achievement: dict[str, Any]
    ) -> DefinitionVersion:
        """Replace the content of a draft. Any other state is a :class:`Conflict`."""
        version = self.get_version(issuer_id, version_id)
        if version.state is not _D.DRAFT:
            raise Conflict(
                f"version {version.version} is {version.state.value.replace('_', ' ')} and "
                "can no longer be edited; start a new version instead"
            )
        version.achievement = achievement
        self._flush("definition version")
        return version

    # ------------------------------------------------------------------ lifecycle

    def submit_for_review(self, issuer_id: uuid.UUID, version_id: uuid.UUID) -> DefinitionVersion:
        version = self._transition(issuer_id, version_id, _D.IN_REVIEW)
        version.submitted_at = self._now()
        self._flush("definition version")
        return version

    def return_to_draft(self, issuer_id: uuid.UUID, version_id: uuid.UUID) -> DefinitionVersion:
        return self._transition(issuer_id, version_id, _D.DRAFT)

    def publish(
        self,
        issuer_id: uuid.UUID,
        version_id: uuid.UUID,
        *,
        published_by: uuid.UUID | None = None,
    ) -> DefinitionVersion:
        version = self._transition(issuer_id, version_id, _D.PUBLISHED)
        version.published_at = self._now()
        version.published_by = published_by
        self._flush("definition version")
        return version

    def retire(self, issuer_id: uuid.UUID, version_id: uuid.UUID) -> DefinitionVersion:
        version = self._transition(issuer_id, version_id, _D.RETIRED)
        version.retired_at = self._now()
        self._flush("definition version")
        return version

    def _transition(
        self, issuer_id: uuid.UUID, version_id: uuid.UUID, target: DefinitionState
    ) -> DefinitionVersion:
        version = self.get_version(issuer_id, version_id)
        if target not in ALLOWED_TRANSITIONS[version.state]:
            raise Conflict(
                f"version {version.version} is {version.state.value.replace('_', ' ')}; "
                f"it cannot become {target.value.replace('_', ' ')}"
            )
        version.state = target
        definition = self.get(issuer_id, version.definition_id)
        definition.updated_at = self._now()
        self._flush("definition version")
        self._refresh_state(definition)
        return version

    def _refresh_state(self, definition: Definition) -> None:
        published = self._session.scalar(
            select(func.count())
            .select_from(DefinitionVersion)
            .where(
                DefinitionVersion.definition_id == definition.id,
                DefinitionVersion.state == _D.PUBLISHED,
            )
        )
        if published:
            definition.state = _D.PUBLISHED
        else:
            newest = self._session.scalar(
                select(DefinitionVersion.state).where(
                    DefinitionVersion.definition_id == definition.id,
                    DefinitionVersion.version == definition.latest_version,
                )
            )
            definition.state = newest if newest is not None else _D.DRAFT
        self._flush("definition")


# ---------------------------------------------------------------------- flush-time guard


def _original_state(target: DefinitionVersion) -> DefinitionState:
    history = sa_inspect(target).attrs.state.history
    if history.deleted:
        return DefinitionState(history.deleted[0])
    return target.state


@event.listens_for(DefinitionVersion, "before_update")
def _refuse_changes_to_frozen_versions(
    _mapper: Mapper[DefinitionVersion], _connection: Connection, target: DefinitionVersion
) -> None:
    if _original_state(target) is _D.DRAFT:
        return
    attrs = sa_inspect(target).attrs
    changed = [name for name in _FROZEN_COLUMNS if attrs[name].history.has_changes()]
    if changed:
        raise Conflict(
            f"version {target.version} is no longer a draft; its content cannot change "
            f"({', '.join(changed)})"
        )


@event.listens_for(DefinitionVersion, "before_delete")
def _refuse_deleting_used_versions(
    _mapper: Mapper[DefinitionVersion], _connection: Connection, target: DefinitionVersion
) -> None:
    if _original_state(target) is not _D.DRAFT:
        raise Conflict(f"version {target.version} is no longer a draft and cannot be deleted")
