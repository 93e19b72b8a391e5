"""Helpers for the CLI tests: environment, runner, inputs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from microcred.cli.main import app
from microcred.definition.compose import compose_credential
from microcred.did.key import did_key_from_public, did_key_verification_method
from microcred.jsonld.static_loader import StaticDocumentLoader
from microcred.keys.ed25519 import Ed25519KeyPair
from microcred.model.openbadges import Achievement, Criteria, Profile
from microcred.proof.data_integrity import add_proof
from microcred.proof.options import ProofOptions
from microcred.wiring import build_registry

KEK = "a1" * 32
STANDARDS = Path(__file__).resolve().parents[3] / ".." / "shared" / "standards"
RDFC = "vc-di-eddsa/TestVectors/eddsa-rdfc-2022/signedDataInt.json"
JCS = "vc-di-eddsa/TestVectors/eddsa-jcs-2022/signedJCS.json"
LEGACY = "vc-di-eddsa/TestVectors/Ed25519Signature2020/signedEdSig.json"


EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"


def examples_flag() -> list[str]:
    """``--context`` for the W3C examples context the vc-di-eddsa vectors use."""
    path = standard("contexts/credentials-examples-v2.jsonld")
    return ["--context", f"{EXAMPLES_V2}={path}"]


def standard(relative: str) -> Path:
    path = STANDARDS / relative
    if not path.exists():
        pytest.skip("../shared/standards is not available")
    return path.resolve()


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def invoke(*args: str, input: str | bytes | None = None) -> Result:
    result = CliRunner().invoke(app, list(args), input=input)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Result(result.exit_code, result.stdout, result.stderr)


def unsigned_badge(issuer: str) -> dict[str, Any]:
    achievement = Achievement(
        id="https://example.edu/achievements/data-literacy",
        name="Data Literacy",
        description="Reads, cleans and charts tabular data.",
        criteria=Criteria(narrative="Passed the final assessment."),
    )
    profile = Profile(id=issuer, name="Example University")
    return compose_credential(
        achievement,
        "did:example:learner-42",
        profile,
        credential_id="urn:uuid:8f5e2a54-1b3c-4d5e-9f60-718293a4b5c6",
        valid_from=datetime(2026, 1, 15, 9, 0, tzinfo=UTC),
    )


#: A fixed test key: credentials it signs are the same bytes on every run.
ISSUER_KEY = Ed25519KeyPair.from_seed(bytes(range(100, 132)))
ISSUER_DID = did_key_from_public(ISSUER_KEY.public_bytes)
SIGNED_AT = datetime(2026, 1, 10, 8, 30, tzinfo=UTC)


def signed_badge(suite: str = "eddsa-rdfc-2022") -> dict[str, Any]:
    """:func:`unsigned_badge` issued by :data:`ISSUER_KEY`'s did:key and signed by it.

    The issuer controls the key, so this credential fully verifies (valid from
    15 January 2026, no expiry), unlike the W3C vectors.
    """
    method = did_key_verification_method(ISSUER_KEY.public_bytes)
    options = ProofOptions(cryptosuite=suite, verification_method=method, created=SIGNED_AT)
    registry = build_registry(StaticDocumentLoader.bundled())
    return add_proof(
        unsigned_badge(ISSUER_DID), registry.get(suite), options, ISSUER_KEY.signer(method)
    )
