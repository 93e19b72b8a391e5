"""Tenant scoping: one issuer's ids never reach another issuer's data."""

from __future__ import annotations

import pytest

from microcred.errors import Conflict, NotFound
from microcred.storage import (
    ApiToken,
    ImportJob,
    Issuer,
    StatusList,
    StatusPurpose,
    UnitOfWorkFactory,
)


def test_reads_with_the_wrong_issuer_find_nothing(
    uow: UnitOfWorkFactory, issuer: Issuer, other_issuer: Issuer, factory
) -> None:
    version = factory.published_version(issuer)
    learner = factory.learner(issuer)
    credential = factory.issued(issuer, version, learner)
    with uow() as tx:
        token = tx.api_tokens.add(
            ApiToken(issuer_id=issuer.id, name="t", token_hash="th", prefix="mc_t")
        )
        job = tx.imports.add_job(
            ImportJob(
                issuer_id=issuer.id,
                definition_version_id=version.id,
                file_name="a.csv",
                column_mapping={},
            )
        )
        status_list = tx.status_lists.add_list(
            StatusList(
                issuer_id=issuer.id,
                purpose=StatusPurpose.REVOCATION,
                size=8,
                bitstring=bytes(1),
            )
        )
        tx.commit()

    b = other_issuer.id
    with uow() as tx:
        lookups = [
            lambda: tx.definitions.get(b, version.definition_id),
            lambda: tx.definitions.get_version(b, version.id),
            lambda: tx.definitions.update_draft(b, version.id, {}),
            lambda: tx.definitions.publish(b, version.id),
            lambda: tx.learners.get(b, learner.id),
            lambda: tx.learners.update(b, learner.id, {"name": "x"}),
            lambda: tx.credentials.get(b, credential.id),
            lambda: tx.credentials.revoke(b, credential.id, "x"),
            lambda: tx.credentials.suspend(b, credential.id, "x"),
            lambda: tx.credentials.mark_claimed(b, credential.id),
            lambda: tx.credentials.replace_document(b, credential.id, {}),
            lambda: tx.api_tokens.get(b, token.id),
            lambda: tx.api_tokens.revoke(b, token.id),
            lambda: tx.imports.get_job(b, job.id),
            lambda: tx.imports.claim_pending_rows(b, job.id),
            lambda: tx.imports.mark_row_failed(b, job.id, 1, "x"),
            lambda: tx.status_lists.get_list(b, status_list.id),
            lambda: tx.status_lists.add_entry(b, status_list.id, 0, credential.id),
        ]
        for lookup in lookups:
            with pytest.raises(NotFound):
                lookup()
        assert tx.definitions.find_by_slug(b, "data-literacy") is None
        assert tx.learners.find_by_external_id(b, learner.external_id or "") is None
        assert tx.credentials.find_by_uri(b, credential.credential_uri) is None
        assert tx.credentials.list_for_issuer(b) == []
        assert tx.learners.list_for_issuer(b) == []
        assert tx.definitions.list_for_issuer(b) == []
        assert tx.api_tokens.list_for_issuer(b) == []
        assert tx.imports.list_jobs(b) == []
        assert tx.status_lists.list_for_issuer(b) == []
        assert tx.status_lists.entries_for_credential(b, credential.id) == []
        assert tx.issuers.find_key_by_verification_method(b, "x") is None


def test_the_database_refuses_cross_tenant_references(
    uow: UnitOfWorkFactory, issuer: Issuer, other_issuer: Issuer, factory
) -> None:
    """A credential of issuer B cannot point at issuer A's definition version or learner."""
    version_a = factory.published_version(issuer)
    learner_a = factory.learner(issuer)
    learner_b = factory.learner(other_issuer)
    version_b = factory.published_version(other_issuer)
    with uow() as tx, pytest.raises(Conflict, match="refers to something that does not exist"):
        tx.credentials.add(factory.credential(other_issuer, version_a, learner_b))
    with uow() as tx, pytest.raises(Conflict, match="refers to something that does not exist"):
        tx.credentials.add(factory.credential(other_issuer, version_b, learner_a))
    with uow() as tx, pytest.raises(Conflict, match="refers to something that does not exist"):
        tx.imports.add_job(
            ImportJob(
                issuer_id=other_issuer.id,
                definition_version_id=version_a.id,
                file_name="x.csv",
                column_mapping={},
            )
        )
