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
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from microcred.clock import Clock
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

__all__ = ["build_platform_verifier", "status_list_fetcher"]


def status_list_fetcher(
    status: StatusService, clock: Clock, *, allow_network: bool, ttl: timedelta | None = None
) -> CachingStatusListFetcher:
    """Own lists in-process, others over HTTPS when ``allow_network``, cached for ``ttl``
    (default: the status service's TTL)."""
    remote: StatusListFetcher | None = HttpsStatusListFetcher() if allow_network else None
    local = LocalStatusListFetcher(status.published_list, fallback=remote)
    return CachingStatusListFetcher(local, clock, ttl=status.ttl if ttl is None else ttl)


def build_platform_verifier(
    engine: Engine,
    status: StatusService,
    clock: Clock,
    *,
    allow_network: bool,
    extra_checks: Sequence[Check] = (),
    fetcher: StatusListFetcher | None = None,
) -> Verifier:
    """A verifier with the engine's resolvers and cryptosuites, the real ``status`` family and
    ``extra_checks`` (e.g. the ``anchor`` family)."""
    holder: list[Verifier] = []

    def verify_list(document: Mapping[str, Any]) -> VerificationReport:
        return holder[0].verify_credential(document)

    chosen = (  # not `fetcher or …`: an empty caching fetcher has len() 0
        fetcher
        if fetcher is not None
        else status_list_fetcher(status, clock, allow_network=allow_network)
    )
    check = StatusCheck(chosen, list_verifier=verify_list)
    verifier = Verifier(
        engine.registry, engine.loader, engine.vm_resolver, clock, [check, *extra_checks]
    )
    holder.append(verifier)
    return verifier
