"""Composition root: builds the engine's collaborators and hands them out.

Nothing here is a module-level singleton: every ``build_*`` call returns new
objects, configured from arguments or from the environment (``MICROCRED_*``, see
:mod:`microcred.settings`). The shells (CLI, API, web) call these functions once
at start-up and pass the results down.

Canonicalisation: ``eddsa-rdfc-2022`` (and the legacy Ed25519Signature2020 suite)
canonicalise through the compiled-shape fast path
(:class:`~microcred.jsonld.fast.FastCanonizer`, byte-identical to the full path, which
it falls back to for anything it cannot vouch for). ``MICROCRED_CANON=full`` forces
the full path (pyld expansion in safe mode + URDNA2015) everywhere.

Network policy: contexts are never fetched (the loader serves only bundled
contexts); ``did:key`` is pure computation; ``did:web`` is resolved over HTTPS
only when ``allow_network`` is true (the CLI's ``--allow-network`` or
``MICROCRED_ALLOW_NETWORK=1``), otherwise it fails with a message that says so.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from microcred.clock import Clock, SystemClock
from microcred.did.dereference import VerificationMethod, VerificationMethodResolver
from microcred.did.key import DidKeyResolver
from microcred.did.protocols import DIDDocument, DIDResolver
from microcred.did.resolver import CompositeResolver, HttpsDidWebResolver
from microcred.errors import ConfigError, DIDNotFoundError
from microcred.jsonld.fast import FastCanonizer
from microcred.jsonld.processing import canonize
from microcred.jsonld.static_loader import StaticDocumentLoader
from microcred.keys.file_store import FileKeyStore, load_kek
from microcred.proof.cryptosuites.base import Canonizer
from microcred.proof.cryptosuites.ed25519_signature_2020 import Ed25519Signature2020
from microcred.proof.cryptosuites.eddsa_jcs_2022 import EddsaJcs2022
from microcred.proof.cryptosuites.eddsa_rdfc_2022 import EddsaRdfc2022
from microcred.proof.registry import CryptosuiteRegistry
from microcred.settings import load_settings
from microcred.verification.checks.base import Check
from microcred.verification.verifier import Verifier

__all__ = [
    "CANON_ENV",
    "CANON_MODES",
    "NETWORK_ENV",
    "Engine",
    "NetworkDisabledResolver",
    "build_canonizer",
    "build_did_resolver",
    "build_engine",
    "build_key_store",
    "build_loader",
    "build_registry",
    "build_vm_resolver",
    "canon_mode",
    "network_allowed",
]

NETWORK_ENV = "MICROCRED_ALLOW_NETWORK"
CANON_ENV = "MICROCRED_CANON"
#: ``fast``: compiled shapes with the full path as fallback (default); ``full``: always
#: the full path.
CANON_MODES = ("fast", "full")
_TRUE = frozenset({"1", "true", "yes", "on"})


def network_allowed(environ: Mapping[str, str] | None = None) -> bool:
    """True when ``MICROCRED_ALLOW_NETWORK`` is ``1`` / ``true`` / ``yes`` / ``on``."""
    env = os.environ if environ is None else environ
    return env.get(NETWORK_ENV, "").strip().lower() in _TRUE


class NetworkDisabledResolver:
    """Stands in for a network resolver when network access is off: always says why."""

    def __init__(self, method: str) -> None:
        self._method = method

    def resolve(self, did: str) -> DIDDocument:
        raise DIDNotFoundError(
            f"{did} can only be resolved over the network, which is turned off; "
            f"allow it with --allow-network (or {NETWORK_ENV}=1)",
            code="notFound",
        )


def build_loader(extra_contexts: Mapping[str, Any] | None = None) -> StaticDocumentLoader:
    """The document loader over every bundled context (never the network).

    ``extra_contexts`` (``{url: context JSON}``) adds contexts the caller trusts, for
    example a local copy of a context microcred does not ship; a bundled URL cannot be
    given different content (:class:`~microcred.errors.ConfigError`).
    """
    loader = StaticDocumentLoader.bundled()
    return loader.with_documents(extra_contexts) if extra_contexts else loader


def canon_mode(environ: Mapping[str, str] | None = None) -> str:
    """``MICROCRED_CANON``: ``fast`` (the default when unset or empty) or ``full``."""
    env = os.environ if environ is None else environ
    mode = env.get(CANON_ENV, "").strip().lower() or "fast"
    if mode not in CANON_MODES:
        raise ConfigError(
            f"{CANON_ENV} must be one of {', '.join(CANON_MODES)}, not {mode!r}.",
            setting=CANON_ENV,
        )
    return mode


def build_canonizer(loader: StaticDocumentLoader, *, mode: str | None = None) -> Canonizer:
    """The RDFC-1.0 canonicaliser for the JSON-LD suites.

    ``mode`` (default: :func:`canon_mode`) ``fast`` gives a new
    :class:`~microcred.jsonld.fast.FastCanonizer` bound to ``loader``; ``full`` gives
    :func:`~microcred.jsonld.processing.canonize` itself.
    """
    chosen = canon_mode() if mode is None else mode
    if chosen not in CANON_MODES:
        raise ConfigError(f"Unknown canonicalisation mode {chosen!r}.", setting=CANON_ENV)
    if chosen == "full":
        return canonize
    return FastCanonizer(loader)


def build_registry(
    loader: StaticDocumentLoader, *, canon: str | None = None
) -> CryptosuiteRegistry:
    """All cryptosuites: eddsa-rdfc-2022, eddsa-jcs-2022, legacy Ed25519Signature2020.

    The two JSON-LD suites share one canonicaliser (:func:`build_canonizer`, ``canon``
    as its ``mode``).
    """
    canonizer = build_canonizer(loader, mode=canon)
    return CryptosuiteRegistry(
        [
            EddsaRdfc2022(loader, canonizer=canonizer),
            EddsaJcs2022(),
            Ed25519Signature2020(loader, canonizer=canonizer),
        ]
    )


def build_did_resolver(
    *, allow_network: bool = False, web_resolver: DIDResolver | None = None
) -> CompositeResolver:
    """did:key always; did:web over HTTPS when ``allow_network`` (or ``web_resolver``)."""
    web: DIDResolver
    if web_resolver is not None:
        web = web_resolver
    elif allow_network:
        web = HttpsDidWebResolver()
    else:
        web = NetworkDisabledResolver("web")
    return CompositeResolver({"key": DidKeyResolver(), "web": web})


def build_vm_resolver(
    did_resolver: DIDResolver,
    static_methods: Mapping[str, VerificationMethod] | None = None,
) -> VerificationMethodResolver:
    """Dereferences verification method URLs through ``did_resolver`` (plus static keys)."""
    return VerificationMethodResolver(did_resolver, static_methods)


@dataclass(frozen=True)
class Engine:
    """The credential engine's collaborators, built once by :func:`build_engine`."""

    loader: StaticDocumentLoader
    registry: CryptosuiteRegistry
    did_resolver: DIDResolver
    vm_resolver: VerificationMethodResolver
    verifier: Verifier
    clock: Clock


def build_engine(
    *,
    allow_network: bool | None = None,
    clock: Clock | None = None,
    extra_checks: Sequence[Check] = (),
    web_resolver: DIDResolver | None = None,
    static_methods: Mapping[str, VerificationMethod] | None = None,
    extra_contexts: Mapping[str, Any] | None = None,
) -> Engine:
    """Build loader, registry, resolvers and verifier.

    ``allow_network=None`` reads ``MICROCRED_ALLOW_NETWORK``; ``clock`` defaults to
    the system clock; ``extra_contexts`` as for :func:`build_loader`.
    """
    network = network_allowed() if allow_network is None else allow_network
    loader = build_loader(extra_contexts)
    registry = build_registry(loader)
    did_resolver = build_did_resolver(allow_network=network, web_resolver=web_resolver)
    vm_resolver = build_vm_resolver(did_resolver, static_methods)
    chosen_clock = clock or SystemClock()
    verifier = Verifier(registry, loader, vm_resolver, chosen_clock, extra_checks)
    return Engine(loader, registry, did_resolver, vm_resolver, verifier, chosen_clock)


def build_key_store(store_dir: str | os.PathLike[str] | None = None) -> FileKeyStore:
    """The encrypted file key store.

    Directory: ``store_dir``, else ``MICROCRED_KEY_STORE_DIR``, else
    ``$MICROCRED_HOME/keys`` (``./var/keys`` by default). Key-encryption key:
    ``MICROCRED_KEK`` or ``MICROCRED_KEK_FILE``; missing or invalid ->
    :class:`~microcred.errors.ConfigError`.
    """
    kek = load_kek(os.environ)
    if store_dir is not None:
        path = Path(store_dir)
    else:
        settings = load_settings()
        path = settings.key_store_dir or settings.home / "keys"
    return FileKeyStore(path, kek)
