"""Composition of the platform service: database, key store, engine and services.

``build_platform(settings)`` is what ``microcred serve``/``init`` and the tests call once::

    from microcred.services.platform import build_platform
    from microcred.settings import load_settings

    platform = build_platform(load_settings())
    try:
        principal = platform.identity.authenticate_password(email, password, ip="192.0.2.7")
        ...
    finally:
        platform.close()

It migrates the database (a no-op when current), opens the encrypted key store with the KEK from
the settings, and builds the credential engine with a DID resolver that resolves the issuers
this platform hosts in-process (straight from the database, so key rotations are seen at once)
and other did:web DIDs over HTTPS only when the network is allowed (``MICROCRED_ALLOW_NETWORK``).

Status lists (docs/status-lists.md): ``platform.status`` allocates every issued credential's
revocation and suspension entries inside the issuing transaction, revokes a re-issued
credential's predecessor, and publishes the lists; ``platform.engine.verifier`` (what the API
and the command line verify with) checks status with the platform's own lists read in-process,
while the issuance pipeline self-verifies with the engine's placeholder (a list opened in the
issuing transaction is invisible to other connections until it commits).

It lives here and not in ``wiring.py`` for now (the engine's composition root was being edited
at the same time); ``wiring`` may re-export it.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy.pool import StaticPool

from microcred.anchoring.ledger import Ledger
from microcred.clock import Clock, SystemClock
from microcred.did.protocols import DIDResolver
from microcred.did.resolver import FallbackResolver, HostedDIDResolver, HttpsDidWebResolver
from microcred.errors import MicrocredError
from microcred.issuance import IssuancePipeline
from microcred.keys.file_store import KEK_ENV, KEK_FILE_ENV, FileKeyStore, load_kek
from microcred.services.anchoring import AnchoringService
from microcred.services.anchoring_setup import AnchoringSetup, build_anchoring
from microcred.services.clr import ClrService
from microcred.services.definitions import DefinitionService
from microcred.services.endorsements import EndorsementService
from microcred.services.identity import IdentityService, LoginThrottle, PasswordHashing
from microcred.services.imports import ImportService
from microcred.services.issuance import CredentialReplaced, IssuanceService, ReplacementHook
from microcred.services.issuers import IssuerService
from microcred.services.mail import SmtpSender, build_mail_sender
from microcred.services.pathways import PathwayService
from microcred.services.read_cache import CachedDIDResolver, Epoch
from microcred.services.recognition import RecognitionService
from microcred.services.status import StatusService
from microcred.services.usage import UsageService
from microcred.services.verifier import build_platform_verifier
from microcred.settings import Settings
from microcred.storage import Database, UnitOfWork, UnitOfWorkFactory, migrate
from microcred.storage.epoch import EpochReader
from microcred.verification.checks.base import Check
from microcred.verification.report import VerificationReport
from microcred.wiring import Engine, NetworkDisabledResolver, build_engine, network_allowed

if TYPE_CHECKING:
    from microcred.anchoring.backends.evm import EvmLedger

__all__ = ["Platform", "build_platform", "key_store_from_settings"]


@dataclass(frozen=True, repr=False)
class Platform:
    """Everything the shells need, built once by :func:`build_platform`."""

    settings: Settings
    database: Database
    uow: UnitOfWorkFactory
    clock: Clock
    key_store: FileKeyStore
    engine: Engine
    hosted_did_resolver: HostedDIDResolver
    identity: IdentityService
    issuers: IssuerService
    definitions: DefinitionService
    issuance: IssuanceService
    #: ``None`` unless ``MICROCRED_SMTP_URL`` is set: mail then stays in the outbox
    mail_sender: SmtpSender | None
    #: status lists: allocation (used by issuance), revoke/suspend/reinstate, publication
    status: StatusService
    #: bulk imports, issuing through ``issuance.issue_in``
    imports: ImportService
    #: anchoring on :attr:`ledger` (docs/anchoring.md); shells go through
    #: ``anchor_setup.runner`` (one run at a time, the right ledger per issuer)
    anchoring: AnchoringService
    #: the ledger new batches are published to: the embedded ledger, or the EVM ledger
    ledger: Ledger
    #: every anchoring piece: the embedded ledger (public audit API), runner, readers
    anchor_setup: AnchoringSetup
    #: pathways (stackable credentials): progress, evaluation after each issuance, awards
    pathways: PathwayService
    #: recognition of external credentials (imports, reports, decisions)
    recognition: RecognitionService
    #: verifications counted (batched) and shares, for the console's dashboard
    usage: UsageService
    #: partner organisations and their endorsements (docs/endorsements.md)
    endorsements: EndorsementService
    #: CLR 2.0 transcripts of a learner's credentials (docs/clr.md)
    clr: ClrService
    #: the read caches' epoch token (docs/performance.md, "Read caches"); off when ``None``
    read_epoch: Epoch | None = None

    def __repr__(self) -> str:
        # Never the settings themselves: a database URL may carry a password.
        return (
            f"Platform(database={self.database.backend!r}, base_url={self.settings.base_url!r}, "
            f"key_store={self.key_store!r})"
        )

    def close(self) -> None:
        """Release the database connections (at shutdown, and in tests)."""
        with contextlib.suppress(MicrocredError):
            self.usage.flush()  # the last buffered verification counts
        self.database.dispose()


def key_store_from_settings(settings: Settings) -> FileKeyStore:
    """The encrypted key store in ``settings.key_store_dir`` under the configured KEK."""
    environ: dict[str, str] = {}
    if settings.kek is not None:
        environ[KEK_ENV] = settings.kek.get_secret_value()
    elif settings.kek_file is not None:
        environ[KEK_FILE_ENV] = str(settings.kek_file)
    kek = load_kek(environ)
    directory = settings.key_store_dir or settings.home / "keys"
    return FileKeyStore(directory, kek)


def build_platform(
    settings: Settings,
    *,
    clock: Clock | None = None,
    key_store: FileKeyStore | None = None,
    passwords: PasswordHashing | None = None,
    login_throttle: LoginThrottle | None = None,
    allow_network: bool | None = None,
    migrate_database: bool = True,
    on_replaced: ReplacementHook | None = None,
    evm_ledger: EvmLedger | None = None,
) -> Platform:
    """Build the platform from validated settings.

    ``clock`` defaults to the system clock, ``key_store`` to :func:`key_store_from_settings`,
    ``passwords`` to Argon2id with RFC 9106 parameters, ``login_throttle`` to a per-process
    in-memory throttle, ``allow_network`` to ``MICROCRED_ALLOW_NETWORK``. A re-issue revokes
    the replaced credential (``StatusService.on_replaced``); ``on_replaced`` runs after that,
    in the same transaction. Anchoring uses the embedded ledger, or the EVM ledger configured
    by ``MICROCRED_EVM_*`` (``evm_ledger`` injects one instead, e.g. an in-process chain).
    """
    chosen_clock = clock or SystemClock()
    store = key_store or key_store_from_settings(settings)
    if migrate_database:
        migrate(settings.database_url)
    database = Database.from_settings(settings)
    try:
        uow = UnitOfWorkFactory(database, chosen_clock)
        anchoring = build_anchoring(
            settings, database, uow, store, chosen_clock, evm_ledger=evm_ledger
        )
        issuers = IssuerService(
            uow,
            store,
            base_url=settings.base_url,
            did_document_extras=anchoring.did_document_extras,
        )
        identity = IdentityService(
            uow,
            session_ttl=timedelta(hours=settings.session_ttl_hours),
            passwords=passwords,
            throttle=login_throttle,
        )
        hosted = issuers.hosted_did_resolver()
        network = network_allowed() if allow_network is None else allow_network
        outside: DIDResolver = HttpsDidWebResolver() if network else NetworkDisabledResolver("web")
        epoch = _epoch(database, settings)  # read caches (docs/performance.md)
        engine = build_engine(
            allow_network=network,
            clock=chosen_clock,
            web_resolver=FallbackResolver([CachedDIDResolver(hosted, epoch), outside]),
        )
        # self-verification while issuing: the engine's verifier (status placeholder)
        pipeline = IssuancePipeline(engine.registry, engine.loader, engine.verifier)
        status = StatusService(
            uow,
            issuers,
            engine.registry,
            base_url=settings.base_url,
            ttl=timedelta(seconds=settings.status_ttl_seconds),
        )
        platform_checks: list[Check] = [
            anchoring.anchor_check(
                vm_resolver=engine.vm_resolver,
                registry=engine.registry,
                did_resolver=engine.did_resolver,
            )
        ]
        engine = replace(
            engine,
            verifier=build_platform_verifier(
                engine,
                status,
                chosen_clock,
                allow_network=network,
                extra_checks=platform_checks,
                epoch=epoch,
                report_ttl=settings.verify_cache_seconds,
            ),
        )
        endorsements = EndorsementService(
            uow,
            store,
            pipeline,
            engine.verifier,
            chosen_clock,
            suite_name=settings.default_cryptosuite,
        )
        clr = ClrService(
            uow, issuers, pipeline, chosen_clock, suite_name=settings.default_cryptosuite
        )
        definitions = DefinitionService(uow, base_url=settings.base_url)
        issuance = IssuanceService(
            uow,
            issuers,
            pipeline,
            engine.loader,
            base_url=settings.base_url,
            default_suite=settings.default_cryptosuite,
            on_replaced=_replacement_hooks(status, on_replaced),
            status=status,
            endorsements=endorsements,
        )
        imports = ImportService.for_issuance(uow, issuance)
        pathways, recognition = _pathways_and_recognition(
            uow, issuance, engine, settings.base_url, network
        )
        mail_sender = build_mail_sender(settings)
    except BaseException:
        database.dispose()
        raise
    return Platform(
        settings=settings,
        database=database,
        uow=uow,
        clock=chosen_clock,
        key_store=store,
        engine=engine,
        hosted_did_resolver=hosted,
        identity=identity,
        issuers=issuers,
        definitions=definitions,
        issuance=issuance,
        mail_sender=mail_sender,
        status=status,
        imports=imports,
        anchoring=anchoring.service,
        ledger=anchoring.ledger,
        anchor_setup=anchoring,
        pathways=pathways,
        recognition=recognition,
        usage=UsageService(uow, chosen_clock),
        endorsements=endorsements,
        clr=clr,
        read_epoch=epoch,
    )


def _epoch(database: Database, settings: Settings) -> Epoch:
    """The read caches' epoch; off (``None`` reader) for an in-memory SQLite database (one
    shared connection that a separate read must not touch) or ``MICROCRED_READ_CACHE=0``."""
    in_memory = isinstance(database.engine.pool, StaticPool)
    if in_memory or not settings.read_cache:
        return Epoch(None)
    return Epoch(EpochReader(database.engine))


def _pathways_and_recognition(
    uow: UnitOfWorkFactory,
    issuance: IssuanceService,
    engine: Engine,
    base_url: str,
    network: bool,
) -> tuple[PathwayService, RecognitionService]:
    """Pathways evaluate the learner after each issuance; recognition verifies external
    credentials with the platform's verifier (fetching addresses only with the network on)."""
    from microcred.web.inputs import CredentialFetcher

    def verify(document: dict[str, object]) -> VerificationReport:
        return engine.verifier.verify_credential(document)

    pathways = PathwayService(uow, issuance, verify=verify)
    issuance.add_issue_listener(pathways.after_issue)
    recognition = RecognitionService(
        uow,
        issuance,
        pathways,
        verify,
        base_url=base_url,
        fetcher=CredentialFetcher() if network else None,
    )
    return pathways, recognition


def _replacement_hooks(status: StatusService, extra: ReplacementHook | None) -> ReplacementHook:
    """Revoke the replaced credential, then run the caller's hook (same transaction)."""

    def on_replaced(tx: UnitOfWork, event: CredentialReplaced) -> None:
        status.on_replaced(tx, event)
        if extra is not None:
            extra(tx, event)

    return on_replaced
