"""Composition of anchoring for the platform: ledgers, services, runner, verifier check.

``build_platform`` calls :func:`build_anchoring` once. What it builds depends on the
configuration (docs/anchoring.md, "Configuration"):

* always the **embedded ledger** (``build_embedded_ledger``: the platform database, checkpoints
  signed by the ``microcred-ledger`` key, one every ``MICROCRED_LEDGER_CHECKPOINT_EVERY``
  entries) — the default ledger, and the public ``/ledger/…`` audit API;
* with ``MICROCRED_EVM_RPC_URL`` (and ``MICROCRED_EVM_CONTRACT``) an **EVM ledger**
  (:func:`~microcred.anchoring.backends.evm.open_evm_ledger`, chain accounts in
  ``<key store>/chain`` under the same KEK). With ``MICROCRED_EVM_ACCOUNT`` the platform
  publishes there (did:web issuers; did:key issuers stay on the embedded ledger, see
  :mod:`microcred.services.anchoring_runner`) and every hosted DID document lists the account
  (``blockchainAccountId``); without it the chain is only read, to verify anchors.

The EVM backend (and so ``web3``) is imported only when an EVM ledger is configured: importing
``microcred.anchoring.backends.evm`` is the one way in, because that module puts back the
recursion limit that ``web3``'s dependencies raise (docs/evm-ledger.md).

:meth:`AnchoringSetup.anchor_check` gives the verifier's ``anchor`` family: every configured
ledger as a reader, the engine's resolvers to see revoked keys, and — when a chain is
configured — the issuer's accounts read from its DID document (``blockchainAccountId``), so
``anchor.account`` confirms *who* anchored.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from microcred.anchoring.backends.embedded import EmbeddedLedger
from microcred.anchoring.batch import BatchPolicy
from microcred.anchoring.ledger import Ledger, LedgerReader
from microcred.clock import Clock
from microcred.did.contexts import SECP256K1_RECOVERY_2020_V2
from microcred.did.protocols import DIDResolver
from microcred.errors import AnchorError
from microcred.keys.file_store import KEK_ENV, KEK_FILE_ENV, FileKeyStore, load_kek
from microcred.proof.registry import CryptosuiteRegistry
from microcred.services.anchoring import AnchoringService, build_embedded_ledger
from microcred.services.anchoring_runner import AnchoringRunner, RunLock
from microcred.settings import Settings
from microcred.storage import Database, UnitOfWorkFactory
from microcred.verification.checks.anchor import AnchorCheck, accounts_from_did_document

if TYPE_CHECKING:
    from microcred.anchoring.backends.evm import EvmLedger
    from microcred.proof.purposes import VerificationMethodLookup

__all__ = ["EVM_RPC_URL_ENV", "AnchoringSetup", "build_anchoring", "kek_from_settings"]

EVM_RPC_URL_ENV = "MICROCRED_EVM_RPC_URL"

_log = logging.getLogger("microcred.anchoring")


def kek_from_settings(settings: Settings) -> bytes:
    """The key-encryption key the settings name (``MICROCRED_KEK`` or ``…_KEK_FILE``)."""
    environ: dict[str, str] = {}
    if settings.kek is not None:
        environ[KEK_ENV] = settings.kek.get_secret_value()
    elif settings.kek_file is not None:
        environ[KEK_FILE_ENV] = str(settings.kek_file)
    return load_kek(environ)


@dataclass(frozen=True, repr=False)
class AnchoringSetup:
    """The anchoring pieces of one platform (see the module docstring)."""

    #: the embedded ledger (always there: the default, and the public audit API)
    embedded: EmbeddedLedger
    #: the ledger new batches are published to (embedded, or the EVM ledger)
    ledger: Ledger
    #: the anchoring service of :attr:`ledger`
    service: AnchoringService
    #: what the shells call: one run at a time, the right ledger per issuer
    runner: AnchoringRunner
    #: every ledger the platform verifier reads (embedded first, then the chain)
    readers: tuple[LedgerReader, ...]
    #: the EVM ledger when one is configured (read-only without an account)
    evm: EvmLedger | None = None
    #: whether the platform publishes to :attr:`evm` (an account is configured)
    evm_publishing: bool = False
    #: the chain id from the configuration (``None``: asked from the node once)
    evm_chain_id: int | None = None

    def __repr__(self) -> str:
        return f"AnchoringSetup(ledger={self.ledger.ledger_id!r}, readers={len(self.readers)})"

    # ------------------------------------------------------------------ DID documents

    def did_document_extras(self, did: str) -> tuple[Sequence[Mapping[str, Any]], Sequence[str]]:
        """What a hosted did:web document adds: the chain account that anchors for ``did``
        (``#anchor-account``, ``EcdsaSecp256k1RecoveryMethod2020`` with a CAIP-10
        ``blockchainAccountId``) when the platform publishes to a chain; nothing otherwise.

        Raises :class:`~microcred.errors.AnchorTemporaryError` (503) when the chain id is not
        configured and the node cannot be asked for it.
        """
        if self.evm is None or not self.evm_publishing:
            return (), ()
        from microcred.anchoring.backends.evm import chain_account_method

        try:
            account = self.evm.account_for(did)
        except AnchorError:
            return (), ()  # no account anchors for this issuer
        chain_id = self.evm_chain_id if self.evm_chain_id is not None else self.evm.chain_id
        method = chain_account_method(did, chain_id, account.address)
        return [method], [SECP256K1_RECOVERY_2020_V2]

    # ------------------------------------------------------------------ verification

    def anchor_check(
        self,
        *,
        vm_resolver: VerificationMethodLookup,
        registry: CryptosuiteRegistry,
        did_resolver: DIDResolver,
    ) -> AnchorCheck:
        """The verifier's ``anchor`` family over every configured ledger."""
        accounts = None
        if self.evm is not None:

            def accounts(issuer: str) -> set[str]:
                return accounts_from_did_document(did_resolver.resolve(issuer))

        return AnchorCheck(
            self.readers,
            vm_resolver=vm_resolver,
            registry=registry,
            issuer_accounts=accounts,
        )


def _open_evm(settings: Settings, environ: Mapping[str, str]) -> tuple[EvmLedger, bool, int | None]:
    # The only import of the chain backend: it restores the recursion limit web3 raises.
    from microcred.anchoring.backends.evm import EvmLedgerConfig, open_evm_ledger

    config = EvmLedgerConfig.from_env(environ)
    store_dir = settings.key_store_dir or settings.home / "keys"
    kek = kek_from_settings(settings) if config.account is not None else None
    ledger = open_evm_ledger(config, store_dir / "chain", kek)
    return ledger, config.account is not None, config.settings.chain_id


def build_anchoring(
    settings: Settings,
    database: Database,
    uow: UnitOfWorkFactory,
    key_store: FileKeyStore,
    clock: Clock,
    *,
    environ: Mapping[str, str] | None = None,
    evm_ledger: EvmLedger | None = None,
    evm_publishing: bool = True,
) -> AnchoringSetup:
    """Build the platform's anchoring from the settings and the ``MICROCRED_EVM_*`` variables
    of ``environ`` (default: the process environment).

    ``evm_ledger`` injects a ready EVM ledger instead (tests: an in-process chain);
    ``evm_publishing`` then says whether the platform publishes to it.
    """
    env = os.environ if environ is None else environ
    policy = BatchPolicy(
        max_size=settings.anchor_batch_size,
        max_age=timedelta(seconds=settings.anchor_max_age_seconds),
    )
    embedded = build_embedded_ledger(
        uow, key_store, clock, checkpoint_every=settings.ledger_checkpoint_every
    )
    embedded_service = AnchoringService(
        uow, embedded, clock, policy=policy, checkpoint=embedded.checkpoint
    )
    lock = RunLock(database)
    evm = evm_ledger
    publishing = evm_publishing
    chain_id: int | None = None
    if evm is None and env.get(EVM_RPC_URL_ENV, "").strip():
        evm, publishing, chain_id = _open_evm(settings, env)
    elif evm is not None:
        chain_id = evm.settings.chain_id
    if evm is None:
        return AnchoringSetup(
            embedded=embedded,
            ledger=embedded,
            service=embedded_service,
            runner=AnchoringRunner(uow, embedded_service, lock),
            readers=(embedded,),
        )
    readers: tuple[LedgerReader, ...] = (embedded, evm)
    try:
        evm.ledger_id  # noqa: B018 - asks the node for its chain id unless it is configured
    except AnchorError as exc:
        _log.warning(
            "the EVM ledger cannot be reached (%s): anchors on it are reported as not checked "
            "until the platform restarts; set MICROCRED_EVM_CHAIN_ID to avoid asking the node",
            exc.detail,
        )
        readers = (embedded,)
    if not publishing:
        return AnchoringSetup(
            embedded=embedded,
            ledger=embedded,
            service=embedded_service,
            runner=AnchoringRunner(uow, embedded_service, lock),
            readers=readers,
            evm=evm,
            evm_publishing=False,
            evm_chain_id=chain_id,
        )
    evm_service = AnchoringService(uow, evm, clock, policy=policy)
    return AnchoringSetup(
        embedded=embedded,
        ledger=evm,
        service=evm_service,
        runner=AnchoringRunner(uow, evm_service, lock, did_key_service=embedded_service),
        readers=readers,
        evm=evm,
        evm_publishing=True,
        evm_chain_id=chain_id,
    )
