"""Issuance with status lists (the platform's wiring), on SQLite and PostgreSQL.

Every credential the platform issues — ``issue``, bulk imports (``issue_in``), ``reissue`` and
the VC-API's ``issue_unsigned`` — carries a revocation and a suspension
``BitstringStatusListEntry`` allocated in the issuing transaction; the platform verifier checks
them against the lists read in-process; a retryable conflict reruns the whole transaction.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from imports_testkit import cohort_csv, credentials_of, import_request, rows_of
from issuance_testkit import (  # noqa: F401 - kit_fixture provides the fixture 'kit'
    Kit,
    kit_factory_fixture,
    kit_fixture,
)

from microcred.errors import Conflict, InvalidInput
from microcred.issuance import IssuancePipeline
from microcred.services.imports import ImportService
from microcred.services.issuance import CredentialCorrections, IssuanceService, IssueRequest
from microcred.storage import CredentialState, ImportRowState, UnitOfWork
from microcred.verification.verifier import Verifier


def _status(kit: Kit, document: dict[str, Any]) -> dict[str, tuple[str, str]]:
    report = kit.verify(document)
    return {
        c.code: (c.outcome.value, c.message) for c in report.checks if c.code.startswith("status")
    }


def _indexes(kit: Kit, issuer_id: uuid.UUID, credential_id: uuid.UUID) -> dict[str, int]:
    with kit.uow(read_only=True) as tx:
        return {
            lst.purpose.value: entry.status_index
            for entry, lst in tx.status_lists.entries_for_credential(issuer_id, credential_id)
        }


def test_issued_credentials_carry_entries_stored_with_them(kit: Kit) -> None:
    issued = kit.issuance.issue(kit.registrar, kit.issuer.id, kit.request(kit.published()))

    entries = issued.document["credentialStatus"]
    assert [e["statusPurpose"] for e in entries] == ["revocation", "suspension"]
    stored = _indexes(kit, kit.issuer.id, issued.id)
    assert stored == {e["statusPurpose"]: int(e["statusListIndex"]) for e in entries}
    assert entries[0] == {
        "id": f"{entries[0]['statusListCredential']}#{entries[0]['statusListIndex']}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": entries[0]["statusListIndex"],
        "statusListCredential": "https://credentials.example.edu/status/alpha/revocation/1",
    }
    checks = _status(kit, issued.document)
    assert set(checks) == {"status.revocation", "status.suspension"}
    assert checks["status.revocation"][0] == "passed"
    assert checks["status.revocation"][1].startswith("Not revoked (checked against the issuer's")
    assert checks["status.suspension"][0] == "passed"


def test_reissue_revokes_the_replaced_credential_in_the_same_transaction(kit: Kit) -> None:
    old = kit.issuance.issue(kit.registrar, kit.issuer.id, kit.request(kit.published()))
    new = kit.issuance.reissue(
        kit.registrar,
        kit.issuer.id,
        old.id,
        CredentialCorrections.from_json({"learner": {"name": "Ana López García"}}),
        "name corrected",
    )
    assert new.document["credentialStatus"] != old.document["credentialStatus"]
    again = kit.issuance.get_credential(kit.viewer, kit.issuer.id, old.id)
    assert again.state is CredentialState.REVOKED
    assert again.state_reason == f"replaced by {new.credential_uri}: name corrected"
    assert _status(kit, old.document)["status.revocation"] == (
        "failed",
        "Revoked by the issuer.",
    )
    assert _status(kit, new.document)["status.revocation"][0] == "passed"
    with pytest.raises(Conflict, match="already replaced"):
        kit.issuance.reissue(kit.registrar, kit.issuer.id, old.id, CredentialCorrections(), "again")


def test_vc_api_credentials_get_entries_unless_they_bring_their_own(kit: Kit) -> None:
    plain = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "https://alpha.example.edu/credentials/1",
        "type": ["VerifiableCredential"],
        "issuer": kit.issuer.did,
        "validFrom": "2026-03-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:learner-1"},
    }
    signed = kit.issuance.issue_unsigned(kit.registrar, kit.issuer.id, plain)
    assert len(signed.document["credentialStatus"]) == 2
    assert _indexes(kit, kit.issuer.id, signed.id).keys() == {"revocation", "suspension"}

    own = {
        **plain,
        "id": "https://alpha.example.edu/credentials/2",
        "credentialStatus": {
            "id": "https://status.example/lists/7#42",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "42",
            "statusListCredential": "https://status.example/lists/7",
        },
    }
    kept = kit.issuance.issue_unsigned(kit.registrar, kit.issuer.id, own)
    assert kept.document["credentialStatus"] == own["credentialStatus"]
    assert _indexes(kit, kit.issuer.id, kept.id) == {}


def test_bulk_import_credentials_carry_distinct_entries(kit: Kit) -> None:
    definition = kit.published()
    imports = kit.platform.imports
    job = imports.create_job(
        kit.registrar, kit.issuer.id, cohort_csv(6), "cohort.csv", import_request(definition)
    )
    done = imports.run_job(kit.registrar, kit.issuer.id, job.id, batch_size=4)
    assert done.issued_rows == 6
    credentials = credentials_of(kit)
    assert len(credentials) == 6
    seen: dict[str, set[str]] = {"revocation": set(), "suspension": set()}
    for credential in credentials:
        entries = credential.document["credentialStatus"]
        for entry in entries:
            seen[entry["statusPurpose"]].add(entry["statusListIndex"])
        assert _indexes(kit, kit.issuer.id, credential.id) == {
            e["statusPurpose"]: int(e["statusListIndex"]) for e in entries
        }
    assert len(seen["revocation"]) == len(seen["suspension"]) == 6
    assert kit.verify(credentials[0].document).verified
    assert all(r.state is ImportRowState.ISSUED for r in rows_of(kit, job.id))


def test_a_refused_request_draws_no_index_and_opens_no_list(kit: Kit) -> None:
    # beta has never issued: its first list would be opened by the first allocation
    definition = kit.published(other=True)
    past = kit.request(definition, validUntil="2020-01-01T00:00:00Z")
    good = kit.request(definition, learner={"name": "Bo Berg", "email": "bo@beta.example"})
    with kit.uow() as tx:
        with pytest.raises(InvalidInput, match="validUntil|expires"), tx.session.begin_nested():
            kit.issuance.issue_in(tx, kit.other_admin, kit.other_issuer.id, past)
        # expiring the moment it is issued: refused before the allocation too
        now = kit.clock.now().replace(microsecond=0).isoformat()
        with pytest.raises(InvalidInput, match="expires"), tx.session.begin_nested():
            kit.issuance.issue_in(
                tx, kit.other_admin, kit.other_issuer.id, kit.request(definition, validUntil=now)
            )
        assert tx.status_lists.list_for_issuer(kit.other_issuer.id) == []
        issued = kit.issuance.issue_in(tx, kit.other_admin, kit.other_issuer.id, good)
        tx.commit()
    assert _status(kit, dict(issued.document))["status.revocation"][0] == "passed"


# --------------------------------------------------------------------------- retries


class _Flaky:
    """A status allocator that refuses ``failures`` times (retryable or not), then allocates."""

    def __init__(self, inner: Any, failures: int, *, retryable: bool = True) -> None:
        self.inner = inner
        self.failures = failures
        self.retryable = retryable
        self.calls = 0

    def allocate_entries(
        self, tx: UnitOfWork, issuer_id: uuid.UUID, credential_id: uuid.UUID
    ) -> list[dict[str, Any]]:
        self.calls += 1
        entries = self.inner.allocate_entries(tx, issuer_id, credential_id)
        if self.calls <= self.failures:
            # the entries are written: the rollback of this attempt must release them
            raise Conflict("deadlock detected", retryable=self.retryable)
        return entries  # type: ignore[no-any-return]


def _service(kit: Kit, allocator: _Flaky) -> IssuanceService:
    engine = kit.engine
    placeholder = Verifier(engine.registry, engine.loader, engine.vm_resolver, kit.clock)
    return IssuanceService(
        kit.uow,
        kit.issuers,
        IssuancePipeline(engine.registry, engine.loader, placeholder),
        engine.loader,
        base_url="https://credentials.example.edu",
        status=allocator,
    )


def test_a_retryable_conflict_reruns_the_whole_transaction(kit: Kit) -> None:
    definition = kit.published()
    flaky = _Flaky(kit.platform.status, failures=2)
    issued = _service(kit, flaky).issue(
        kit.registrar, kit.issuer.id, kit.request(definition, idempotencyKey="retry-1")
    )
    assert flaky.calls == 3
    with kit.uow(read_only=True) as tx:
        [row] = tx.credentials.list_for_issuer(kit.issuer.id)
        lists = tx.status_lists.list_for_issuer(kit.issuer.id)
        allocated = sum(tx.status_lists.count_entries(kit.issuer.id, lst.id) for lst in lists)
    assert row.id == issued.id
    assert allocated == 2  # the two failed attempts' entries were rolled back
    assert kit.verify(issued.document).verified


def test_retries_are_bounded_and_only_for_retryable_conflicts(kit: Kit) -> None:
    definition = kit.published()
    always = _Flaky(kit.platform.status, failures=100)
    with pytest.raises(Conflict, match="deadlock"):
        _service(kit, always).issue(kit.registrar, kit.issuer.id, kit.request(definition))
    assert always.calls == 5
    final = _Flaky(kit.platform.status, failures=1, retryable=False)
    with pytest.raises(Conflict, match="deadlock"):
        _service(kit, final).issue(kit.registrar, kit.issuer.id, kit.request(definition))
    assert final.calls == 1
    with kit.uow(read_only=True) as tx:
        assert tx.credentials.list_for_issuer(kit.issuer.id) == []


def test_a_bulk_import_batch_is_retried_too(kit: Kit) -> None:
    definition = kit.published()
    flaky = _Flaky(kit.platform.status, failures=1)
    # the one-row path (the bulk path allocates a chunk's entries in one round, not per row)
    imports = ImportService.for_issuance(kit.uow, _service(kit, flaky), path="single")
    job = imports.create_job(
        kit.registrar, kit.issuer.id, cohort_csv(3), "cohort.csv", import_request(definition)
    )
    done = imports.run_job(kit.registrar, kit.issuer.id, job.id, batch_size=10)
    assert done.issued_rows == 3 and done.failed_rows == 0
    assert flaky.calls == 4  # the first batch failed on its first row and ran again
    assert len(credentials_of(kit)) == 3


def test_issue_request_model_is_unchanged() -> None:
    # the status entries are the platform's business: a request cannot name them
    with pytest.raises(InvalidInput):
        IssueRequest.from_json(
            {
                "definitionId": str(uuid.uuid4()),
                "learnerId": str(uuid.uuid4()),
                "credentialStatus": [],
            }
        )


# --------------------------------------------------------------------------- TTL


class _Clock:
    def __init__(self, at: Any) -> None:
        self.at = at

    def now(self) -> Any:
        return self.at


def test_the_ttl_setting_bounds_what_a_caching_verifier_misses(kit_factory: Any) -> None:
    from datetime import timedelta

    from microcred.services.verifier import build_platform_verifier
    from microcred.status.fetchers import CachingStatusListFetcher, LocalStatusListFetcher

    kit = kit_factory(settings={"status_ttl_seconds": 60})
    assert kit.platform.status.cache_control == "public, max-age=60"
    issued = kit.issuance.issue(kit.registrar, kit.issuer.id, kit.request(kit.published()))
    url = issued.document["credentialStatus"][0]["statusListCredential"]
    published = kit.platform.status.published_list(url)
    assert published is not None and published["credentialSubject"]["ttl"] == 60_000

    # a verifier elsewhere caching as the HTTP answer allows (max-age 60), given as an empty
    # caching fetcher (regression: an empty cache is falsy and was once replaced)
    clock = _Clock(kit.clock.now())
    cached = CachingStatusListFetcher(
        LocalStatusListFetcher(kit.platform.status.published_list, max_age=60),
        clock,
        ttl=timedelta(days=1),
    )
    remote = build_platform_verifier(
        kit.engine, kit.platform.status, clock, allow_network=False, fetcher=cached
    )
    document = dict(issued.document)
    assert remote.verify_credential(document).verified
    kit.platform.status.revoke(kit.registrar, kit.issuer.id, issued.id, "withdrawn")
    clock.at += timedelta(seconds=59)
    assert remote.verify_credential(document).verified  # still the cached list
    clock.at += timedelta(seconds=1)
    assert not remote.verify_credential(document).verified  # at most the TTL later
    # the platform's own verifier reads its lists in-process: at once
    assert not kit.verify(document).verified
