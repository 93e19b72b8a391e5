"""The bundled JSON-LD contexts: content, digests and provenance.

Compares every bundled context with the reference copies in ../shared/standards/contexts/
(skipped when that folder is absent) and checks the manifest against the files.
"""

from __future__ import annotations

import fnmatch
import hashlib
import importlib.util
import json
import sys
import tomllib
from importlib import resources
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from microcred.jsonld import urls
from microcred.jsonld.static_loader import load_manifest

REPO_ROOT = Path(__file__).resolve().parents[2]
REFERENCE = REPO_ROOT.parent / "shared" / "standards" / "contexts"
CONTEXTS = Path(str(resources.files("microcred.jsonld").joinpath("contexts")))
MANIFEST: dict[str, Any] = json.loads((CONTEXTS / "manifest.json").read_bytes())
ENTRIES: list[dict[str, Any]] = MANIFEST["contexts"]
BY_URL = {entry["url"]: entry for entry in ENTRIES}

#: The digest the VC Data Model 2.0 Recommendation publishes for its base context.
VC_V2_SHA256 = "59955ced6697d61e03f2b2556febe5308ab16842846f5b586d7f1f7adec92734"

#: Bundled URL -> reference file in ../shared/standards/contexts/.
REFERENCE_FILES = {
    urls.VC_V2: "credentials-v2.jsonld",
    urls.VC_V1: "credentials-v1.jsonld",
    urls.VC_EXAMPLES_V1: "credentials-examples-v1.jsonld",
    urls.DATA_INTEGRITY_V1: "data-integrity-v1.jsonld",
    urls.DATA_INTEGRITY_V2: "data-integrity-v2.jsonld",
    urls.MULTIKEY_V1: "multikey-v1.jsonld",
    urls.DID_V1: "did-v1.jsonld",
    urls.BITSTRING_STATUS_LIST_V1: "credentials-status-v1.jsonld",
    urls.STATUS_LIST_2021_V1: "vc-status-list-2021-v1.jsonld",
    urls.ED25519_SIGNATURE_2020_V1: "ed25519-signature-2020-v1.jsonld",
    urls.OB_V3P0_3_0_3: "ob-v3p0-context-3.0.3.json",
    urls.OB_V3P0_3_0_2: "ob-v3p0-context-3.0.2.json",
    urls.OB_V3P0_3_0_1: "ob-v3p0-context-3.0.1.json",
    urls.OB_V3P0: "ob-v3p0-context.json",
    urls.OB_V3P0_EXTENSIONS: "ob-v3p0-extensions.json",
    urls.CLR_V2P0_2_0_1: "clr-v2p0-context-2.0.1.json",
}

#: Bundled files that are byte-identical to the reference (same SHA-256), not only equal
#: as JSON. The others differ in whitespace only (checked below as parsed JSON).
BYTE_IDENTICAL = {
    urls.VC_V2,
    urls.VC_V1,
    urls.DATA_INTEGRITY_V1,
    urls.DATA_INTEGRITY_V2,
    urls.MULTIKEY_V1,
    urls.DID_V1,
    urls.STATUS_LIST_2021_V1,
    urls.OB_V3P0_3_0_3,
    urls.OB_V3P0_3_0_2,
    urls.CLR_V2P0_2_0_1,
}

#: Contexts whose registry copy differs in content from the reference, with the reason.
#: tests/unit/jsonld/test_jsonld_processing.py shows the W3C Ed25519Signature2020 vector
#: still canonizes to its official N-Quads with our copy.
KNOWN_VARIANTS = {
    urls.ED25519_SIGNATURE_2020_V1: (
        "the reference is the shorter copy kept in w3c/vc-di-eddsa; every registry package "
        "ships the suite authors' context (adds @protected, id/type aliases, expires, "
        "revoked, controller, capability purposes, proof; no legacy 'signature' alias)"
    ),
}


def reference_path(name: str) -> Path:
    path = REFERENCE / name
    if not path.is_file():
        pytest.skip(f"reference context not available: {path}")
    return path


def bundled_bytes(url: str) -> bytes:
    return (CONTEXTS / BY_URL[url]["file"]).read_bytes()


# -- content against the references -------------------------------------------------------


def test_vc_v2_context_is_byte_for_byte_the_published_one() -> None:
    assert hashlib.sha256(bundled_bytes(urls.VC_V2)).hexdigest() == VC_V2_SHA256


@pytest.mark.parametrize("url", sorted(set(REFERENCE_FILES) - set(KNOWN_VARIANTS)))
def test_bundled_context_equals_the_reference(url: str) -> None:
    reference = json.loads(reference_path(REFERENCE_FILES[url]).read_bytes())
    assert json.loads(bundled_bytes(url)) == reference


@pytest.mark.parametrize("url", sorted(BYTE_IDENTICAL))
def test_bundled_context_is_byte_identical_to_the_reference(url: str) -> None:
    reference = reference_path(REFERENCE_FILES[url]).read_bytes()
    assert hashlib.sha256(bundled_bytes(url)).hexdigest() == hashlib.sha256(reference).hexdigest()


@pytest.mark.parametrize("url", sorted(KNOWN_VARIANTS))
def test_known_variants_still_differ(url: str) -> None:
    """If this fails, the registry copy now matches: drop the entry from KNOWN_VARIANTS."""
    reference = json.loads(reference_path(REFERENCE_FILES[url]).read_bytes())
    assert json.loads(bundled_bytes(url)) != reference, KNOWN_VARIANTS[url]


def test_ob_3_0_3_is_the_revision_with_jti_and_endorsement_jwt() -> None:
    context = json.loads(bundled_bytes(urls.OB_V3P0_3_0_3))["@context"]
    assert "jti" in context
    assert "endorsementJwt" in context


def test_every_bundled_third_party_context_has_a_reference_or_a_reason() -> None:
    for entry in ENTRIES:
        if entry["source"] == "microcred (this project)":
            continue
        assert entry["url"] in REFERENCE_FILES, entry["url"]


# -- manifest against the files -------------------------------------------------------------


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["file"] for e in ENTRIES])
def test_manifest_digest_matches_the_file(entry: dict[str, Any]) -> None:
    data = (CONTEXTS / entry["file"]).read_bytes()
    assert hashlib.sha256(data).hexdigest() == entry["sha256"]
    assert "@context" in json.loads(data)


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["file"] for e in ENTRIES])
def test_manifest_entry_has_source_and_licence(entry: dict[str, Any]) -> None:
    assert entry["url"].startswith("https://")
    assert entry["license"].strip()
    assert entry["contentLicense"].strip()
    source = entry["source"]
    if isinstance(source, str):
        assert source == "microcred (this project)"
        assert entry["license"] == "Apache-2.0"
        return
    assert source["registry"] in {"pypi", "npm"}
    for key in ("package", "version", "path", "archive", "archiveSha256", "extract"):
        assert str(source[key]).strip(), key
    assert source["extract"] in {"verbatim", "js-module"}


def test_every_file_in_the_folder_is_in_the_manifest() -> None:
    files = {p.name for p in CONTEXTS.iterdir() if p.is_file()} - {"manifest.json"}
    assert files == {entry["file"] for entry in ENTRIES}


def test_manifest_urls_are_unique_and_match_the_loader() -> None:
    assert len(BY_URL) == len(ENTRIES)
    assert {entry.url for entry in load_manifest()} == set(BY_URL)


def test_the_project_context_is_listed_when_present() -> None:
    if (CONTEXTS / "microcred-eu-v1.jsonld").exists():
        entry = BY_URL[urls.MICROCRED_EU_V1]
        assert entry["file"] == "microcred-eu-v1.jsonld"
        assert entry["source"] == "microcred (this project)"
        assert entry["license"] == "Apache-2.0"


def test_package_data_ships_every_context_file() -> None:
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["microcred"]
    for path in CONTEXTS.iterdir():
        relative = f"jsonld/contexts/{path.name}"
        assert any(fnmatch.fnmatch(relative, pattern) for pattern in patterns), relative


# -- the regeneration script agrees with the manifest ----------------------------------------


def load_fetch_script() -> ModuleType:
    path = REPO_ROOT / "scripts" / "fetch_contexts.py"
    spec = importlib.util.spec_from_file_location("fetch_contexts", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while executing
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def test_fetch_script_sources_match_the_manifest() -> None:
    script = load_fetch_script()
    registry_entries = {e["url"]: e for e in ENTRIES if isinstance(e["source"], dict)}
    assert {src.url for src in script.SOURCES} == set(registry_entries)
    for src in script.SOURCES:
        entry = registry_entries[src.url]
        assert entry["file"] == src.file
        assert entry["license"] == src.license
        assert entry["contentLicense"] == src.content_license
        source = entry["source"]
        assert (source["registry"], source["package"], source["version"], source["path"]) == (
            src.registry,
            src.package,
            src.version,
            src.path,
        )
        assert source["extract"] == src.extract
