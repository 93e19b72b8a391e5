"""StaticDocumentLoader: bundled contexts, copies, extra documents, integrity checks."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from microcred.errors import ConfigError, JsonLdError, UnknownContextError
from microcred.jsonld import static_loader, urls
from microcred.jsonld.static_loader import StaticDocumentLoader, load_manifest

CONTEXTS = Path(str(resources.files("microcred.jsonld").joinpath("contexts")))
URL_CONSTANTS = {
    name: value
    for name, value in vars(urls).items()
    if name.isupper() and isinstance(value, str) and value.startswith("http")
}


def test_bundled_serves_every_manifest_url() -> None:
    loader = StaticDocumentLoader.bundled()
    manifest_urls = {entry.url for entry in load_manifest()}
    assert loader.urls == manifest_urls
    for url in manifest_urls:
        remote = loader(url)
        assert remote["documentUrl"] == url
        assert remote["contextUrl"] is None
        assert "@context" in remote["document"]


def test_every_url_constant_is_bundled_unless_listed_as_not_bundled() -> None:
    loader = StaticDocumentLoader.bundled()
    for name, url in URL_CONSTANTS.items():
        if url in urls.NOT_BUNDLED:
            assert url not in loader, name
        else:
            assert url in loader, f"{name} = {url} is not bundled"
    assert set(URL_CONSTANTS.values()) >= loader.urls


def test_the_contract_constants_exist() -> None:
    assert urls.VC_V2 == "https://www.w3.org/ns/credentials/v2"
    assert urls.OB_V3P0_3_0_3.endswith("/ob/v3p0/context-3.0.3.json")
    assert urls.MICROCRED_EU_V1 == "https://microcred.dev/ns/eu/v1"
    for name in ("DATA_INTEGRITY_V2", "MULTIKEY_V1", "DID_V1", "MICROCRED_EU_V1"):
        assert name in urls.__all__


def test_project_context_is_served_when_its_file_exists() -> None:
    if not (CONTEXTS / "microcred-eu-v1.jsonld").exists():
        pytest.skip("the EU extension context has not been written yet")
    document = StaticDocumentLoader.bundled().document(urls.MICROCRED_EU_V1)
    assert "@context" in document
    owned = [entry for entry in load_manifest() if entry.project_owned]
    assert [entry.url for entry in owned] == [urls.MICROCRED_EU_V1]


def test_unknown_url_raises_with_the_url_in_the_message() -> None:
    url = "https://example.com/contexts/unknown-v1.jsonld"
    with pytest.raises(UnknownContextError) as info:
        StaticDocumentLoader.bundled()(url)
    assert url in info.value.detail
    assert info.value.extra["url"] == url
    assert info.value.to_problem()["type"].endswith("unknown-context")


@pytest.mark.parametrize(
    "url",
    [
        "http://www.w3.org/ns/credentials/v2",  # http, not https
        "https://www.w3.org/ns/credentials/v2/",  # trailing slash
        "https://www.w3.org/ns/credentials/v2#",
        "",
    ],
)
def test_near_misses_are_unknown(url: str) -> None:
    with pytest.raises(UnknownContextError):
        StaticDocumentLoader.bundled()(url)


def test_each_call_returns_an_independent_copy() -> None:
    loader = StaticDocumentLoader.bundled()
    first = loader(urls.VC_V2)["document"]
    first["@context"]["id"] = "tampered"
    first["@context"].clear()
    second = loader(urls.VC_V2)["document"]
    assert second["@context"]["id"] == "@id"
    assert second["@context"]["@protected"] is True


def test_bundled_is_one_instance_and_files_are_parsed_once() -> None:
    assert StaticDocumentLoader.bundled() is StaticDocumentLoader.bundled()
    before = static_loader._bundled_documents.cache_info()
    for _ in range(3):
        StaticDocumentLoader.bundled()(urls.OB_V3P0_3_0_3)
    after = static_loader._bundled_documents.cache_info()
    assert after.misses == before.misses


def test_bundled_documents_are_tagged_static_and_extra_ones_are_not() -> None:
    loader = StaticDocumentLoader.bundled().with_documents(
        {"https://example.com/ctx": {"@context": {"a": "https://example.com/a"}}}
    )
    assert loader(urls.VC_V2).get("tag") == "static"
    assert "tag" not in loader("https://example.com/ctx")


def test_with_documents_adds_without_changing_the_original() -> None:
    base = StaticDocumentLoader.bundled()
    extra_url = "https://example.com/ctx/v1"
    extra = {"@context": {"thing": "https://example.com/thing"}}
    extended = base.with_documents({extra_url: extra})
    assert extended(extra_url)["document"] == extra
    assert extended(urls.VC_V2)["document"] == base(urls.VC_V2)["document"]
    assert extra_url not in base
    assert len(extended) == len(base) + 1
    with pytest.raises(UnknownContextError):
        base(extra_url)


def test_with_documents_copies_its_input() -> None:
    extra: dict[str, Any] = {"@context": {"thing": "https://example.com/thing"}}
    loader = StaticDocumentLoader.empty().with_documents({"https://example.com/c": extra})
    extra["@context"]["thing"] = "https://evil.example/thing"
    served = loader("https://example.com/c")["document"]
    assert served["@context"]["thing"] == "https://example.com/thing"


def test_with_documents_accepts_an_identical_copy_of_a_bundled_context() -> None:
    vc2 = json.loads((CONTEXTS / "credentials-v2.jsonld").read_bytes())
    loader = StaticDocumentLoader.bundled().with_documents({urls.VC_V2: vc2})
    assert loader(urls.VC_V2)["document"] == vc2


def test_one_url_never_stands_for_two_documents() -> None:
    with pytest.raises(ConfigError, match="already served"):
        StaticDocumentLoader.bundled().with_documents({urls.VC_V2: {"@context": {}}})
    first = StaticDocumentLoader.empty().with_documents({"https://example.com/c": {"@context": {}}})
    with pytest.raises(ConfigError):
        first.with_documents({"https://example.com/c": {"@context": {"a": "https://x.org/a"}}})


@pytest.mark.parametrize("bad", [["not", "an", "object"], "text", 5])
def test_with_documents_rejects_non_objects(bad: Any) -> None:
    with pytest.raises(JsonLdError):
        StaticDocumentLoader.empty().with_documents({"https://example.com/c": bad})


def test_with_documents_rejects_non_json_and_relative_urls() -> None:
    with pytest.raises(JsonLdError):
        StaticDocumentLoader.empty().with_documents(
            {"https://example.com/c": {"@context": {"a": float("nan")}}}
        )
    with pytest.raises(ConfigError):
        StaticDocumentLoader.empty().with_documents({"relative/ctx": {"@context": {}}})


def test_empty_loader_knows_nothing() -> None:
    loader = StaticDocumentLoader.empty()
    assert len(loader) == 0
    with pytest.raises(UnknownContextError):
        loader(urls.VC_V2)


def test_loader_accepts_pyld_options_argument() -> None:
    remote = StaticDocumentLoader.bundled()(urls.DID_V1, {"headers": {"Accept": "x"}})
    assert remote["documentUrl"] == urls.DID_V1


def test_manifest_entries_carry_provenance() -> None:
    for entry in load_manifest():
        assert entry.license and entry.content_license
        if entry.project_owned:
            assert entry.license == "Apache-2.0"
        else:
            assert isinstance(entry.source, dict)
            assert entry.source["registry"] in {"pypi", "npm"}
            assert entry.source["package"] and entry.source["version"] and entry.source["path"]


# -- integrity checks on a copy of the contexts folder -------------------------------------


@pytest.fixture
def contexts_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the loader at a writable copy of the bundled contexts; reset its caches."""
    copy_dir = tmp_path / "contexts"
    shutil.copytree(CONTEXTS, copy_dir)
    monkeypatch.setattr(static_loader, "_contexts_dir", lambda: copy_dir)
    caches = (
        static_loader.load_manifest,
        static_loader._bundled_documents,
        static_loader._bundled_loader,
    )
    for cached in caches:
        cached.cache_clear()
    yield copy_dir
    for cached in caches:
        cached.cache_clear()


def test_a_tampered_context_is_refused(contexts_copy: Path) -> None:
    path = contexts_copy / "ob-v3p0-context-3.0.3.json"
    data = json.loads(path.read_bytes())
    data["@context"]["Achievement"]["@id"] = "https://evil.example/Achievement"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        StaticDocumentLoader.bundled()
    assert "ob-v3p0-context-3.0.3.json" in info.value.detail
    assert "digest" in info.value.detail


def test_a_missing_context_file_is_refused(contexts_copy: Path) -> None:
    (contexts_copy / "did-v1.jsonld").unlink()
    with pytest.raises(ConfigError, match="missing"):
        StaticDocumentLoader.bundled()


def test_a_manifest_listing_one_url_twice_is_refused(contexts_copy: Path) -> None:
    manifest_path = contexts_copy / "manifest.json"
    manifest = json.loads(manifest_path.read_bytes())
    manifest["contexts"].append(dict(manifest["contexts"][0]))
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ConfigError, match="twice"):
        StaticDocumentLoader.bundled()


def test_a_manifest_file_name_cannot_leave_the_folder(contexts_copy: Path) -> None:
    manifest_path = contexts_copy / "manifest.json"
    manifest = json.loads(manifest_path.read_bytes())
    manifest["contexts"][0]["file"] = "../../secrets.json"
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ConfigError, match="bad file name"):
        StaticDocumentLoader.bundled()


def test_an_untampered_copy_loads(contexts_copy: Path) -> None:
    loader = StaticDocumentLoader.bundled()
    digest = hashlib.sha256((contexts_copy / "credentials-v2.jsonld").read_bytes()).hexdigest()
    assert digest == next(e.sha256 for e in load_manifest() if e.url == urls.VC_V2)
    assert urls.VC_V2 in loader
