"""Helpers for the pathway and recognition tests (a uniquely named module).

``PathwayWorld`` builds, on the issuance ``Kit`` (issuers alpha and beta on one platform):
two published micro-credentials of alpha (``python``, ``sql``), alpha's target award
(``data-analyst``), a recognition definition, and a published ``statistics`` definition at beta
whose credentials are *external* to alpha (they verify: beta's did:web is hosted here).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from issuance_testkit import Kit

from microcred.services.definitions import DefinitionInfo
from microcred.services.issuance import IssuedCredential, LearnerInput
from microcred.services.pathways import PathwayInfo, PathwayInput


@dataclass
class PathwayWorld:
    kit: Kit
    python: DefinitionInfo
    sql: DefinitionInfo
    target: DefinitionInfo
    recognition: DefinitionInfo
    statistics: DefinitionInfo

    def achievement_id(self, definition: DefinitionInfo) -> str:
        return definition.latest.achievement_id

    def rule(self, **extra: Any) -> dict[str, Any]:
        rule: dict[str, Any] = {
            "parts": [
                {"key": "python", "label": "Python", "definitionId": str(self.python.id)},
                {"key": "sql", "label": "SQL", "definitionId": str(self.sql.id)},
                {
                    "key": "stats",
                    "label": "Statistics (any issuer)",
                    "achievementId": self.achievement_id(self.statistics),
                },
            ]
        }
        rule.update(extra)
        return rule

    def pathway(self, slug: str = "analyst", **fields: Any) -> PathwayInfo:
        rule = fields.pop("rule", None) or self.rule()
        data = {
            "slug": slug,
            "name": "Data analyst",
            "targetDefinitionId": str(self.target.id),
            "rule": rule,
        }
        data.update(fields)
        return self.kit.platform.pathways.create(
            self.kit.designer, self.kit.issuer.id, PathwayInput.from_json(data)
        )

    def learner(self, external_id: str = "s-1", name: str = "Ana López") -> uuid.UUID:
        info = self.kit.issuance.upsert_learner(
            self.kit.registrar,
            self.kit.issuer.id,
            LearnerInput(
                name=name, email=f"{external_id}@student.example.org", external_id=external_id
            ),
        )
        return info.id

    def issue(self, definition: DefinitionInfo, learner_id: uuid.UUID) -> IssuedCredential:
        request = self.kit.request(definition)
        request = request.model_copy(update={"learner": None, "learner_id": learner_id})
        return self.kit.issuance.issue(self.kit.registrar, self.kit.issuer.id, request)

    def external_statistics(self, external_id: str = "b-1") -> dict[str, Any]:
        """A statistics credential beta issued to its own learner (external to alpha)."""
        issued = self.kit.issuance.issue(
            self.kit.other_admin,
            self.kit.other_issuer.id,
            self.kit.request(
                self.statistics,
                learner={
                    "name": "Ana López",
                    "email": "ana@beta.example.org",
                    "externalId": external_id,
                },
            ),
        )
        return dict(issued.document)


def build_pathway_world(kit: Kit) -> PathwayWorld:
    return PathwayWorld(
        kit=kit,
        python=kit.published("python", title="Python for Data Analysis"),
        sql=kit.published("sql", title="SQL for Analysts"),
        target=kit.published("data-analyst", title="Data Analyst (stacked award)"),
        recognition=kit.published("recognition", title="Recognition of Prior Learning"),
        statistics=kit.published("statistics", other=True, title="Applied Statistics"),
    )
