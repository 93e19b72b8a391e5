"""A small world for the web page tests (integration and browser): the real platform on a
SQLite file, one issuer with a published definition, learners with credentials and their
claim links. Names can be hostile (``<script>``, quotes, right-to-left text) to check that
pages show them as text.

Imported by ``tests/integration/web`` and ``tests/browser`` (a uniquely named module).
"""

from __future__ import annotations

import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from microcred.clock import Clock
from microcred.definition.samples import sample_achievement
from microcred.services.access import Principal, Role
from microcred.services.definitions import AchievementInput, DefinitionInput
from microcred.services.identity import Argon2Parameters, PasswordHashing
from microcred.services.issuance import IssuedCredential, IssueRequest, LearnerInput
from microcred.services.platform import Platform, build_platform
from microcred.services.schemas_identity import IssuerCreate, IssuerInfo
from microcred.settings import load_settings
from microcred.storage import User, migrate

OPERATOR = Principal(user_id=None, label="operator", is_operator=True)
FAST = Argon2Parameters(time_cost=1, memory_cost=64, parallelism=1)
HOSTILE_NAME = "<script>alert('x')</script> Zoë \"Quotes\" O'Neil שלום"
HOSTILE_TITLE = '<img src=x onerror=alert(1)> Data & "Ethics" — أخلاقيات البيانات'
_TEMPLATES: dict[str, Path] = {}


def migrated_sqlite(directory: Path) -> str:
    """A migrated SQLite database in ``directory`` (copied from one migrated per process)."""
    template = _TEMPLATES.get("db")
    if template is None or not template.exists():
        template = directory.parent / f"template-{secrets.token_hex(4)}.db"
        migrate(f"sqlite:///{template}")
        _TEMPLATES["db"] = template
    path = directory / "microcred.db"
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


@dataclass
class World:
    platform: Platform
    issuer: IssuerInfo
    admin: Principal
    definition_id: Any
    credentials: dict[str, IssuedCredential] = field(default_factory=dict)

    def token(self, key: str) -> str:
        claim_url = self.credentials[key].claim_url
        assert claim_url is not None
        return claim_url.rsplit("/", 1)[1]

    def issue(self, key: str, name: str, email: str, external_id: str) -> IssuedCredential:
        issued = self.platform.issuance.issue(
            self.admin,
            self.issuer.id,
            IssueRequest(
                definition_id=self.definition_id,
                learner=LearnerInput(name=name, email=email, external_id=external_id),
            ),
        )
        self.credentials[key] = issued
        return issued


def make_world(
    home: Path,
    *,
    base_url: str,
    clock: Clock | None = None,
    allow_network: bool = False,
    title: str | None = None,
    issuer_name: str = "University of Zed",
    image_uri: str | None = None,
    logo_uri: str | None = None,
) -> World:
    """The platform with issuer ``zed``, a published definition and two learners' credentials
    (``ana``: plain names; ``eve``: hostile names)."""
    settings = load_settings(
        home=home,
        database_url=migrated_sqlite(home / "db"),
        base_url=base_url,
        kek=secrets.token_hex(32),
        database_pool_size=4,
        database_max_overflow=4,
    )
    platform = build_platform(
        settings,
        clock=clock,
        passwords=PasswordHashing(FAST),
        allow_network=allow_network,
        migrate_database=False,
    )
    try:
        issuer = platform.issuers.create_issuer(
            OPERATOR,
            IssuerCreate.from_json(
                {
                    "slug": "zed",
                    "name": issuer_name,
                    "homepage": "https://uni.example",
                    "countryCode": "IE",
                    "regionCode": "IE-D",
                    **({"logoUri": logo_uri} if logo_uri else {}),
                }
            ),
        )
        with platform.uow() as tx:
            user = tx.users.add(User(email="admin@zed.example", password_hash="unused"))
            tx.memberships.grant(issuer.id, user.id, Role.ADMIN)
            tx.commit()
        admin = Principal(user_id=user.id, label="admin", roles={issuer.id: Role.ADMIN})
        achievement = sample_achievement(awarding_body=issuer.did).to_json()
        achievement.pop("id", None)
        if title is not None:
            achievement["name"] = title
        if image_uri is not None:
            achievement["image"] = {"id": image_uri, "type": "Image", "caption": "Our own badge"}
        definition = platform.definitions.create(
            admin,
            issuer.id,
            DefinitionInput(
                slug="digital-content", achievement=AchievementInput.from_json(achievement)
            ),
        )
        platform.definitions.submit_for_review(admin, issuer.id, definition.id)
        platform.definitions.approve_and_publish(admin, issuer.id, definition.id)
        world = World(platform, issuer, admin, definition.id)
        world.issue("ana", "Ana López", "ana@student.example", "s-1")
        world.issue("eve", HOSTILE_NAME, "eve@student.example", "s-2")
        return world
    except BaseException:
        platform.close()
        raise
