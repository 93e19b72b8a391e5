"""The verifier: runs every applicable check and returns a report.

``Verifier.verify_credential`` follows VC Data Model 2.0 §7 (Verification) and
Data Integrity 1.0 §4.4-§4.5: structure first; if the input is a credential at
all, then JSON-LD contexts and terms, the Open Badges fields, every proof, the
issuer's key, the validity period against the injected clock, then the hook
families (revocation status, blockchain anchor). ``verify_presentation`` checks a
presentation (VC Data Model 2.0 §4.13, proof purpose ``authentication`` with an
optional challenge and domain) and every credential in it.

A bad credential yields a report with failed checks; only misuse raises: passing
raw text or bytes (parse JSON first) or a clock without a timezone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from microcred.clock import Clock
from microcred.elm.reading import is_elm
from microcred.elm.sealing import SealedCredential, open_sealed
from microcred.errors import JwtError, MicrocredError
from microcred.jsonld.protocols import DocumentLoader
from microcred.proof.data_integrity import verify_proofs
from microcred.proof.jose.vc_jwt import VcJwt, read_vc_jwt
from microcred.proof.purposes import VerificationMethodLike, VerificationMethodLookup
from microcred.proof.registry import CryptosuiteRegistry
from microcred.verification import codes
from microcred.verification.checks.base import Check, CheckContext, as_list, type_values
from microcred.verification.checks.dates import DatesCheck
from microcred.verification.checks.elm import ElmAwareJsonLdCheck, ElmCheck, apply_seal
from microcred.verification.checks.embedded import (
    MAX_EMBEDDED,
    MAX_NESTING,
    clr_credentials,
    clr_result,
    endorsement_result,
    find_endorsements,
    is_clr,
)
from microcred.verification.checks.eu import EUElementsCheck
from microcred.verification.checks.hooks import AnchorPlaceholder, StatusPlaceholder
from microcred.verification.checks.issuer import IssuerKeyCheck
from microcred.verification.checks.jsonld import JsonLdCheck
from microcred.verification.checks.jwt import (
    JwsCheck,
    JwtIssuerKeyCheck,
    jwt_structure_result,
    jwt_token,
)
from microcred.verification.checks.openbadges import OpenBadgesCheck
from microcred.verification.checks.presentation import (
    check_presentation_structure,
    check_presentation_type,
    embedded_credentials,
)
from microcred.verification.checks.proofs import ProofCheck, proof_check_results
from microcred.verification.checks.structure import StructureCheck, check_object
from microcred.verification.report import CheckFailed, CheckResult, Outcome, VerificationReport

__all__ = ["Verifier", "summarize"]

# Exceptions a check may hit on hostile input deep inside a library; they fail
# the check (closed) instead of crashing the verifier.
_MALFORMED_INPUT_ERRORS = (
    TypeError,
    ValueError,
    KeyError,
    IndexError,
    AttributeError,
    ArithmeticError,  # e.g. OverflowError: an integer too large for a float
)


class _CachingLookup:
    """Resolves each verification method once per verification (proof and issuer checks)."""

    def __init__(self, inner: VerificationMethodLookup) -> None:
        self._inner = inner
        self._cache: dict[tuple[str, str], VerificationMethodLike | MicrocredError] = {}

    def resolve(self, vm_url: str, purpose: str = "assertionMethod") -> VerificationMethodLike:
        key = (vm_url, purpose)
        if key not in self._cache:
            try:
                self._cache[key] = self._inner.resolve(vm_url, purpose)
            except MicrocredError as error:
                self._cache[key] = error
        found = self._cache[key]
        if isinstance(found, MicrocredError):
            raise found
        return found


def _reject_misuse(value: object, what: str) -> None:
    if isinstance(value, str | bytes | bytearray | memoryview):
        raise TypeError(
            f"verify_{what} takes the parsed JSON value (a dict), not {type(value).__name__}; "
            "parse the text with json.loads first"
        )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def summarize(document: Mapping[str, Any]) -> dict[str, Any]:
    """What a report is about, for display: only text fields, never nested data."""
    summary: dict[str, Any] = {}
    for key in ("id", "name", "validFrom", "validUntil", "issuanceDate", "expirationDate"):
        if (value := _text(document.get(key))) is not None:
            summary[key] = value
    types = type_values(document)
    if types:
        summary["type"] = types
    issuer = document.get("issuer")
    if isinstance(issuer, str):
        summary["issuer"] = issuer
    elif isinstance(issuer, Mapping):
        if (ident := _text(issuer.get("id"))) is not None:
            summary["issuer"] = ident
        if (name := _text(issuer.get("name"))) is not None:
            summary["issuerName"] = name
    holder = document.get("holder")
    if isinstance(holder, Mapping):
        holder = holder.get("id")
    if (holder_id := _text(holder)) is not None:
        summary["holder"] = holder_id
    subjects = [s for s in as_list(document.get("credentialSubject")) if isinstance(s, Mapping)]
    subject_ids = [s["id"] for s in subjects if isinstance(s.get("id"), str)]
    if subject_ids:
        summary["subject"] = subject_ids[0] if len(subject_ids) == 1 else subject_ids
    if len(subjects) == 1:
        achievement = subjects[0].get("achievement")
        if (
            isinstance(achievement, Mapping)
            and (title := _text(achievement.get("name"))) is not None
        ):
            summary["achievement"] = title
    return summary


def _run(check: Check, document: Mapping[str, Any], context: CheckContext) -> list[CheckResult]:
    family = check.family
    try:
        results = list(check.run(document, context))
    except CheckFailed as failure:
        return [failure.to_result()]
    except MicrocredError as error:
        return [
            CheckResult.failed(
                f"{family}.error",
                f"This check could not be completed: {error.detail}",
                type=error.type_uri,
            )
        ]
    except _MALFORMED_INPUT_ERRORS as error:
        return [
            CheckResult.failed(
                f"{family}.error",
                "This check could not be completed: the document is malformed in a way "
                "this verifier cannot read.",
                exception=type(error).__name__,
            )
        ]
    except RecursionError:
        return [
            CheckResult.failed(
                f"{family}.error",
                "This check could not be completed: the document is nested too deeply.",
            )
        ]
    if not results:
        return [CheckResult.skipped(family, "Nothing to check.")]
    return results


# An endorsement that only expired or was withdrawn (revoked/suspended) by its endorser
# says nothing against the endorsed credential: a warning, not a failure.
_STANDING_CODES = frozenset({codes.DATES_VALID_UNTIL, "status.revocation", "status.suspension"})


def _soften(result: CheckResult) -> CheckResult:
    failed = set(result.details.get("failed") or ())
    if result.outcome is Outcome.FAILED and failed and failed <= _STANDING_CODES:
        message = result.message.replace(" did not verify: ", " is no longer current: ", 1)
        return CheckResult.warning(result.code, message, **dict(result.details))
    return result


class Verifier:
    """Verifies credentials and presentations; every collaborator is injected.

    ``extra_checks`` are check families (the :class:`Check` protocol) run after
    the built-in ones; one whose ``family`` equals a built-in family (``"status"``,
    ``"anchor"``, ``"dates"``, ...) replaces it. ``"structure"`` cannot be replaced.
    """

    def __init__(
        self,
        registry: CryptosuiteRegistry,
        loader: DocumentLoader,
        vm_resolver: VerificationMethodLookup,
        clock: Clock,
        extra_checks: Sequence[Check] = (),
    ) -> None:
        extras = tuple(extra_checks)
        families = [c.family for c in extras]
        if len(set(families)) != len(families):
            raise ValueError(f"extra_checks has two checks of one family: {families}")
        if codes.FAMILY_STRUCTURE in families:
            raise ValueError("the structure checks cannot be replaced")
        self._registry = registry
        self._loader = loader
        self._vm_resolver = vm_resolver
        self._clock = clock
        self._extras = extras

    # ------------------------------------------------------------------ helpers

    def _now_context(self) -> CheckContext:
        now = self._clock.now()
        if now.tzinfo is None:
            raise ValueError("the verifier's clock must return timezone-aware datetimes")
        return CheckContext(now)

    def _families(self, lookup: VerificationMethodLookup, jwt: VcJwt | None = None) -> list[Check]:
        builtins: list[Check] = [
            ElmAwareJsonLdCheck(self._loader),
            OpenBadgesCheck(),
            ProofCheck(self._registry, lookup)
            if jwt is None
            else JwsCheck(jwt, self._registry, lookup),
            IssuerKeyCheck(self._registry, lookup)
            if jwt is None
            else JwtIssuerKeyCheck(jwt, self._registry, lookup),
            DatesCheck(),
            EUElementsCheck(),
            StatusPlaceholder(),
            AnchorPlaceholder(),
        ]
        replacing = {c.family: c for c in self._extras}
        ordered = [replacing.pop(c.family, c) for c in builtins]
        return ordered + [c for c in self._extras if c.family in replacing]

    def _not_run(self, reason: str) -> list[CheckResult]:
        families = [c.family for c in self._families(self._vm_resolver)]
        return [CheckResult.skipped(family, reason) for family in families]

    # ------------------------------------------------------------------ API

    def verify_credential(self, credential: object) -> VerificationReport:
        """Check ``credential`` (a parsed JSON value) and report every check.

        A credential inside a JAdES / JWS envelope (a sealed European Digital Credential,
        as JSON or as a compact JWS string) is checked from inside the envelope; the seal
        itself is reported as not checked (``elm.seal``, a warning) and the verdict is not
        "verified" (see :func:`microcred.verification.checks.elm.apply_seal`).

        A VC-JWT (a compact JWS text, or an ``EnvelopedVerifiableCredential`` carrying one) is
        checked like any credential, its JSON Web Signature in place of a Data Integrity
        proof (verification/checks/jwt.py).
        """
        token = jwt_token(credential)
        if token is not None:
            return self._verify_jwt(token, self._now_context())
        sealed = open_sealed(credential)
        if sealed is not None:
            return self._verify_sealed(sealed, self._now_context())
        _reject_misuse(credential, "credential")
        context = self._now_context()
        return self._verify_credential(credential, context)

    def _verify_sealed(self, sealed: SealedCredential, context: CheckContext) -> VerificationReport:
        inner = self._verify_credential(sealed.payload, context)
        checks = apply_seal(inner.checks, sealed)
        summary = dict(inner.summary) | {"sealed": "jades" if sealed.jades else "jws"}
        verified_inside = all(c.outcome is not Outcome.FAILED for c in checks)
        # Never "verified": the seal that would prove the issuer is not checked here.
        return VerificationReport(
            False, checks, summary=summary | {"checkedInsideSeal": verified_inside}
        )

    def _verify_jwt(self, token: str, context: CheckContext) -> VerificationReport:
        try:
            jwt = read_vc_jwt(token)
        except JwtError as error:
            unreadable = CheckResult.failed(
                codes.STRUCTURE_OBJECT,
                f"This is not a readable VC-JWT: {error.detail}.",
                format="vc+jwt",
            )
            return VerificationReport.from_checks(
                [unreadable, *self._not_run("Not checked: the token could not be read.")],
                summary={"format": "vc+jwt"},
            )
        report = self._verify_credential(jwt.credential, context, jwt=jwt)
        summary = {**report.summary, "format": "vc+jwt"}
        return VerificationReport(
            report.verified, report.checks, report.kind, summary, report.credentials
        )

    def _verify_credential(
        self,
        credential: object,
        context: CheckContext,
        depth: int = 0,
        *,
        jwt: VcJwt | None = None,
    ) -> VerificationReport:
        first = check_object(credential)
        if first.outcome is Outcome.FAILED or not isinstance(credential, Mapping):
            return VerificationReport.from_checks(
                [first, *self._not_run("Not checked: this is not a credential.")]
            )
        structure = list(StructureCheck().run(credential, context))
        if jwt is not None:
            structure = [
                jwt_structure_result(jwt) if c.code == codes.STRUCTURE_PROOF else c
                for c in structure
            ]
        checks = [first, *structure]
        embedded: list[VerificationReport] = []
        if not StructureCheck.is_credential(structure):
            checks += self._not_run("Not checked: this is not a credential.")
        else:
            lookup = _CachingLookup(self._vm_resolver)
            for family in self._families(lookup, jwt):
                checks += _run(family, credential, context)
            if is_elm(credential):
                checks += _run(ElmCheck(), credential, context)
            checks += self._embedded(credential, context, depth, embedded)
        return VerificationReport.from_checks(
            checks, summary=summarize(credential), credentials=embedded
        )

    def _embedded(
        self,
        credential: Mapping[str, Any],
        context: CheckContext,
        depth: int,
        reports: list[VerificationReport],
    ) -> list[CheckResult]:
        """Verify every endorsement and every credential of a CLR (verification/checks/
        embedded.py); the CLR's reports go to ``reports``."""
        try:
            endorsements = find_endorsements(credential)
            bundled = clr_credentials(credential) if is_clr(credential) else []
        except RecursionError:
            return [
                CheckResult.failed(
                    codes.EMBEDDED_NESTING, "The document is nested too deeply to be checked."
                )
            ]
        results: list[CheckResult] = []
        if is_clr(credential) and not bundled:
            results.append(
                CheckResult.failed(
                    codes.CLR_CREDENTIALS,
                    "The learner record (CLR) contains no credentials.",
                )
            )
        if not endorsements and not bundled:
            return results
        if depth + 1 >= MAX_NESTING or len(endorsements) + len(bundled) > MAX_EMBEDDED:
            return [
                *results,
                CheckResult.failed(
                    codes.EMBEDDED_NESTING,
                    "The document carries credentials nested too deeply or too many of them "
                    f"(at most {MAX_NESTING - 1} levels and {MAX_EMBEDDED} credentials) "
                    "for this verifier.",
                    depth=depth,
                    count=len(endorsements) + len(bundled),
                ),
            ]
        for index, found in enumerate(endorsements):
            report = (
                self._verify_credential(found.document, context, depth + 1)
                if isinstance(found.document, Mapping)
                else None
            )
            results.append(_soften(endorsement_result(index, found, report)))
        for index, entry in enumerate(bundled):
            report = (
                self._verify_credential(entry, context, depth + 1)
                if isinstance(entry, Mapping)
                else None
            )
            if report is not None:
                reports.append(report)
            results.append(clr_result(index, entry, report))
        return results

    def verify_presentation(
        self,
        presentation: object,
        *,
        challenge: str | None = None,
        domain: str | Sequence[str] | None = None,
    ) -> VerificationReport:
        """Check a presentation: its structure, its holder's proof (``authentication``,
        with ``challenge``/``domain`` when given) and every credential in it."""
        _reject_misuse(presentation, "presentation")
        context = self._now_context()
        kind = "presentation"
        first = check_object(presentation, what="presentation")
        if first.outcome is Outcome.FAILED or not isinstance(presentation, Mapping):
            return VerificationReport.from_checks([first], kind=kind)
        typed = check_presentation_type(presentation)
        checks = [first, typed]
        if typed.outcome is Outcome.FAILED:
            return VerificationReport.from_checks(
                checks, kind=kind, summary=summarize(presentation)
            )
        checks.append(check_presentation_structure(presentation))
        lookup = _CachingLookup(self._vm_resolver)
        checks += _run(JsonLdCheck(self._loader), presentation, context)
        checks += self._presentation_proofs(presentation, lookup, challenge, domain, context)
        reports: list[VerificationReport] = []
        entries = embedded_credentials(presentation)
        if not entries:
            checks.append(
                CheckResult.skipped(
                    codes.PRESENTATION_CREDENTIAL, "The presentation contains no credentials."
                )
            )
        for index, entry in enumerate(entries):
            enveloped = jwt_token(entry) if isinstance(entry, Mapping) else None
            if enveloped is not None:
                report = self._verify_jwt(enveloped, context)
                reports.append(report)
                checks.append(self._credential_result(index, entry, report))
                continue
            if isinstance(entry, Mapping) and "EnvelopedVerifiableCredential" in type_values(entry):
                checks.append(
                    CheckResult.skipped(
                        codes.PRESENTATION_CREDENTIAL,
                        f"Credential {index + 1} is enveloped (VC-JOSE/COSE), which this "
                        "verifier does not read yet.",
                        index=index,
                    )
                )
                continue
            report = self._verify_credential(entry, context)
            reports.append(report)
            checks.append(self._credential_result(index, entry, report))
        return VerificationReport.from_checks(
            checks, kind=kind, summary=summarize(presentation), credentials=reports
        )

    def _presentation_proofs(
        self,
        presentation: Mapping[str, Any],
        lookup: VerificationMethodLookup,
        challenge: str | None,
        domain: str | Sequence[str] | None,
        context: CheckContext,
    ) -> list[CheckResult]:
        if not as_list(presentation.get("proof")):
            if challenge is not None or domain is not None:
                return [
                    CheckResult.failed(
                        codes.PRESENTATION_PROOF,
                        "The presentation is not signed by its holder, so it does not answer "
                        "the challenge it was asked for.",
                    )
                ]
            return [
                CheckResult.warning(
                    codes.PRESENTATION_PROOF,
                    "The presentation is not signed by its holder: the credentials in it can "
                    "be checked, but not who presented them.",
                )
            ]
        try:
            results = verify_proofs(
                presentation,
                self._registry,
                lookup,
                expected_purpose="authentication",
                challenge=challenge,
                domain=domain,
                now=context.now,
            )
        except MicrocredError as error:
            return [
                CheckResult.failed(
                    codes.PROOF_ERROR,
                    f"The presentation's proofs could not be checked: {error.detail}",
                )
            ]
        return proof_check_results(results, what="presentation")

    @staticmethod
    def _credential_result(index: int, entry: object, report: VerificationReport) -> CheckResult:
        ident = entry.get("id") if isinstance(entry, Mapping) else None
        label = f"Credential {index + 1}" + (f" ({ident})" if isinstance(ident, str) else "")
        details = {
            "index": index,
            "id": ident if isinstance(ident, str) else None,
            "verified": report.verified,
            "failed": [c.code for c in report.failures],
        }
        if report.verified:
            return CheckResult.passed(
                codes.PRESENTATION_CREDENTIAL, f"{label} verified.", **details
            )
        reason = report.failures[0].message if report.failures else "it did not verify"
        return CheckResult.failed(
            codes.PRESENTATION_CREDENTIAL, f"{label} did not verify: {reason}", **details
        )
