"""The platform's verifier: the engine's checks plus the real ``status`` family.

The engine (:func:`microcred.wiring.build_engine`) verifies with placeholders for the hook
families. The platform verifies what the API and the command line are given with the
Bitstring Status List check (docs/status-lists.md, "Wiring"):

* the platform's own lists are read in-process (:class:`LocalStatusListFetcher` over
  :meth:`StatusService.published_list`, never cached: a revocation shows at once);
* other issuers' lists are fetched over HTTPS only when the network is allowed
  (``MICROCRED_ALLOW_NETWORK``), with the SSRF guards of :class:`HttpsStatusListFetcher`;
* both behind one :class:`CachingStatusListFetcher` whose ``ttl`` is the platform's status
  TTL (a remote list is kept no longer than that, its own ``ttl`` or its ``Cache-Control``);
* the list credential is verified by the same verifier (late binding), so its proof, issuer
  and validity are checked like any credential's.

The issuance pipeline's self-verification keeps the engine's placeholder: a list opened inside
the issuing transaction is not visible to the in-process fetcher (another connection) until
that transaction commits.

Read caches (docs/performance.md, "Read caches"): with an
:class:`~microcred.services.read_cache.Epoch` the platform's own lists are kept under the
database's epoch token (a revocation by any process changes it), and :class:`PlatformVerifier`
keeps whole reports of credentials it verified, keyed by the credential's RFC 8785 digest, for
``report_ttl`` seconds at most and only under the same token: a revocation, key rotation or
compromise shows at once; what only time changes (a ``validUntil`` passing, another issuer's
list or DID document) shows within ``report_ttl``.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from microcred.clock import Clock
from microcred.jsonld.protocols import DocumentLoader
from microcred.proof.jcs import JcsError, canonicalize
from microcred.proof.purposes import VerificationMethodLookup
from microcred.proof.registry import CryptosuiteRegistry
from microcred.services.read_cache import Epoch, EpochMemo, EpochStatusLists
from microcred.services.status import StatusService
from microcred.status.fetchers import (
    CachingStatusListFetcher,
    HttpsStatusListFetcher,
    LocalStatusListFetcher,
)
from microcred.status.protocols import StatusListFetcher
from microcred.verification.checks.base import Check
from microcred.verification.checks.status import StatusCheck
from microcred.verification.report import VerificationReport
from microcred.verification.verifier import Verifier
from microcred.wiring import Engine

__all__ = [
    "DEFAULT_REPORT_TTL",
    "PlatformVerifier",
    "build_platform_verifier",
    "status_list_fetcher",
]

#: seconds a verification report of the same credential bytes may be answered again (same
#: epoch token): bounds how late a passing ``validUntil`` or another issuer's change shows
DEFAULT_REPORT_TTL = 2.0


def status_list_fetcher(
    status: StatusService,
    clock: Clock,
    *,
    allow_network: bool,
    ttl: timedelta | None = None,
    epoch: Epoch | None = None,
) -> CachingStatusListFetcher:
    """Own lists in-process (kept under ``epoch``'s token when given), others over HTTPS when
    ``allow_network``, cached for ``ttl`` (default: the status service's TTL)."""
    remote: StatusListFetcher | None = HttpsStatusListFetcher() if allow_network else None
    local: StatusListFetcher = (
        LocalStatusListFetcher(status.published_list, fallback=remote)
        if epoch is None
        else EpochStatusLists(status.published_list, epoch, fallback=remote)
    )
    return CachingStatusListFetcher(local, clock, ttl=status.ttl if ttl is None else ttl)


class PlatformVerifier(Verifier):
    """A :class:`Verifier` that reads the epoch token once per verification and answers a
    credential it verified moments ago from its report (see the module docstring).

    A report is reused only for the same credential (RFC 8785 digest, or the same VC-JWT
    text), under the same epoch token, less than ``report_ttl`` seconds later by both the
    verifier's clock and the process's monotonic clock. ``report_ttl`` 0 keeps no reports.
    """

    def __init__(
        self,
        registry: CryptosuiteRegistry,
        loader: DocumentLoader,
        vm_resolver: VerificationMethodLookup,
        clock: Clock,
        extra_checks: Sequence[Check] = (),
        *,
        epoch: Epoch,
        report_ttl: float = DEFAULT_REPORT_TTL,
        max_reports: int = 1024,
    ) -> None:
        super().__init__(registry, loader, vm_resolver, clock, extra_checks)
        self._epoch = epoch
        self._report_ttl = max(0.0, float(report_ttl))
        self._report_clock = clock
        self._reports: EpochMemo[bytes, tuple[VerificationReport, float, datetime]] = EpochMemo(
            max_reports
        )

    @property
    def epoch(self) -> Epoch:
        return self._epoch

    @property
    def reports(self) -> EpochMemo[bytes, tuple[VerificationReport, float, datetime]]:
        return self._reports

    @staticmethod
    def _report_key(credential: object) -> bytes | None:
        if isinstance(credential, str):
            return hashlib.sha256(b"jwt\x00" + credential.encode("utf-8", "replace")).digest()
        if not isinstance(credential, Mapping):
            return None
        try:
            return hashlib.sha256(canonicalize(credential)).digest()
        except (JcsError, RecursionError):
            return None

    def verify_uncached(self, credential: object) -> VerificationReport:
        """:meth:`Verifier.verify_credential` without the report cache (epoch still pinned)."""
        with self._epoch.pinned():
            return super().verify_credential(credential)

    def verify_credential(self, credential: object) -> VerificationReport:
        with self._epoch.pinned():
            token = self._epoch.current() if self._report_ttl > 0 else None
            key = None if token is None else self._report_key(credential)
            if token is None or key is None:
                return super().verify_credential(credential)
            now = self._report_clock.now()
            found = self._reports.get(key, token)
            if found is not None:
                report, at, made = found
                age = (now - made).total_seconds()
                if time.monotonic() - at < self._report_ttl and 0 <= age < self._report_ttl:
                    return report
            report = super().verify_credential(credential)
            self._reports.put(key, token, (report, time.monotonic(), now))
            return report

    def verify_presentation(
        self,
        presentation: object,
        *,
        challenge: str | None = None,
        domain: str | Sequence[str] | None = None,
    ) -> VerificationReport:
        with self._epoch.pinned():
            return super().verify_presentation(presentation, challenge=challenge, domain=domain)


def build_platform_verifier(
    engine: Engine,
    status: StatusService,
    clock: Clock,
    *,
    allow_network: bool,
    extra_checks: Sequence[Check] = (),
    fetcher: StatusListFetcher | None = None,
    epoch: Epoch | None = None,
    report_ttl: float = DEFAULT_REPORT_TTL,
) -> Verifier:
    """A verifier with the engine's resolvers and cryptosuites, the real ``status`` family and
    ``extra_checks`` (e.g. the ``anchor`` family). With ``epoch``: a :class:`PlatformVerifier`
    whose own lists and reports are kept under the epoch token (``report_ttl``)."""
    holder: list[Verifier] = []

    def verify_list(document: Mapping[str, Any]) -> VerificationReport:
        verifier = holder[0]
        if isinstance(verifier, PlatformVerifier):
            return verifier.verify_uncached(document)  # a nested check differs: never cached
        return verifier.verify_credential(document)

    chosen = (  # not `fetcher or …`: an empty caching fetcher has len() 0
        fetcher
        if fetcher is not None
        else status_list_fetcher(status, clock, allow_network=allow_network, epoch=epoch)
    )
    check = StatusCheck(chosen, list_verifier=verify_list)
    checks = [check, *extra_checks]
    verifier = (
        Verifier(engine.registry, engine.loader, engine.vm_resolver, clock, checks)
        if epoch is None
        else PlatformVerifier(
            engine.registry,
            engine.loader,
            engine.vm_resolver,
            clock,
            checks,
            epoch=epoch,
            report_ttl=report_ttl,
        )
    )
    holder.append(verifier)
    return verifier
