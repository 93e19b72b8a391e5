"""Shared inputs for the verification unit tests."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from microcred.verification.checks.base import CheckContext

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
CONTEXT = CheckContext(NOW)
STANDARDS = Path(__file__).resolve().parents[3] / ".." / "shared" / "standards"


EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"


def examples_context() -> dict[str, Any]:
    """The W3C examples context the vc-di-eddsa vectors use (microcred does not ship it)."""
    path = STANDARDS / "contexts" / "credentials-examples-v2.jsonld"
    return {EXAMPLES_V2: json.loads(path.read_text())} if path.exists() else {}


def standards_file(relative: str) -> Path:
    path = STANDARDS / relative
    if not path.exists():
        pytest.skip(f"{relative} is not available (../shared/standards is absent)")
    return path


_BADGE: dict[str, Any] = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ],
    "id": "urn:uuid:8f5e2a54-1b3c-4d5e-9f60-718293a4b5c6",
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "issuer": {
        "id": "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
        "type": ["Profile"],
        "name": "Example University",
    },
    "validFrom": "2026-01-15T09:00:00Z",
    "name": "Data Literacy",
    "credentialSubject": {
        "id": "did:example:learner-42",
        "type": ["AchievementSubject"],
        "achievement": {
            "id": "https://example.edu/achievements/data-literacy",
            "type": ["Achievement"],
            "name": "Data Literacy",
            "description": "Reads, cleans and charts tabular data.",
            "criteria": {"narrative": "Passed the final assessment."},
        },
    },
    "proof": {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": "2026-01-15T09:00:00Z",
        "verificationMethod": "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
        "#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
        "proofPurpose": "assertionMethod",
        "proofValue": "z3",
    },
}


def badge(**changes: Any) -> dict[str, Any]:
    """A structurally valid Open Badges 3.0 credential (the proof value is fake)."""
    doc = copy.deepcopy(_BADGE)
    for key, value in changes.items():
        if value is None:
            doc.pop(key, None)
        else:
            doc[key] = value
    return doc
