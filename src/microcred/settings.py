"""Runtime configuration, read once at startup from ``MICROCRED_*`` environment variables.

Every setting has a safe default for a single machine (SQLite under ``./var``, the app on
``http://127.0.0.1:8000``). :func:`load_settings` validates everything in one go and turns any
problem into a :class:`~microcred.errors.ConfigError` that names the environment variable, so a
bad deployment fails at start instead of at the first request.

==============================  ==========================================================
variable                        meaning
==============================  ==========================================================
``MICROCRED_HOME``              data directory (SQLite file, key store); default ``./var``
``MICROCRED_DATABASE_URL``      SQLAlchemy URL; default ``sqlite:///<home>/microcred.db``;
                                ``postgresql://…`` is served by psycopg 3
``MICROCRED_BASE_URL``          public URL of the platform (DIDs, links, status lists)
``MICROCRED_KEK``               key-encryption key for the key store (or ``…_KEK_FILE``)
``MICROCRED_KEK_FILE``          file holding the key-encryption key
``MICROCRED_KEY_STORE_DIR``     where encrypted private keys live; default ``<home>/keys``
``MICROCRED_SMTP_URL``          ``smtp://user:password@host:port`` (unset: database outbox)
``MICROCRED_STATUS_TTL_SECONDS``
                                how long verifiers may cache a status list (default 300)
``MICROCRED_ANCHOR_BATCH_SIZE``
                                anchor a batch once this many credentials wait (10000)
``MICROCRED_ANCHOR_MAX_AGE_SECONDS``
                                ... or once the oldest has waited this long (600)
``MICROCRED_ANCHOR_INTERVAL_SECONDS``
                                how often ``microcred serve`` runs anchoring in the
                                background (60; 0 = never: run ``microcred anchor run``)
``MICROCRED_ANCHOR_RECONCILE_SECONDS``
                                the background loop re-checks anchored batches against the
                                ledger at start and this often (3600; 0 = never:
                                ``microcred anchor reconcile``)
``MICROCRED_LEDGER_CHECKPOINT_EVERY``
                                the embedded ledger signs a checkpoint every N entries (1)
==============================  ==========================================================

The EVM ledger is configured by the ``MICROCRED_EVM_*`` variables, which
:meth:`microcred.anchoring.backends.evm.EvmLedgerConfig.from_env` reads (docs/evm-ledger.md);
setting ``MICROCRED_EVM_RPC_URL`` switches the platform to it (docs/anchoring.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from microcred.errors import ConfigError

__all__ = ["ENV_PREFIX", "Settings", "load_settings", "normalise_database_url"]

ENV_PREFIX = "MICROCRED_"

_SQLITE_DRIVERS = {"sqlite", "sqlite+pysqlite"}
_POSTGRES_ALIASES = {"postgres", "postgresql", "postgresql+psycopg"}


def normalise_database_url(url: str) -> str:
    """Check a database URL and name the driver explicitly.

    ``postgres://`` and ``postgresql://`` become ``postgresql+psycopg://`` (psycopg 3 is the
    driver we ship); ``sqlite://`` URLs are kept. Anything else is a :class:`ConfigError`.
    """
    text = url.strip()
    scheme, sep, rest = text.partition("://")
    if not sep:
        raise ConfigError(
            f"database URL {url!r} has no scheme (expected sqlite:// or postgresql://)"
        )
    scheme = scheme.lower()
    if scheme in _SQLITE_DRIVERS:
        return "sqlite://" + rest
    if scheme in _POSTGRES_ALIASES:
        if not rest or rest.startswith("/"):
            raise ConfigError(f"PostgreSQL URL {url!r} names no host")
        return "postgresql+psycopg://" + rest
    raise ConfigError(
        f"unsupported database URL scheme {scheme!r}: use sqlite:///path/to/file.db "
        "or postgresql://user@host:port/dbname"
    )


class Settings(BaseSettings):
    """Validated settings; build them with :func:`load_settings`."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        extra="forbid",
        frozen=True,
        validate_default=True,
    )

    home: Path = Field(default=Path("var"), description="Data directory.")
    database_url: str = Field(default="", description="SQLAlchemy database URL.")
    database_echo: bool = False
    database_pool_size: int = Field(default=5, ge=1, le=200)
    database_max_overflow: int = Field(default=10, ge=0, le=200)

    base_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)

    kek: SecretStr | None = None
    kek_file: Path | None = None
    key_store_dir: Path | None = None

    smtp_url: SecretStr | None = None
    mail_from: str = "microcred <no-reply@localhost>"

    session_ttl_hours: int = Field(default=12, ge=1, le=24 * 90)
    #: requests a minute per client (token, session or IP) before ``429`` (0: no limit)
    rate_limit_per_minute: int = Field(default=1200, ge=0, le=1_000_000)
    default_cryptosuite: Literal["eddsa-rdfc-2022", "eddsa-jcs-2022"] = "eddsa-rdfc-2022"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    #: status lists: their ``ttl`` and ``Cache-Control: max-age``; the longest a revocation can
    #: stay unseen by a verifier that caches (0: verifiers must not cache)
    status_ttl_seconds: int = Field(default=300, ge=0, le=7 * 24 * 3600)
    #: read caches (docs/performance.md): own DID documents, status lists and reports kept
    #: under the database's epoch token; a report of the same credential is answered again
    #: for at most ``verify_cache_seconds`` (0: never)
    read_cache: bool = True
    verify_cache_seconds: float = Field(default=2.0, ge=0, le=300)
    #: anchoring (docs/anchoring.md): a batch closes at this many credentials or this age
    anchor_batch_size: int = Field(default=10_000, ge=1, le=1_000_000)
    anchor_max_age_seconds: float = Field(default=600.0, ge=0, le=30 * 86_400)
    #: how often ``microcred serve`` runs anchoring in the background (0: never)
    anchor_interval_seconds: float = Field(default=60.0, ge=0, le=86_400)
    #: how often that loop re-checks anchored batches against the ledger (0: never)
    anchor_reconcile_seconds: float = Field(default=3600.0, ge=0, le=30 * 86_400)
    ledger_checkpoint_every: int = Field(default=1, ge=1, le=1_000_000)

    @field_validator("home")
    @classmethod
    def _absolute_home(cls, value: Path) -> Path:
        if value.exists() and not value.is_dir():
            raise ValueError(f"{value} exists and is not a directory")
        return value.expanduser().resolve()

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{value!r} is not an absolute http(s) URL")
        if parts.query or parts.fragment:
            raise ValueError("the base URL must not carry a query or fragment")
        return value.strip().rstrip("/")

    @field_validator("kek")
    @classmethod
    def _non_empty_kek(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            raise ValueError("the key-encryption key is empty")
        return value

    @field_validator("smtp_url")
    @classmethod
    def _check_smtp_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        parts = urlsplit(value.get_secret_value())
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            # Never echo the value: it may contain a password.
            raise ValueError("expected smtp://[user:password@]host[:port] or smtps://…")
        return value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str, info: ValidationInfo) -> str:
        if not value.strip():
            home = info.data.get("home")
            if not isinstance(home, Path):
                return value  # home itself is invalid; that error is reported
            value = f"sqlite:///{home.as_posix()}/microcred.db"
        try:
            return normalise_database_url(value)
        except ConfigError as exc:
            raise ValueError(exc.detail) from None

    @field_validator("key_store_dir")
    @classmethod
    def _default_key_store_dir(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        home = info.data.get("home")
        if value is None and isinstance(home, Path):
            return home / "keys"
        return value

    @model_validator(mode="after")
    def _check_kek_source(self) -> Settings:
        if self.kek is not None and self.kek_file is not None:
            raise ValueError("set either MICROCRED_KEK or MICROCRED_KEK_FILE, not both")
        if self.kek_file is not None and self.kek_file.is_dir():
            raise ValueError(f"MICROCRED_KEK_FILE {self.kek_file} is a directory")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite:")


def load_settings(**overrides: Any) -> Settings:
    """Read the environment (plus explicit ``overrides``) and validate it once.

    Raises :class:`ConfigError` listing every bad value by its environment variable name.
    """
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for error in exc.errors(include_url=False, include_input=False):
            field = ".".join(str(part) for part in error["loc"])
            name = ENV_PREFIX + field.upper() if field else "settings"
            message = str(error["msg"]).removeprefix("Value error, ")
            lines.append(f"{name}: {message}")
        raise ConfigError("invalid configuration: " + "; ".join(lines)) from None
