"""microcred: issue and verify micro-credentials as W3C Verifiable Credentials.

The public API of the engine, importable from the package itself::

    from microcred import build_engine

    engine = build_engine()                    # bundled contexts, every suite, no network
    report = engine.verifier.verify_credential(credential)

Anything not listed in ``__all__`` is internal. The names are imported on first use
(PEP 562 ``__getattr__``): importing ``microcred`` or one of its light modules
(``microcred.errors``, ``microcred.clock``, the CLI's ``--version``) does not load
pyld, cryptography or pydantic, which costs seconds on a busy machine.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from microcred.definition.compose import compose_credential
    from microcred.errors import (
        AnchorError,
        ConfigError,
        Conflict,
        InvalidInput,
        KeyStoreError,
        MicrocredError,
        NotFound,
        ProofError,
        StatusError,
    )
    from microcred.issuance.pipeline import IssuancePipeline
    from microcred.jsonld.static_loader import StaticDocumentLoader
    from microcred.keys.ed25519 import Ed25519KeyPair
    from microcred.keys.file_store import FileKeyStore
    from microcred.proof.cryptosuites.eddsa_jcs_2022 import EddsaJcs2022
    from microcred.proof.cryptosuites.eddsa_rdfc_2022 import EddsaRdfc2022
    from microcred.proof.data_integrity import add_proof, verify_proofs
    from microcred.proof.options import ProofOptions
    from microcred.proof.registry import CryptosuiteRegistry
    from microcred.verification.report import CheckResult, Outcome, VerificationReport
    from microcred.verification.verifier import Verifier
    from microcred.wiring import build_engine

    __version__: str

__all__ = [
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

#: Where each public name lives (its home module stays the place to document it).
_HOMES: dict[str, str] = {
    "AnchorError": "microcred.errors",
    "CheckResult": "microcred.verification.report",
    "ConfigError": "microcred.errors",
    "Conflict": "microcred.errors",
    "CryptosuiteRegistry": "microcred.proof.registry",
    "Ed25519KeyPair": "microcred.keys.ed25519",
    "EddsaJcs2022": "microcred.proof.cryptosuites.eddsa_jcs_2022",
    "EddsaRdfc2022": "microcred.proof.cryptosuites.eddsa_rdfc_2022",
    "FileKeyStore": "microcred.keys.file_store",
    "InvalidInput": "microcred.errors",
    "IssuancePipeline": "microcred.issuance.pipeline",
    "KeyStoreError": "microcred.errors",
    "MicrocredError": "microcred.errors",
    "NotFound": "microcred.errors",
    "Outcome": "microcred.verification.report",
    "ProofError": "microcred.errors",
    "ProofOptions": "microcred.proof.options",
    "StaticDocumentLoader": "microcred.jsonld.static_loader",
    "StatusError": "microcred.errors",
    "VerificationReport": "microcred.verification.report",
    "Verifier": "microcred.verification.verifier",
    "add_proof": "microcred.proof.data_integrity",
    "build_engine": "microcred.wiring",
    "compose_credential": "microcred.definition.compose",
    "verify_proofs": "microcred.proof.data_integrity",
}


def _installed_version() -> str:
    """The installed distribution's version, or ``"unknown"`` when run from a bare tree."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("microcred")
    except PackageNotFoundError:
        return "unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        value: Any = _installed_version()
    elif name in _HOMES:
        value = getattr(importlib.import_module(_HOMES[name]), name)
    else:
        raise AttributeError(f"module 'microcred' has no attribute {name!r}")
    globals()[name] = value  # resolved once
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
