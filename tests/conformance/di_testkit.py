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


_CONTEXT_FILES = {
    "https://www.w3.org/ns/credentials/v2": "credentials-v2.jsonld",
    "https://www.w3.org/ns/credentials/examples/v2": "credentials-examples-v2.jsonld",
    "https://www.w3.org/2018/credentials/v1": "credentials-v1.jsonld",
    "https://w3id.org/security/data-integrity/v2": "data-integrity-v2.jsonld",
    "https://w3id.org/security/multikey/v1": "multikey-v1.jsonld",
    "https://w3id.org/security/suites/ed25519-2020/v1": "ed25519-signature-2020-v1.jsonld",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": "ob-v3p0-context-3.0.3.json",
    "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json": "clr-v2p0-context-2.0.1.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json": "ob-v3p0-extensions.json",
}


def standin_loader(url: str, options: Any = None) -> dict[str, Any]:
    name = _CONTEXT_FILES.get(url)
    if name is None:
        from microcred.errors import UnknownContextError

        raise UnknownContextError(f"unknown context {url}")
    document = read_json(STANDARDS / "contexts" / name)
    return {"contextUrl": None, "documentUrl": url, "document": document}


def standin_canonize(document: Any, loader: Any, *, safe: bool = True) -> str:
    from pyld import jsonld

    from microcred.errors import JsonLdError

    try:
        return str(
            jsonld.normalize(
                dict(document),
                {
                    "algorithm": "URDNA2015",
                    "format": "application/n-quads",
                    "documentLoader": loader,
                },
            )
        )
    except jsonld.JsonLdError as exc:
        raise JsonLdError(str(exc)) from exc


def jsonld_tools() -> tuple[Any, Any]:
    """(loader, canonize): the real jsonld package when present, else a stand-in."""
    try:
        from microcred.jsonld.processing import canonize
        from microcred.jsonld.static_loader import StaticDocumentLoader
    except ImportError:
        return standin_loader, standin_canonize
    return StaticDocumentLoader.bundled(), canonize
