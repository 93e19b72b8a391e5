"""The public API of ``microcred`` is pinned, lazy, and enough to sign and verify."""

from __future__ import annotations

import importlib
import subprocess
import sys
from datetime import UTC, datetime
from importlib.metadata import version

import pytest

import microcred

PUBLIC = [
    "AnchorError",
    "CheckResult",
    "ConfigError",
    "Conflict",
    "CryptosuiteRegistry",
    "Ed25519KeyPair",
    "EddsaJcs2022",
    "EddsaRdfc2022",
    "FileKeyStore",
    "InvalidInput",
    "IssuancePipeline",
    "KeyStoreError",
    "MicrocredError",
    "NotFound",
    "Outcome",
    "ProofError",
    "ProofOptions",
    "StaticDocumentLoader",
    "StatusError",
    "VerificationReport",
    "Verifier",
    "__version__",
    "add_proof",
    "build_engine",
    "compose_credential",
    "verify_proofs",
]


def test_all_is_pinned() -> None:
    assert microcred.__all__ == PUBLIC


@pytest.mark.parametrize("name", [n for n in PUBLIC if n != "__version__"])
def test_each_name_is_the_object_of_its_home_module(name: str) -> None:
    value = getattr(microcred, name)
    home = importlib.import_module(value.__module__)
    assert getattr(home, name) is value
    assert value.__name__ == name


def test_version_is_the_installed_distribution() -> None:
    assert microcred.__version__ == version("microcred")


def test_error_roots_share_the_one_tree() -> None:
    for name in ("InvalidInput", "NotFound", "Conflict", "ProofError", "KeyStoreError"):
        assert issubclass(getattr(microcred, name), microcred.MicrocredError)
    for name in ("StatusError", "AnchorError", "ConfigError"):
        assert issubclass(getattr(microcred, name), microcred.MicrocredError)


def test_unknown_names_and_dir() -> None:
    with pytest.raises(AttributeError, match="no attribute 'signer_for'"):
        microcred.signer_for  # noqa: B018
    assert set(PUBLIC) <= set(dir(microcred))


def test_star_import_gives_exactly_the_public_names() -> None:
    namespace: dict[str, object] = {}
    exec("from microcred import *", namespace)
    assert sorted(k for k in namespace if k != "__builtins__") == sorted(PUBLIC)


def test_importing_the_package_loads_no_engine_dependency() -> None:
    code = (
        "import sys, microcred, microcred.errors\n"
        "heavy = ['pyld', 'cryptography', 'pydantic', 'microcred.wiring', 'microcred.proof']\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == ""


def test_issue_and_verify_through_the_public_names() -> None:
    """The model classes come from ``microcred.model``; everything else from the top."""
    from microcred import (
        Ed25519KeyPair,
        InvalidInput,
        IssuancePipeline,
        Outcome,
        build_engine,
        compose_credential,
    )
    from microcred.model import Achievement, Profile

    engine = build_engine(allow_network=False)
    key = Ed25519KeyPair.from_seed(bytes(range(40, 72)))
    did = f"did:key:{key.public_key_multibase}"
    method = f"{did}#{key.public_key_multibase}"
    achievement = {
        "id": "https://example.edu/achievements/python",
        "type": ["Achievement"],
        "name": "Python Basics",
        "description": "Writes and tests small Python programs.",
        "criteria": {"narrative": "Passed the final project."},
    }
    unsigned = compose_credential(
        Achievement.from_json(achievement),
        "did:example:learner-9",
        Profile.from_json({"id": did, "type": ["Profile"], "name": "Example College"}),
        credential_id="urn:uuid:5d6c2a34-7e1f-4b8a-9c0d-1e2f3a4b5c6d",
        valid_from=datetime(2026, 2, 1, tzinfo=UTC),
    )
    pipeline = IssuancePipeline(engine.registry, engine.loader, engine.verifier)
    now = datetime(2026, 2, 1, 10, 0, tzinfo=UTC)
    signed = pipeline.issue(unsigned, key.signer(method), "eddsa-jcs-2022", now=now)
    report = engine.verifier.verify_credential(signed)
    assert report.verified, report.failures
    assert {c.code: c.outcome for c in report.checks}["issuer.key"] is Outcome.PASSED
    with pytest.raises(InvalidInput, match="already has a proof"):
        pipeline.issue(signed, key.signer(method), "eddsa-jcs-2022", now=now)
