"""Real signed credentials and status lists for the status unit tests (no database).

An issuer with a fixed did:key, credentials composed by ``definition.compose`` and signed with
eddsa-rdfc-2022 through ``proof.data_integrity.add_proof``, status lists built by
``status.credentials`` and signed the same way, and a verifier from ``wiring.build_engine``
whose ``status`` family is the real :class:`StatusCheck`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from microcred.clock import FixedClock
from microcred.definition import compose_credential
from microcred.definition.samples import sample_achievement, sample_issuer
from microcred.did.key import did_key_from_public
from microcred.errors import StatusError
from microcred.keys.ed25519 import Ed25519KeyPair
from microcred.proof.data_integrity import add_proof
from microcred.proof.options import ProofOptions
from microcred.status.bitstring import StatusBitstring
from microcred.status.credentials import build_status_list_credential
from microcred.status.fetchers import retrieval_error
from microcred.status.lists import status_list_entry
from microcred.status.protocols import FetchedStatusList, StatusListFetcher
from microcred.verification.checks.status import StatusCheck
from microcred.verification.verifier import Verifier
from microcred.wiring import Engine, build_engine

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
LIST_TIME = datetime(2026, 3, 9, 8, 15, tzinfo=UTC)
ISSUED = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
LISTS = "https://credentials.example.edu/status/alpha"


class Issuer:
    """A did:key issuer that signs with eddsa-rdfc-2022."""

    def __init__(self, seed: int, engine: Engine) -> None:
        self.keys = Ed25519KeyPair.from_seed(bytes([seed]) * 32)
        self.did = did_key_from_public(self.keys.public_bytes)
        self.vm = f"{self.did}#{self.keys.public_key_multibase}"
        self.engine = engine

    def sign(self, document: Mapping[str, Any], created: datetime = ISSUED) -> dict[str, Any]:
        suite = self.engine.registry.get("eddsa-rdfc-2022")
        options = ProofOptions(cryptosuite=suite.name, verification_method=self.vm, created=created)
        return add_proof(document, suite, options, self.keys.signer(self.vm))

    def credential(self, *entries: dict[str, Any]) -> dict[str, Any]:
        unsigned = compose_credential(
            sample_achievement(awarding_body=self.did),
            "did:example:learner-42",
            sample_issuer(self.did),
            credential_id="urn:uuid:7c2d6b4e-1f0a-4e8b-9d3c-5a6b7c8d9e0f",
            valid_from=ISSUED,
            credential_status=list(entries) or None,
        )
        return self.sign(unsigned)

    def status_list(
        self,
        url: str,
        purpose: str = "revocation",
        *,
        set_indexes: tuple[int, ...] = (),
        entries: int = 131_072,
        valid_from: datetime = LIST_TIME,
        valid_until: datetime | None = None,
        signed: bool = True,
        ttl_ms: int | None = None,
    ) -> dict[str, Any]:
        bits = StatusBitstring(entries=entries)
        for index in set_indexes:
            bits.set(index)
        unsigned = build_status_list_credential(
            url=url,
            issuer=self.did,
            purpose=purpose,
            encoded_list=bits.encode(),
            valid_from=valid_from,
            valid_until=valid_until,
            ttl_ms=ttl_ms,
        )
        return self.sign(unsigned, created=valid_from) if signed else unsigned


def entry(purpose: str, index: int, number: int = 1) -> dict[str, Any]:
    return status_list_entry(f"{LISTS}/{purpose}/{number}", purpose, index)


@dataclass
class DictFetcher:
    """Serves documents from a dict; counts fetches; unknown URLs are retrieval errors."""

    documents: dict[str, Any] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def fetch(self, url: str) -> FetchedStatusList:
        self.calls.append(url)
        if url not in self.documents:
            raise retrieval_error(url, "the server answered HTTP 404", "http-status")
        return FetchedStatusList(url=url, document=self.documents[url])


@dataclass
class World:
    engine: Engine
    verifier: Verifier
    check: StatusCheck
    fetcher: DictFetcher
    issuer: Issuer
    other: Issuer


def build_world(
    now: datetime = NOW, fetcher: StatusListFetcher | None = None, **check_options: Any
) -> World:
    lists = DictFetcher()
    holder: dict[str, Verifier] = {}
    check = StatusCheck(
        fetcher if fetcher is not None else lists,
        list_verifier=lambda document: holder["verifier"].verify_credential(document),
        **check_options,
    )
    engine = build_engine(allow_network=False, clock=FixedClock(now), extra_checks=[check])
    holder["verifier"] = engine.verifier
    return World(
        engine=engine,
        verifier=engine.verifier,
        check=check,
        fetcher=lists,
        issuer=Issuer(1, engine),
        other=Issuer(2, engine),
    )


__all__ = ["LISTS", "NOW", "DictFetcher", "Issuer", "StatusError", "World", "build_world", "entry"]
