"""Helpers for the definition, issuance and mail service tests (a uniquely named module).

``Kit`` builds the definition and issuance services on the database under test (SQLite or
PostgreSQL, from the shared fixtures) with the real credential engine (bundled contexts,
eddsa-rdfc-2022 / eddsa-jcs-2022, the real Verifier). Issuers and their keys are created through
the storage repositories and an encrypted FileKeyStore by ``StandInIssuers``, which offers the
two things issuance needs from ``IssuerService`` (``signer_for_issuer`` and
``hosted_did_resolver``) exactly as docs/service-contracts.md describes them.
"""

from __future__ import annotations

import copy
import secrets
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from storage_helpers import StepClock

from microcred.definition.samples import sample_achievement
from microcred.did.protocols import DIDDocument
from microcred.did.resolver import HostedDIDResolver
from microcred.did.web import DidWebKey, build_did_web_document
from microcred.issuance import IssuancePipeline
from microcred.keys.file_store import FileKeyStore
from microcred.keys.protocols import Signer
from microcred.services.access import Principal, Role
from microcred.services.definitions import (
    DefinitionInfo,
    DefinitionInput,
    DefinitionService,
)
from microcred.services.issuance import IssuanceService, IssueRequest, LearnerInput
from microcred.storage import (
    DidMethod,
    Issuer,
    IssuerKey,
    UnitOfWorkFactory,
    User,
)
from microcred.wiring import Engine, build_engine

BASE_URL = "https://credentials.example.edu"
HOST = "credentials.example.edu"
GRADE = "https://uni.example/achievements/digital-content-creation#grade"


class StandInIssuers:
    """Issuers with did:web DIDs hosted by the platform and Ed25519 keys in a FileKeyStore."""

    def __init__(self, uow: UnitOfWorkFactory, key_store: FileKeyStore) -> None:
        self._uow = uow
        self._keys = key_store

    def create(self, slug: str, name: str, *, country: str | None = "IE") -> Issuer:
        did = f"did:web:{HOST}:issuers:{slug}"
        key_id = f"{slug}-{secrets.token_hex(4)}"
        public = self._keys.create(key_id)
        with self._uow() as tx:
            issuer = tx.issuers.add(
                Issuer(
                    slug=slug,
                    name=name,
                    did_method=DidMethod.WEB,
                    did=did,
                    homepage=f"https://{slug}.example.edu",
                    email=f"credentials@{slug}.example.edu",
                    country_code=country,
                )
            )
            tx.issuers.add_key(
                IssuerKey(
                    issuer_id=issuer.id,
                    key_store_id=key_id,
                    public_key_multibase=public,
                    verification_method=f"{did}#key-1",
                )
            )
            tx.commit()
        return issuer

    @contextmanager
    def signer_for_issuer(self, issuer_id: uuid.UUID) -> Iterator[Signer]:
        with self._uow(read_only=True) as tx:
            key = tx.issuers.get_active_key(issuer_id)
        with self._keys.signer_for(key.key_store_id, key.verification_method) as signer:
            yield signer

    def hosted_did_resolver(self) -> HostedDIDResolver:
        return HostedDIDResolver(_HostedDocuments(self._uow))


class _HostedDocuments(Mapping[str, DIDDocument]):
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __getitem__(self, did: str) -> DIDDocument:
        with self._uow(read_only=True) as tx:
            issuer = tx.issuers.find_by_did(did)
            if issuer is None:
                raise KeyError(did)
            keys = tx.issuers.list_keys(issuer.id)
        current = [
            DidWebKey(k.verification_method.split("#", 1)[1], k.public_key_multibase) for k in keys
        ]
        return build_did_web_document(did, current)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def definition_json(
    issuer_did: str, *, title: str = "Digital Content Creation for Research Communication"
) -> dict[str, Any]:
    """A complete definition as a designer would send it (no id; every EU element)."""
    achievement = sample_achievement().to_json()
    del achievement["id"]
    achievement["name"] = title
    achievement["euStandardElements"]["awardingBody"] = [{"id": issuer_did, "name": "Alpha"}]
    return achievement


def incomplete_definition_json() -> dict[str, Any]:
    """A draft with only a title, a description, criteria and 60 hours of workload."""
    return {
        "name": "Spreadsheet Modelling",
        "description": "Build and check spreadsheet models for small businesses.",
        "criteria": {"narrative": "Submit a working model."},
        "euStandardElements": {"volumeOfLearning": "PT60H"},
    }


@dataclass
class Kit:
    clock: StepClock
    uow: UnitOfWorkFactory
    key_store: FileKeyStore
    issuers: StandInIssuers
    engine: Engine
    definitions: DefinitionService
    issuance: IssuanceService
    issuer: Issuer
    other_issuer: Issuer
    members: dict[Role, Principal]
    other_admin: Principal

    def principal(self, role: Role) -> Principal:
        return self.members[role]

    @property
    def admin(self) -> Principal:
        return self.members[Role.ADMIN]

    @property
    def designer(self) -> Principal:
        return self.members[Role.DESIGNER]

    @property
    def registrar(self) -> Principal:
        return self.members[Role.REGISTRAR]

    @property
    def viewer(self) -> Principal:
        return self.members[Role.VIEWER]

    def published(
        self, slug: str = "digital-content", *, other: bool = False, **kwargs: Any
    ) -> DefinitionInfo:
        """A definition with version 1 published (complete EU elements); ``other``: at the
        other issuer (whose admin designs and reviews)."""
        issuer = self.other_issuer if other else self.issuer
        designer = self.other_admin if other else self.designer
        reviewer = self.other_admin if other else self.admin
        data = DefinitionInput.from_json(
            {"slug": slug, "achievement": definition_json(issuer.did, **kwargs)}
        )
        info = self.definitions.create(designer, issuer.id, data)
        self.definitions.submit_for_review(designer, issuer.id, info.id)
        self.definitions.approve_and_publish(reviewer, issuer.id, info.id)
        return self.definitions.get(reviewer, issuer.id, info.id)

    def request(self, definition: DefinitionInfo, **fields: Any) -> IssueRequest:
        data: dict[str, Any] = {
            "definitionId": str(definition.id),
            "learner": {
                "name": "Ana López",
                "email": "ana.lopez@student.example.org",
                "externalId": "s-1001",
            },
        }
        data.update(fields)
        return IssueRequest.from_json(copy.deepcopy(data))

    def learner(self, **fields: Any) -> LearnerInput:
        data = {"name": "Ana López", "email": "ana.lopez@student.example.org"}
        data.update(fields)
        return LearnerInput.from_json(data)

    def verify(self, document: Mapping[str, Any]) -> Any:
        return self.engine.verifier.verify_credential(dict(document))


def _user(uow: UnitOfWorkFactory, email: str) -> uuid.UUID:
    with uow() as tx:
        user = tx.users.add(User(email=email, password_hash="not-used-here"))
        tx.commit()
    return user.id


def make_kit(uow: UnitOfWorkFactory, clock: StepClock, home: Path, **service_options: Any) -> Kit:
    key_store = FileKeyStore(home / "keys", secrets.token_bytes(32))
    issuers = StandInIssuers(uow, key_store)
    issuer = issuers.create("alpha", "Alpha University")
    other = issuers.create("beta", "Beta College")
    members: dict[Role, Principal] = {}
    for role in Role:
        user_id = _user(uow, f"{role.value}@alpha.example.edu")
        with uow() as tx:
            tx.memberships.grant(issuer.id, user_id, role)
            tx.commit()
        members[role] = Principal(
            user_id=user_id, label=f"{role.value}@alpha", roles={issuer.id: role}, ip="192.0.2.10"
        )
    other_user = _user(uow, "admin@beta.example.edu")
    with uow() as tx:
        tx.memberships.grant(other.id, other_user, Role.ADMIN)
        tx.commit()
    other_admin = Principal(user_id=other_user, label="admin@beta", roles={other.id: Role.ADMIN})
    engine = build_engine(
        allow_network=False, clock=clock, web_resolver=issuers.hosted_did_resolver()
    )
    pipeline = IssuancePipeline(engine.registry, engine.loader, engine.verifier)
    definitions = DefinitionService(uow, base_url=BASE_URL)
    issuance = IssuanceService(
        uow, issuers, pipeline, engine.loader, base_url=BASE_URL, **service_options
    )
    return Kit(
        clock=clock,
        uow=uow,
        key_store=key_store,
        issuers=issuers,
        engine=engine,
        definitions=definitions,
        issuance=issuance,
        issuer=issuer,
        other_issuer=other,
        members=members,
        other_admin=other_admin,
    )


@pytest.fixture(name="kit")
def kit_fixture(uow: UnitOfWorkFactory, clock: StepClock, tmp_path: Path) -> Kit:
    """The fixture ``kit``; test modules import ``kit_fixture`` to use it."""
    return make_kit(uow, clock, tmp_path)
