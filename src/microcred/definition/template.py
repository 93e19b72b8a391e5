"""A compiled credential template: :func:`compose_credential` for many learners, cheaply.

Every credential of one achievement and one issuer has the same JSON except for a few values:
its ``id``, ``validFrom``/``validUntil``, the learner (``credentialSubject.id`` or
``credentialSubject.identifier``), ``credentialSubject.result`` and ``evidence``. Building and
validating the OB 3.0 models for each of them costs ~0.2 ms per credential; a bulk import of
100,000 learners composes them all alike.

:class:`CredentialTemplate` composes once through the model path per *variant* (which of the
optional values are present, and whether the learner is a DID or an identifier) with
placeholder values, remembers the result, and then fills each credential's values into a copy
of the containers they live in (the top-level object and ``credentialSubject``; everything else
is shared with the template and must not be modified — signing and storing never modify a
document). The output is the model path's output, key order included
(``tests/unit/definition/test_template.py`` checks it byte for byte over random values).

The per-credential checks the models would make are made here directly: the learner is an
absolute URI (or a validated ``IdentityObject``), results and evidence are validated model
instances, every result points at a ``resultDescription`` the achievement defines,
``validUntil`` is not before ``validFrom``, datetimes are aware. Anything else (a list of
identifiers, values that are not model instances) goes through :func:`compose_credential`.

Pure: no clock, no randomness, no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from microcred.definition.compose import Learner, compose_credential, format_datetime
from microcred.errors import InvalidInput
from microcred.model.identity import IdentityObject
from microcred.model.openbadges import Achievement, Evidence, Profile, Result
from microcred.model.types import check_uri

__all__ = ["CredentialTemplate"]

# placeholders for the variable values (valid for the models; replaced in every credential)
_ID = "urn:uuid:00000000-0000-4000-8000-000000000000"
_DID = "did:example:template"
_WHEN = datetime.fromisoformat("2000-01-01T00:00:00+00:00")
_LATER = datetime.fromisoformat("2100-01-01T00:00:00+00:00")
_IDENTITY = IdentityObject(
    hashed=True,
    identity_hash="sha256$" + "0" * 64,
    identity_type="emailAddress",
    salt="0",
)
_EVIDENCE = Evidence(id="https://example.org/evidence")

#: (learner is a DID, has result, has evidence, has validUntil)
_Variant = tuple[bool, bool, bool, bool]


class CredentialTemplate:
    """``compose_credential(achievement, learner, issuer, ...)`` for many learners.

    ``compose`` takes the per-credential arguments of :func:`compose_credential` (the others are
    fixed: no ``name``/``description``/``image`` override, no status, the default schema type)
    and returns what it would return, or raises :class:`InvalidInput` where it would.
    """

    def __init__(self, achievement: Achievement, issuer: Profile | str) -> None:
        if not isinstance(achievement, Achievement):
            raise InvalidInput("achievement must be an Achievement")
        if not isinstance(issuer, Profile | str):
            raise InvalidInput("issuer must be a Profile or an issuer URI")
        self._achievement = achievement
        self._issuer = issuer
        self._known = frozenset(rd.id for rd in achievement.result_description or [])
        self._variants: dict[_Variant, dict[str, Any]] = {}

    def compose(
        self,
        learner: Learner,
        *,
        credential_id: str,
        valid_from: datetime,
        valid_until: datetime | None = None,
        result: Sequence[Result] | None = None,
        evidence: Sequence[Evidence] | None = None,
    ) -> dict[str, Any]:
        """The unsigned credential (see :func:`compose_credential`)."""
        if not (
            (type(learner) is str or type(learner) is IdentityObject)
            and all(type(r) is Result for r in result or ())
            and all(type(e) is Evidence for e in evidence or ())
            and type(credential_id) is str
        ):
            return self._slow(learner, credential_id, valid_from, valid_until, result, evidence)
        is_did = type(learner) is str
        variant = (is_did, bool(result), bool(evidence), valid_until is not None)
        frame = self._variants.get(variant)
        if frame is None:
            frame = self._variants[variant] = self._frame(variant)
        # the model path's checks on the values that vary; anything refused (or unusual) goes
        # through the model path, which raises its own error
        try:
            if is_did:
                check_uri(learner)  # type: ignore[arg-type]
            check_uri(credential_id)
            start = format_datetime(valid_from)
            end = format_datetime(valid_until) if valid_until is not None else None
            if valid_until is not None and valid_until < valid_from:
                raise ValueError("validUntil is earlier than validFrom")
            for item in result or ():
                described = item.result_description
                if described is not None and self._known and described not in self._known:
                    raise ValueError("unknown resultDescription")
        except (ValueError, InvalidInput):
            return self._slow(learner, credential_id, valid_from, valid_until, result, evidence)
        document = dict(frame)
        document["id"] = credential_id
        document["validFrom"] = start
        if end is not None:
            document["validUntil"] = end
        if evidence:
            document["evidence"] = [item.to_json() for item in evidence]
        subject = dict(frame["credentialSubject"])
        if is_did:
            subject["id"] = learner
        else:
            subject["identifier"] = [learner.to_json()]  # type: ignore[union-attr]
        if result:
            subject["result"] = [item.to_json() for item in result]
        document["credentialSubject"] = subject
        return document

    # ------------------------------------------------------------------ internals

    def _frame(self, variant: _Variant) -> dict[str, Any]:
        is_did, has_result, has_evidence, has_until = variant
        results: list[Result] | None = None
        if has_result:
            description = next(iter(sorted(self._known)), None)
            results = [Result(value="x", result_description=description)]
        return compose_credential(
            self._achievement,
            _DID if is_did else _IDENTITY,
            self._issuer,
            credential_id=_ID,
            valid_from=_WHEN,
            valid_until=_LATER if has_until else None,
            result=results,
            evidence=[_EVIDENCE] if has_evidence else None,
        )

    def _slow(
        self,
        learner: Any,
        credential_id: str,
        valid_from: datetime,
        valid_until: datetime | None,
        result: Sequence[Result] | None,
        evidence: Sequence[Evidence] | None,
    ) -> dict[str, Any]:
        return compose_credential(
            self._achievement,
            learner,
            self._issuer,
            credential_id=credential_id,
            valid_from=valid_from,
            valid_until=valid_until,
            result=result,
            evidence=evidence,
        )
