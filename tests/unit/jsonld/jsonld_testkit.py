"""Shared helpers for the JSON-LD unit tests: reference data and sample documents."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from microcred.jsonld import urls
from microcred.jsonld.static_loader import StaticDocumentLoader

REPO_ROOT = Path(__file__).resolve().parents[3]
STANDARDS = REPO_ROOT.parent / "shared" / "standards"


def standards_file(relative: str) -> Path:
    """A file under ../shared/standards, or skip the test when it is not there."""
    path = STANDARDS / relative
    if not path.is_file():
        pytest.skip(f"reference data not available: {relative}")
    return path


def standards_json(relative: str) -> Any:
    return json.loads(standards_file(relative).read_bytes())


def standards_text(relative: str) -> str:
    return standards_file(relative).read_text(encoding="utf-8")


def loader_with_examples_v2() -> StaticDocumentLoader:
    """The bundled loader plus the W3C examples v2 context (not in any registry package)."""
    examples = standards_json("contexts/credentials-examples-v2.jsonld")
    return StaticDocumentLoader.bundled().with_documents({urls.VC_EXAMPLES_V2: examples})


OB_CREDENTIAL: dict[str, Any] = {
    "@context": [urls.VC_V2, urls.OB_V3P0_3_0_3],
    "id": "urn:uuid:91537dba-56cb-11ec-bf63-0242ac130002",
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "issuer": {
        "id": "https://example.edu/issuers/565049",
        "type": ["Profile"],
        "name": "Example University",
    },
    "validFrom": "2024-01-01T00:00:00Z",
    "name": "Teamwork Badge",
    "credentialSubject": {
        "id": "did:example:ebfeb1f712ebc6f1c276e12ec21",
        "type": ["AchievementSubject"],
        "achievement": {
            "id": "https://example.edu/achievements/teamwork",
            "type": ["Achievement"],
            "criteria": {"narrative": "Team members are nominated for this badge."},
            "description": "This badge recognizes teamwork.",
            "name": "Teamwork",
        },
    },
}


def ob_credential() -> dict[str, Any]:
    """A fresh copy of a small, fully defined Open Badges 3.0 credential."""
    return copy.deepcopy(OB_CREDENTIAL)
