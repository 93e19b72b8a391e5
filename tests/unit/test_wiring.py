"""The composition root: network policy, key store location, extra contexts."""

from __future__ import annotations

from pathlib import Path

import pytest

from microcred.clock import FixedClock, SystemClock
from microcred.errors import ConfigError, DIDNotFoundError
from microcred.wiring import (
    NetworkDisabledResolver,
    build_did_resolver,
    build_engine,
    build_key_store,
    build_loader,
    network_allowed,
)


@pytest.mark.parametrize(
    ("value", "allowed"), [("1", True), ("TRUE", True), ("on", True), ("0", False), ("", False)]
)
def test_network_allowed(value: str, allowed: bool) -> None:
    assert network_allowed({"MICROCRED_ALLOW_NETWORK": value}) is allowed
    assert network_allowed({}) is False


def test_did_web_is_refused_without_network() -> None:
    resolver = build_did_resolver(allow_network=False)
    with pytest.raises(DIDNotFoundError, match="--allow-network"):
        resolver.resolve("did:web:example.com")
    with pytest.raises(DIDNotFoundError):
        NetworkDisabledResolver("web").resolve("did:web:x.example")
    doc = resolver.resolve("did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2")
    assert doc["id"].startswith("did:key:")


def test_build_engine_builds_fresh_objects(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MICROCRED_ALLOW_NETWORK", raising=False)
    one, two = build_engine(), build_engine()
    assert one.verifier is not two.verifier
    assert isinstance(one.clock, SystemClock)
    assert (
        sorted(one.registry.names)
        == [
            "Ed25519Signature2020",
            "eddsa-jcs-2022",
            "eddsa-rdfc-2022",
        ]
        or len(one.registry) == 3
    )
    clock = FixedClock(SystemClock().now())
    assert build_engine(clock=clock).clock is clock


def test_extra_contexts_cannot_replace_bundled_ones() -> None:
    extra = {"https://contexts.example/x/v1": {"@context": {"x": "https://contexts.example/x#"}}}
    assert "https://contexts.example/x/v1" in build_loader(extra)
    with pytest.raises(ConfigError):
        build_loader({"https://www.w3.org/ns/credentials/v2": {"@context": {}}})


def test_key_store_location_and_kek(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("MICROCRED_KEK_FILE", "MICROCRED_KEY_STORE_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MICROCRED_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MICROCRED_KEK", "d4" * 32)
    assert build_key_store().path == (tmp_path / "home" / "keys").resolve()
    assert build_key_store(tmp_path / "other").path == tmp_path / "other"
    monkeypatch.setenv("MICROCRED_KEY_STORE_DIR", str(tmp_path / "ks"))
    assert build_key_store().path == tmp_path / "ks"
    monkeypatch.delenv("MICROCRED_KEK")
    with pytest.raises(ConfigError, match="MICROCRED_KEK"):
        build_key_store()
