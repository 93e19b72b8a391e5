"""Use case: export an issued credential as a signed ELM v3 European Digital Credential.

Reads the stored credential (access checked by the issuance service), maps it with
:func:`microcred.elm.to_elm` (the learner's name from the learner record when the caller
may read learners; a generated PNG badge as the page image), and signs it with the issuer's
active key (``eddsa-jcs-2022``, ADR 0006). Nothing is written. ``show`` reads any ELM
document (ours, an official sample, a sealed EDC) and verifies it with the platform verifier.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from microcred.certificates.badge import badge_png
from microcred.clock import Clock
from microcred.elm import to_elm
from microcred.elm.reading import ElmView, is_elm, read_elm
from microcred.elm.sealing import open_sealed
from microcred.elm.signing import sign_elm
from microcred.errors import InvalidInput, PermissionDenied
from microcred.keys.protocols import Signer
from microcred.proof.registry import CryptosuiteRegistry
from microcred.services.access import Principal
from microcred.services.issuance import IssuanceService
from microcred.verification.report import VerificationReport
from microcred.verification.verifier import Verifier

__all__ = ["ElmService", "ElmShown", "build_elm_service", "show_elm"]


class _Signers(Protocol):
    def signer_for_issuer(self, issuer_id: uuid.UUID) -> AbstractContextManager[Signer]: ...


@dataclass(frozen=True)
class ElmShown:
    """An ELM document read for display, with its verification report."""

    view: ElmView | None
    report: VerificationReport

    def to_json(self) -> dict[str, Any]:
        return {
            "elm": self.view.to_json() if self.view is not None else None,
            "report": self.report.to_json(),
        }


class ElmService:
    """Exports issued credentials as ELM v3 and shows ELM documents."""

    def __init__(
        self,
        issuance: IssuanceService,
        signers: _Signers,
        registry: CryptosuiteRegistry,
        verifier: Verifier,
        clock: Clock,
    ) -> None:
        self._issuance = issuance
        self._signers = signers
        self._registry = registry
        self._verifier = verifier
        self._clock = clock

    def export(
        self, principal: Principal, issuer_id: uuid.UUID, credential_id: uuid.UUID
    ) -> dict[str, Any]:
        """The signed ELM document of one issued credential."""
        issued = self._issuance.get_credential(principal, issuer_id, credential_id)
        name: str | None = None
        if issued.learner_id is not None:
            try:
                name = self._issuance.get_learner(principal, issuer_id, issued.learner_id).name
            except PermissionDenied:
                name = None
        return self.export_document(issuer_id, issued.document, learner_name=name)

    def export_document(
        self, issuer_id: uuid.UUID, document: Mapping[str, Any], *, learner_name: str | None
    ) -> dict[str, Any]:
        """Map and sign a stored credential ``document`` of ``issuer_id`` (no access check:
        callers have already read the credential, e.g. its learner in the wallet)."""
        subject = document.get("credentialSubject")
        achievement = subject.get("achievement") if isinstance(subject, Mapping) else None
        title = achievement.get("name") if isinstance(achievement, Mapping) else None
        issuer = document.get("issuer")
        issuer_name = issuer.get("name") if isinstance(issuer, Mapping) else None
        image = badge_png(
            title if isinstance(title, str) else "Micro-credential",
            issuer_name=issuer_name if isinstance(issuer_name, str) else None,
        )
        unsigned = to_elm(document, learner_name=learner_name, display_image=image)
        with self._signers.signer_for_issuer(issuer_id) as signer:
            return sign_elm(unsigned, self._registry, signer, created=self._clock.now())

    def show(self, document: object) -> ElmShown:
        """:func:`show_elm` with the platform's verifier."""
        return show_elm(self._verifier, document)


def show_elm(verifier: Verifier, document: object) -> ElmShown:
    """Read and verify an ELM document (plain or sealed); :class:`InvalidInput` if it is no
    European Digital Credential."""
    sealed = open_sealed(document)
    inner = sealed.payload if sealed is not None else document
    if not is_elm(inner) or not isinstance(inner, Mapping):
        raise InvalidInput(
            "this is not a European Digital Credential (ELM v3): its type does not "
            "include EuropeanDigitalCredential"
        )
    return ElmShown(read_elm(inner), verifier.verify_credential(document))


def build_elm_service(platform: Any) -> ElmService:
    """The ELM service of a built :class:`~microcred.services.platform.Platform`."""
    return ElmService(
        platform.issuance,
        platform.issuers,
        platform.engine.registry,
        platform.engine.verifier,
        platform.clock,
    )
