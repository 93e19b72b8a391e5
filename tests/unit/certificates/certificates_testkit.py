"""A signed Open Badges 3.0 credential (did:key, every EU element) for the certificate tests."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from typing import Any

import pytest

from microcred.clock import FixedClock
from microcred.definition.compose import compose_credential
from microcred.definition.samples import sample_achievement, sample_issuer
from microcred.did.key import did_key_from_public, did_key_verification_method
from microcred.keys.ed25519 import Ed25519KeyPair
from microcred.proof.data_integrity import add_proof
from microcred.proof.options import ProofOptions
from microcred.wiring import Engine, build_engine

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
KEY = Ed25519KeyPair.from_seed(bytes(range(32)))
ISSUER_DID = did_key_from_public(KEY.public_bytes)
VM = did_key_verification_method(KEY.public_bytes)


def engine() -> Engine:
    return build_engine(allow_network=False, clock=FixedClock(NOW))


def signed_credential(engine: Engine, *, name: str | None = None) -> dict[str, Any]:
    achievement = sample_achievement(awarding_body=ISSUER_DID)
    if name is not None:
        achievement = achievement.model_copy(update={"name": name})
    unsigned = compose_credential(
        achievement,
        "did:example:learner-42",
        sample_issuer(ISSUER_DID),
        credential_id="urn:uuid:8f5e2a54-1b3c-4d5e-9f60-718293a4b5c6",
        valid_from=datetime(2026, 1, 15, 9, 0, tzinfo=UTC),
    )
    options = ProofOptions(
        cryptosuite="eddsa-rdfc-2022",
        verification_method=VM,
        created=datetime(2026, 1, 15, 9, 0, tzinfo=UTC),
    )
    return add_proof(unsigned, engine.registry.get("eddsa-rdfc-2022"), options, KEY.signer(VM))


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (Debian: poppler-utils / zbar-tools; see .ci/run)")
    return path
