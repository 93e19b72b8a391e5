"""Settings: defaults, environment variables, one clear ConfigError for bad values."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from microcred.errors import ConfigError
from microcred.settings import load_settings, normalise_database_url


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("MICROCRED_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_defaults_for_one_machine(tmp_path: Path) -> None:
    settings = load_settings()
    assert settings.home == tmp_path / "var"
    assert settings.database_url == f"sqlite:///{tmp_path}/var/microcred.db"
    assert settings.key_store_dir == tmp_path / "var" / "keys"
    assert settings.base_url == "http://127.0.0.1:8000"
    assert settings.is_sqlite
    assert settings.kek is None and settings.smtp_url is None


def test_environment_variables(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MICROCRED_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("MICROCRED_DATABASE_URL", "postgres://app@db.internal:5432/microcred")
    monkeypatch.setenv("MICROCRED_BASE_URL", "https://credentials.example.edu/")
    monkeypatch.setenv("MICROCRED_KEK", "c2VjcmV0")
    monkeypatch.setenv("MICROCRED_DATABASE_POOL_SIZE", "20")
    settings = load_settings()
    assert settings.database_url == "postgresql+psycopg://app@db.internal:5432/microcred"
    assert not settings.is_sqlite
    assert settings.base_url == "https://credentials.example.edu"
    assert settings.key_store_dir == tmp_path / "data" / "keys"
    assert settings.kek is not None and settings.kek.get_secret_value() == "c2VjcmV0"
    assert "c2VjcmV0" not in repr(settings)
    assert settings.database_pool_size == 20


def test_bad_values_name_their_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MICROCRED_DATABASE_URL", "mysql://root@localhost/x")
    monkeypatch.setenv("MICROCRED_BASE_URL", "ftp://example.org")
    monkeypatch.setenv("MICROCRED_PORT", "70000")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = caught.value.detail
    assert "MICROCRED_DATABASE_URL: unsupported database URL scheme 'mysql'" in message
    assert "MICROCRED_BASE_URL:" in message
    assert "MICROCRED_PORT:" in message


def test_kek_from_one_source_only(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="either MICROCRED_KEK or MICROCRED_KEK_FILE"):
        load_settings(kek="k", kek_file=tmp_path / "kek")
    with pytest.raises(ConfigError, match="is a directory"):
        load_settings(kek_file=tmp_path)
    with pytest.raises(ConfigError, match="MICROCRED_KEK: the key-encryption key is empty"):
        load_settings(kek="  ")


def test_smtp_url_is_checked_without_echoing_it() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(smtp_url="http://user:hunter2@mail")
    assert "hunter2" not in caught.value.detail
    assert load_settings(smtp_url="smtp://user:pw@127.0.0.1:2525").smtp_url is not None


def test_unknown_settings_are_refused() -> None:
    with pytest.raises(ConfigError, match="MICROCRED_DATABSE_URL"):
        load_settings(databse_url="sqlite://")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///var/x.db", "sqlite:///var/x.db"),
        ("sqlite+pysqlite:////abs/x.db", "sqlite:////abs/x.db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ],
)
def test_database_urls_are_normalised(url: str, expected: str) -> None:
    assert normalise_database_url(url) == expected


@pytest.mark.parametrize("url", ["var/x.db", "postgresql:///db", "oracle://h/db"])
def test_bad_database_urls(url: str) -> None:
    with pytest.raises(ConfigError):
        normalise_database_url(url)
