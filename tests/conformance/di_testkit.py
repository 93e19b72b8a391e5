"""Shared helpers for the Data Integrity conformance tests (vc-di-eddsa, Open Badges)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from microcred.did.dereference import VerificationMethod, VerificationMethodResolver
from microcred.did.key import DidKeyResolver
from microcred.did.resolver import CompositeResolver

STANDARDS = Path(__file__).resolve().parents[2].parent / "shared" / "standards"
VECTORS = STANDARDS / "vc-di-eddsa" / "TestVectors"
OB_VECTORS = STANDARDS / "openbadges" / "test-vectors"


def require_standards() -> None:
    if not VECTORS.is_dir():
        pytest.skip("../shared/standards is not available")


def read_text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def read_json(path: Path) -> Any:
    return json.loads(read_text(path))


def did_key_methods() -> VerificationMethodResolver:
    """The real verification method resolver, resolving did:key only."""
    return VerificationMethodResolver(CompositeResolver({"key": DidKeyResolver()}))


def static_methods(methods: dict[str, VerificationMethod]) -> VerificationMethodResolver:
    """The real verification method resolver over keys supplied out of band."""
    return VerificationMethodResolver(None, static_methods=methods)


EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"


def jsonld_tools() -> tuple[Any, Any]:
    """(loader, canonize): the bundled contexts plus the VC examples context the W3C
    vectors use (an example vocabulary, deliberately not shipped with the package)."""
    from microcred.jsonld.processing import canonize
    from microcred.jsonld.static_loader import StaticDocumentLoader

    examples = read_json(STANDARDS / "contexts" / "credentials-examples-v2.jsonld")
    return StaticDocumentLoader.bundled().with_documents({EXAMPLES_V2: examples}), canonize
