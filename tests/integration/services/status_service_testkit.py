"""Helpers for the status service tests (a uniquely named module, not conftest).

``issue_with_status`` does what issuance does with the status service, in one transaction:
allocate the entries, compose the credential with them, sign it with the issuer's key, store
it under the id the entries were allocated for. ``verifier_for`` builds the platform's
verifier with the real ``status`` family reading the platform's own lists in-process.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from microcred.definition import compose_credential
from microcred.definition.samples import sample_achievement
from microcred.proof.data_integrity import add_proof
from microcred.proof.options import ProofOptions
from microcred.services._support import issuer_profile
from microcred.services.platform import Platform
from microcred.services.status import StatusService
from microcred.status.fetchers import LocalStatusListFetcher
from microcred.storage import Credential
from microcred.verification.checks.status import StatusCheck
from microcred.verification.verifier import Verifier


def status_service(platform: Platform, **options: Any) -> StatusService:
    settings: dict[str, Any] = {"base_url": platform.settings.base_url}
    settings.update(options)
    return StatusService(platform.uow, platform.issuers, platform.engine.registry, **settings)


def issue_with_status(
    platform: Platform,
    service: StatusService,
    issuer_id: uuid.UUID,
    *,
    with_status: bool = True,
) -> Credential:
    credential_id = uuid.uuid4()
    uri = f"urn:uuid:{uuid.uuid4()}"
    with platform.uow() as tx:
        issuer = tx.issuers.get(issuer_id)
        entries = service.allocate_entries(tx, issuer_id, credential_id) if with_status else None
        now = platform.clock.now().replace(microsecond=0)
        unsigned = compose_credential(
            sample_achievement(awarding_body=issuer.did),
            "did:example:learner-42",
            issuer_profile(issuer),
            credential_id=uri,
            valid_from=now,
            credential_status=entries,
        )
        suite = platform.engine.registry.get("eddsa-rdfc-2022")
        with platform.issuers.signer_for_issuer(issuer_id) as signer:
            options = ProofOptions(
                cryptosuite=suite.name, verification_method=signer.verification_method, created=now
            )
            signed = add_proof(unsigned, suite, options, signer)
        row = tx.credentials.add(
            Credential(
                id=credential_id,
                issuer_id=issuer_id,
                definition_version_id=None,
                learner_id=None,
                credential_uri=uri,
                document=signed,
            )
        )
        tx.commit()
    return row


def verifier_for(platform: Platform, service: StatusService) -> Verifier:
    holder: dict[str, Verifier] = {}
    check = StatusCheck(
        LocalStatusListFetcher(service.published_list),
        list_verifier=lambda document: holder["verifier"].verify_credential(document),
    )
    engine = platform.engine
    verifier = Verifier(
        engine.registry, engine.loader, engine.vm_resolver, platform.clock, extra_checks=[check]
    )
    holder["verifier"] = verifier
    return verifier


def status_result(verifier: Verifier, document: dict[str, Any], purpose: str) -> tuple[str, str]:
    report = verifier.verify_credential(document)
    (result,) = [c for c in report.checks if c.details.get("purpose") == purpose]
    return result.outcome.value, result.message


class CountingSigners:
    """Wraps ``IssuerService`` and counts list signatures."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls = 0

    def signer_for_issuer(self, issuer_id: uuid.UUID) -> Any:
        self.calls += 1
        return self.inner.signer_for_issuer(issuer_id)


def sequence(*values: int) -> Callable[[int], int]:
    """A ``randbelow`` that replays ``values`` (mod n), then counts up."""
    queue = list(values)
    counter = {"next": 0}

    def randbelow(n: int) -> int:
        if queue:
            return queue.pop(0) % n
        counter["next"] += 1
        return counter["next"] % n

    return randbelow


TTL = timedelta(minutes=5)
