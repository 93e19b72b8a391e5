"""The W3C VC-API endpoints: issue, verify credentials and presentations, read a credential.

Shapes and status codes follow the VC API specification (W3C CCG, "Verifiable Credential API
for Lifecycle Management", OpenAPI ``issuer.yml``/``verifier.yml``):

* ``POST /credentials/issue`` — body ``{credential, options}``; ``201`` ``{verifiableCredential}``;
  ``400`` when the credential cannot be issued (wrong ``issuer``, malformed, undefined terms).
  The caller authenticates (an API token or session holding ``credential:issue``); the issuer
  is the caller's issuer whose DID the credential names.
* ``options.format: "vc+jwt"`` on issue answers an ``EnvelopedVerifiableCredential`` carrying the
  VC-JWT of the stored credential; ``verifiableCredential`` on verify may be a VC-JWT text or
  an enveloped one (docs/vc-jwt.md).
* ``POST /credentials/verify`` — body ``{verifiableCredential, options}``; ``200`` with the
  verification result only when the credential verified, otherwise ``400`` whose problem
  details carry the same result (the spec's "200: successfully verified", "400: invalid
  input").
* ``POST /presentations/verify`` — body ``{verifiablePresentation | presentation, options:
  {challenge, domain}}``; per the spec ``200`` whenever verification could run, with
  ``verified`` true or false; ``400`` when the input cannot be evaluated at all.
* ``GET /credentials/{id}`` — ``{verifiableCredential}`` of a credential of the caller's issuer.

A verification result is ``{verified, checks, warnings, errors, problemDetails, report}``:
``checks`` names every check that ran, ``warnings``/``errors`` explain the ones that warned or
failed, ``problemDetails`` lists the failures as RFC 9457 objects (the spec's field), and
``report`` is microcred's full report (docs/verification.md).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from microcred.api.deps import PlatformDep, PrincipalDep
from microcred.api.errors import PROBLEM_JSON, problem_responses
from microcred.api.metrics import Metrics
from microcred.api.strict_json import StrictJsonRoute
from microcred.elm.sealing import open_sealed
from microcred.errors import InvalidInput, NotFound, PermissionDenied
from microcred.services.access import Permission, Principal
from microcred.services.issuance import SigningOptions
from microcred.services.platform import Platform
from microcred.services.vc_jwt import VcJwtService, enveloped_credential
from microcred.verification import Outcome, VerificationReport
from microcred.verification.checks.jwt import jwt_token

__all__ = [
    "CheckMessage",
    "IssueCredentialRequest",
    "VerifiableCredentialResponse",
    "VerificationResult",
    "VerifyCredentialRequest",
    "VerifyPresentationRequest",
    "router",
    "verification_result",
]

router = APIRouter(tags=["VC-API"], route_class=StrictJsonRoute)

_OURS = "https://microcred.dev/problems/"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class IssueCredentialOptions(_Strict):
    cryptosuite: Literal["eddsa-rdfc-2022", "eddsa-jcs-2022"] | None = Field(
        default=None, description="Data Integrity cryptosuite; default from the settings"
    )
    created: str | None = Field(
        default=None,
        description="The proof's `created` date-time (RFC 3339 with a timezone); default: now",
        max_length=64,
    )
    format: Literal["ldp_vc", "vc+jwt"] | None = Field(
        default=None,
        description="ldp_vc (default): the credential with its Data Integrity proof; vc+jwt: "
        "an EnvelopedVerifiableCredential whose id is data:application/vc+jwt,<VC-JWT> "
        "(docs/vc-jwt.md)",
    )


class IssueCredentialRequest(_Strict):
    credential: dict[str, Any] = Field(description="The unsigned credential (VC Data Model 2.0)")
    options: IssueCredentialOptions | None = None


class VerifiableCredentialResponse(BaseModel):
    verifiableCredential: dict[str, Any]  # noqa: N815 - the VC-API's name


class VerifyCredentialOptions(_Strict):
    returnCredential: bool = Field(  # noqa: N815 - the VC-API's name
        default=False, description="Echo the verified credential in the result"
    )


class VerifyCredentialRequest(_Strict):
    verifiableCredential: (
        dict[str, Any]
        | Annotated[  # noqa: N815
            str,
            Field(
                max_length=1024 * 1024,
                pattern=r"^\s*[A-Za-z0-9_=-]+\.[A-Za-z0-9_=-]*\.[A-Za-z0-9_=-]*\s*$",
                description="a VC-JWT (compact JWS: header.payload.signature)",
            ),
        ]
    ) = Field(description="A credential (JSON), an EnvelopedVerifiableCredential or a VC-JWT")
    options: VerifyCredentialOptions | None = None


class VerifyPresentationOptions(_Strict):
    challenge: str | None = Field(default=None, max_length=1024)
    domain: str | None = Field(default=None, max_length=1024)
    returnPresentation: bool = False  # noqa: N815


class VerifyPresentationRequest(_Strict):
    verifiablePresentation: dict[str, Any] | None = Field(  # noqa: N815
        default=None, description="A signed presentation"
    )
    presentation: dict[str, Any] | None = Field(
        default=None, description="An unsigned presentation (proofless request)"
    )
    options: VerifyPresentationOptions | None = None

    @model_validator(mode="after")
    def _one_presentation(self) -> VerifyPresentationRequest:
        if (self.verifiablePresentation is None) == (self.presentation is None):
            raise ValueError("give exactly one of verifiablePresentation or presentation")
        return self


class CheckMessage(BaseModel):
    code: str
    message: str


class ProblemDetail(BaseModel):
    type: str
    title: str
    detail: str


class VerificationResult(BaseModel):
    verified: bool
    checks: list[str] = Field(description="Codes of the checks that ran")
    warnings: list[CheckMessage]
    errors: list[CheckMessage]
    problemDetails: list[ProblemDetail]  # noqa: N815
    report: dict[str, Any] = Field(description="microcred's full report (docs/verification.md)")
    credential: dict[str, Any] | None = None
    verifiablePresentation: dict[str, Any] | None = None  # noqa: N815


class VerificationProblem(VerificationResult):
    """A ``400`` answer of a verify endpoint: problem details plus the verification result."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None


def verification_result(report: VerificationReport) -> dict[str, Any]:
    """The VC-API verification result of ``report`` (JSON)."""
    checks = [c for c in report.checks if c.outcome is not Outcome.SKIPPED]
    failures = report.failures
    return {
        "verified": report.verified,
        "checks": list(dict.fromkeys(c.code for c in checks)),
        "warnings": [{"code": c.code, "message": c.message} for c in report.warnings],
        "errors": [{"code": c.code, "message": c.message} for c in failures],
        "problemDetails": [
            {"type": f"{_OURS}check/{c.code}", "title": c.code, "detail": c.message}
            for c in failures
        ],
        "report": report.to_json(),
    }


def _json_answer(result: dict[str, Any]) -> Response:
    """``200`` with ``result`` as JSON, sent as is: ``result`` is already the response model's
    JSON (:func:`verification_result`), so FastAPI's validation and serialisation of the
    returned value (in a worker thread, after the endpoint's) would only repeat the work.
    orjson writes it; what orjson cannot (an integer beyond 64 bits in a returned credential)
    goes through the standard library's encoder."""
    try:
        body = orjson.dumps(result)
    except TypeError:
        return JSONResponse(result)
    return Response(body, media_type="application/json")


def _metrics(request: Request) -> Metrics:
    metrics: Metrics = request.app.state.metrics
    return metrics


def _issuers_with(principal: Principal, permission: Permission) -> list[uuid.UUID]:
    return sorted(
        (issuer for issuer in principal.roles if principal.can(issuer, permission)), key=str
    )


def _issuer_for(platform: Platform, principal: Principal, credential: dict[str, Any]) -> uuid.UUID:
    candidates = _issuers_with(principal, Permission.CREDENTIAL_ISSUE)
    if not candidates:
        raise PermissionDenied(
            "Your access does not include 'credential:issue' at any issuer.",
            required_permission=Permission.CREDENTIAL_ISSUE.value,
        )
    if len(candidates) == 1:
        return candidates[0]
    named = credential.get("issuer")
    if isinstance(named, dict):
        named = named.get("id")
    for info in platform.issuers.list_issuers(principal, limit=1000):
        if info.did == named and info.id in candidates:
            return info.id
    raise InvalidInput(
        "You issue for several issuers: the credential's issuer must be the DID of one of them.",
        errors=[{"path": "credential.issuer", "message": "not the DID of an issuer of yours"}],
    )


@router.post(
    "/credentials/issue",
    operation_id="issueCredential",
    status_code=201,
    summary="Sign a credential with the caller's issuer key",
    response_model=VerifiableCredentialResponse,
    responses={
        201: {"description": "Credential successfully issued"},
        **problem_responses(400, 401, 403, 404, 413, 422),
    },
)
def issue_credential(
    body: IssueCredentialRequest,
    principal: PrincipalDep,
    platform: PlatformDep,
    request: Request,
) -> VerifiableCredentialResponse:
    issuer_id = _issuer_for(platform, principal, body.credential)
    options = body.options or IssueCredentialOptions()
    signing = SigningOptions.from_json(
        {
            key: value
            for key, value in {
                "cryptosuite": options.cryptosuite,
                "created": options.created,
            }.items()
            if value is not None
        }
    )
    issued = platform.issuance.issue_unsigned(principal, issuer_id, body.credential, signing)
    _metrics(request).credentials_issued.inc("vc-api")
    if options.format == "vc+jwt":
        token = VcJwtService(platform.issuers).sign_stored(issued.issuer_id, issued.document)
        return VerifiableCredentialResponse(verifiableCredential=enveloped_credential(token))
    return VerifiableCredentialResponse(verifiableCredential=dict(issued.document))


def _not_verified(
    request: Request, kind: str, result: dict[str, Any], report: VerificationReport
) -> JSONResponse:
    unreadable = report.input_problem()
    if unreadable is not None:
        problem = {
            "type": _OURS + "unreadable-" + kind,
            "title": f"Not a readable {kind}",
            "detail": unreadable.message,
        }
    else:
        first = report.failures[0].message if report.failures else f"The {kind} did not verify."
        problem = {
            "type": _OURS + "not-verified",
            "title": f"The {kind} did not verify",
            "detail": first,
        }
    body = {**problem, "status": 400, "instance": request.url.path, **result}
    return JSONResponse(body, status_code=400, media_type=PROBLEM_JSON)


_VERIFY_400 = {
    "description": "Not verified, or not a readable input: problem details carrying the result",
    "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/VerificationProblem"}}},
}


@router.post(
    "/credentials/verify",
    operation_id="verifyCredential",
    summary="Verify a credential and explain every check",
    response_model=VerificationResult,
    response_model_exclude_none=True,
    responses={
        200: {"description": "The credential verified"},
        400: _VERIFY_400,
        **problem_responses(413, 422),
    },
)
def verify_credential(
    body: VerifyCredentialRequest, platform: PlatformDep, request: Request
) -> Any:
    given = body.verifiableCredential
    if isinstance(given, str) and jwt_token(given) is None and open_sealed(given) is None:
        raise InvalidInput(
            "verifiableCredential is text but not a VC-JWT (header.payload.signature)",
            errors=[{"path": "verifiableCredential", "message": "not a compact JWS"}],
        )
    report = platform.engine.verifier.verify_credential(given)
    counted = {"id": report.summary.get("id")} if report.summary.get("format") else given
    platform.usage.record_verification(counted)  # buffered: no database work
    result = verification_result(report)
    if body.options is not None and body.options.returnCredential:
        result["credential"] = enveloped_credential(given) if isinstance(given, str) else given
    outcome = "verified" if report.verified else "not_verified"
    if report.input_problem() is not None:
        outcome = "invalid"
    _metrics(request).verifications.inc("credential", outcome)
    if not report.verified:
        return _not_verified(request, "credential", result, report)
    return _json_answer(result)


@router.post(
    "/presentations/verify",
    operation_id="verifyPresentation",
    summary="Verify a presentation (signed or not) and every credential in it",
    response_model=VerificationResult,
    response_model_exclude_none=True,
    responses={
        200: {"description": "Verification ran; `verified` says whether it passed"},
        400: _VERIFY_400,
        **problem_responses(413, 422),
    },
)
def verify_presentation(
    body: VerifyPresentationRequest, platform: PlatformDep, request: Request
) -> Any:
    presentation = body.verifiablePresentation or body.presentation or {}
    options = body.options or VerifyPresentationOptions()
    report = platform.engine.verifier.verify_presentation(
        presentation, challenge=options.challenge, domain=options.domain
    )
    platform.usage.record_verification(presentation)  # buffered: no database work
    result = verification_result(report)
    if options.returnPresentation:
        result["verifiablePresentation"] = presentation
    if report.input_problem() is not None:
        _metrics(request).verifications.inc("presentation", "invalid")
        return _not_verified(request, "presentation", result, report)
    outcome = "verified" if report.verified else "not_verified"
    _metrics(request).verifications.inc("presentation", outcome)
    return result


@router.get(
    "/credentials/{credential_id:path}",
    operation_id="getCredential",
    summary="A credential of your issuer, by its id (URI) or the platform's id",
    response_model=VerifiableCredentialResponse,
    responses={200: {"description": "Credential retrieved"}, **problem_responses(401, 403, 404)},
)
def get_credential(
    credential_id: Annotated[str, Path(max_length=2048)],
    principal: PrincipalDep,
    platform: PlatformDep,
) -> VerifiableCredentialResponse:
    readable = _issuers_with(principal, Permission.CREDENTIAL_READ)
    if not readable:
        if principal.roles:
            raise PermissionDenied(
                "Your access does not include 'credential:read'.",
                required_permission=Permission.CREDENTIAL_READ.value,
            )
        raise NotFound("no credential with this id")
    row_id: uuid.UUID | None = None
    if ":" not in credential_id:  # uuid.UUID() would also read "urn:uuid:…"
        try:
            row_id = uuid.UUID(credential_id)
        except ValueError:
            row_id = None
    for issuer_id in readable:
        try:
            if row_id is not None:
                found = platform.issuance.get_credential(principal, issuer_id, row_id)
            else:
                found = platform.issuance.get_credential_by_uri(principal, issuer_id, credential_id)
        except NotFound:
            continue
        return VerifiableCredentialResponse(verifiableCredential=dict(found.document))
    raise NotFound("no credential with this id")
