"""CLR 2.0 transcripts: a learner's chosen credentials as one signed ``ClrCredential``.

(docs/clr.md.) The record is composed by :func:`microcred.definition.clr.compose_clr` — the
chosen credentials unchanged in ``credentialSubject.verifiableCredential`` (each keeps its
own proof), their achievements listed — and signed by the issuer of the credentials with
its current key, then verified before it is handed out. A learner's wallet belongs to one
issuer, so a record holds credentials of one issuer. Revoked, suspended and replaced
credentials are refused (a transcript must not carry them). A pathway award whose parts are in
the record too is linked to them by CLR ``association`` entries (``isParentOf``/``isPartOf``
between the achievements, read from the award's signed part evidence).

Records are not stored: every export is signed afresh (its ``validFrom`` is the export time).
Importing a record is verifying it: the platform's verifier checks the record and every
credential in it (``clr.credential``), behind the public verifier page, the VC-API
``/credentials/verify`` and ``microcred clr verify``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Annotated, Any, Protocol

from pydantic import Field

from microcred.clock import Clock
from microcred.definition.clr import MAX_CLR_CREDENTIALS, compose_clr, part_associations
from microcred.errors import Conflict, InvalidInput, NotFound
from microcred.keys.protocols import Signer
from microcred.model import IdentityObject
from microcred.model.base import StrictModel
from microcred.services._support import UUIDField, issuer_profile
from microcred.services.access import Permission, Principal, require
from microcred.services.audit import record_audit
from microcred.services.pathways import PART_GENRE
from microcred.services.sharing import WalletIdentity
from microcred.storage import UnitOfWork, UnitOfWorkFactory
from microcred.storage.tables import Credential, CredentialState, Issuer

__all__ = ["ClrExportRequest", "ClrService", "learner_of"]


class _Signers(Protocol):
    def signer_for_issuer(self, issuer_id: uuid.UUID) -> AbstractContextManager[Signer]: ...


class _Pipeline(Protocol):
    def sign(
        self, unsigned: Mapping[str, Any], signer: Signer, suite_name: str, *, now: datetime
    ) -> dict[str, Any]: ...

    def self_verify(self, secured: dict[str, Any]) -> None: ...


class ClrExportRequest(StrictModel):
    """Which credentials of which learner go into the record (order kept, duplicates dropped)."""

    learner_id: UUIDField
    credential_ids: Annotated[list[UUIDField], Field(min_length=1, max_length=MAX_CLR_CREDENTIALS)]
    name: Annotated[str, Field(min_length=1, max_length=300)] | None = None


def learner_of(document: Mapping[str, Any]) -> str | list[IdentityObject]:
    """How a credential names its learner: the subject's ``id``, else its identifiers."""
    subject = document.get("credentialSubject")
    if isinstance(subject, list):
        subject = subject[0] if subject else None
    if not isinstance(subject, Mapping):
        raise InvalidInput("a chosen credential names no learner")
    if isinstance(subject.get("id"), str):
        return str(subject["id"])
    identifiers = subject.get("identifier")
    if isinstance(identifiers, list) and identifiers:
        return [IdentityObject.from_json(i) for i in identifiers]
    raise InvalidInput("a chosen credential names no learner")


class ClrService:
    """Exports signed CLR 2.0 records (see the module docstring)."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        signers: _Signers,
        pipeline: _Pipeline,
        clock: Clock,
        *,
        suite_name: str = "eddsa-rdfc-2022",
    ) -> None:
        self._uow = uow
        self._signers = signers
        self._pipeline = pipeline
        self._clock = clock
        self._suite = suite_name

    def export(
        self, principal: Principal, issuer_id: uuid.UUID, request: ClrExportRequest
    ) -> dict[str, Any]:
        """A signed record of some of a learner's credentials (``credential:issue``)."""
        require(principal, issuer_id, Permission.CREDENTIAL_ISSUE)
        with self._uow() as tx:
            issuer = tx.issuers.get(issuer_id)
            tx.learners.get(issuer_id, request.learner_id)
            rows = self._rows(tx, issuer_id, request.learner_id, request.credential_ids)
            record = self._sign(issuer, rows, request.name)
            record_audit(
                tx,
                principal,
                "clr.export",
                issuer_id=issuer_id,
                target_type="learner",
                target_id=request.learner_id,
                details={"record": record["id"], "credentials": len(rows)},
            )
            tx.commit()
        return record

    def export_for_wallet(
        self,
        wallet: WalletIdentity,
        credential_ids: Sequence[uuid.UUID],
        *,
        name: str | None = None,
    ) -> dict[str, Any]:
        """The learner's own record from their wallet (others' credentials are NotFound)."""
        if not credential_ids:
            raise InvalidInput("choose at least one credential for the record")
        if len(credential_ids) > MAX_CLR_CREDENTIALS:
            raise InvalidInput(f"a record holds at most {MAX_CLR_CREDENTIALS} credentials")
        with self._uow() as tx:
            issuer = tx.issuers.get(wallet.issuer_id)
            rows = self._rows(tx, wallet.issuer_id, wallet.learner_id, credential_ids)
            record = self._sign(issuer, rows, name)
            record_audit(
                tx,
                None,
                "clr.export",
                issuer_id=wallet.issuer_id,
                target_type="learner",
                target_id=wallet.learner_id,
                details={"record": record["id"], "credentials": len(rows), "by": "learner"},
            )
            tx.commit()
        return record

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _rows(
        tx: UnitOfWork,
        issuer_id: uuid.UUID,
        learner_id: uuid.UUID,
        credential_ids: Sequence[uuid.UUID],
    ) -> list[Credential]:
        rows: list[Credential] = []
        for credential_id in dict.fromkeys(credential_ids):
            try:
                row = tx.credentials.get(issuer_id, credential_id)
            except NotFound:
                row = None
            if row is None or row.learner_id != learner_id:
                raise NotFound(f"credential {credential_id} not found for this learner")
            if row.state in (CredentialState.REVOKED, CredentialState.SUSPENDED):
                raise Conflict(
                    f"credential {credential_id} is {row.state.value}: a record must not carry it"
                )
            if row.replaced_by_id is not None:
                raise Conflict(
                    f"credential {credential_id} was replaced by a corrected credential: "
                    "choose that one"
                )
            rows.append(row)
        return rows

    def _sign(self, issuer: Issuer, rows: list[Credential], name: str | None) -> dict[str, Any]:
        documents = [row.document for row in rows]
        now = self._clock.now()
        unsigned = compose_clr(
            documents,
            learner_of(documents[0]),
            issuer_profile(issuer),
            credential_id=f"urn:uuid:{uuid.uuid4()}",
            valid_from=now,
            name=name or f"Learner record from {issuer.name}",
            # a pathway award and the parts it rests on, when the record holds both
            associations=part_associations(documents, part_genre=PART_GENRE),
        )
        with self._signers.signer_for_issuer(issuer.id) as signer:
            signed = self._pipeline.sign(unsigned, signer, self._suite, now=now)
        self._pipeline.self_verify(signed)
        return signed
