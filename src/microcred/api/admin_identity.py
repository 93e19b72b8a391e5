"""Admin API: sessions, staff accounts, memberships, API tokens (``/api/v1``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Cookie, Query, Response
from pydantic import Field

from microcred.api.deps import SESSION_COOKIE, ClientIP, PlatformDep, PrincipalDep
from microcred.api.errors import ProblemRoute, problem_responses
from microcred.api.schemas import (
    In,
    JsonUUID,
    LoginRequest,
    MemberAdd,
    MemberOut,
    MemberRoleChange,
    NewTokenOut,
    RoleName,
    SessionOut,
    TokenCreate,
    TokenOut,
    UserOut,
    WhoAmIOut,
    member_out,
    token_out,
    user_out,
    whoami_out,
)
from microcred.services.access import Role

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", route_class=ProblemRoute)

Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]


class UserCreate(In):
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=4096)
    display_name: str | None = Field(default=None, max_length=200)
    is_operator: bool = False
    issuer_id: JsonUUID | None = Field(
        default=None, description="With role: the issuer the new account joins"
    )
    role: RoleName | None = None


class UserChange(In):
    disabled: bool | None = None
    is_operator: bool | None = None


class PasswordChange(In):
    current_password: str = Field(min_length=1, max_length=4096)
    new_password: str = Field(min_length=1, max_length=4096)


# --------------------------------------------------------------------------- session


@router.post(
    "/session",
    tags=["Session"],
    operation_id="signIn",
    status_code=201,
    summary="Sign in with e-mail and password; sets the session cookie",
    response_model=SessionOut,
    responses={201: {"description": "Signed in"}, **problem_responses(401, 413, 422, 429)},
)
def sign_in(
    body: LoginRequest, platform: PlatformDep, ip: ClientIP, response: Response
) -> SessionOut:
    principal = platform.identity.authenticate_password(body.email, body.password, ip)
    session = platform.identity.start_session(principal)
    response.set_cookie(
        SESSION_COOKIE,
        session.secret,
        # Relative lifetime: immune to a skew between the server's and the browser's clocks.
        max_age=max(1, int((session.expires_at - platform.clock.now()).total_seconds())),
        path="/",
        httponly=True,
        samesite="lax",
        secure=platform.settings.base_url.startswith("https://"),
    )
    return SessionOut(expires_at=session.expires_at, principal=whoami_out(principal))


@router.get(
    "/session",
    tags=["Session"],
    operation_id="whoAmI",
    summary="Who the caller is: account, memberships, token scopes",
    response_model=WhoAmIOut,
    responses=problem_responses(401, 403),
)
def who_am_i(principal: PrincipalDep) -> WhoAmIOut:
    return whoami_out(principal)


@router.delete(
    "/session",
    tags=["Session"],
    operation_id="signOut",
    status_code=204,
    summary="Sign out: end the session and clear the cookie",
    responses={204: {"description": "Signed out (also when there was no session)"}},
)
def sign_out(
    platform: PlatformDep,
    ip: ClientIP,
    microcred_session: Annotated[str | None, Cookie(max_length=256)] = None,
) -> Response:
    if microcred_session:
        platform.identity.end_session(microcred_session, ip)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response


# --------------------------------------------------------------------------- users


@router.post(
    "/users",
    tags=["Staff"],
    operation_id="createUser",
    status_code=201,
    summary="Create a staff account (operators; issuer admins for their issuer)",
    response_model=UserOut,
    responses=problem_responses(400, 401, 403, 404, 409, 413, 422),
)
def create_user(body: UserCreate, principal: PrincipalDep, platform: PlatformDep) -> UserOut:
    info = platform.identity.create_user(
        principal,
        body.email,
        body.password,
        body.display_name,
        body.is_operator,
        issuer_id=body.issuer_id,
        role=None if body.role is None else Role(body.role),
    )
    return user_out(info)


@router.get(
    "/users",
    tags=["Staff"],
    operation_id="listUsers",
    summary="Every staff account (platform operators)",
    response_model=list[UserOut],
    responses=problem_responses(401, 403, 422),
)
def list_users(
    principal: PrincipalDep, platform: PlatformDep, limit: Limit = 100, offset: Offset = 0
) -> list[UserOut]:
    return [
        user_out(u) for u in platform.identity.list_users(principal, limit=limit, offset=offset)
    ]


@router.get(
    "/users/{user_id}",
    tags=["Staff"],
    operation_id="getUser",
    summary="A staff account: your own, or any for an operator",
    response_model=UserOut,
    responses=problem_responses(401, 403, 404, 422),
)
def get_user(user_id: uuid.UUID, principal: PrincipalDep, platform: PlatformDep) -> UserOut:
    return user_out(platform.identity.get_user(principal, user_id))


@router.patch(
    "/users/{user_id}",
    tags=["Staff"],
    operation_id="changeUser",
    summary="Disable/enable an account or change its operator flag (operators)",
    response_model=UserOut,
    responses=problem_responses(400, 401, 403, 404, 409, 413, 422),
)
def change_user(
    user_id: uuid.UUID, body: UserChange, principal: PrincipalDep, platform: PlatformDep
) -> UserOut:
    info = platform.identity.get_user(principal, user_id)
    if body.disabled is not None:
        info = platform.identity.set_disabled(principal, user_id, body.disabled)
    if body.is_operator is not None:
        info = platform.identity.set_operator(principal, user_id, body.is_operator)
    return user_out(info)


@router.post(
    "/session/password",
    tags=["Session"],
    operation_id="changePassword",
    status_code=204,
    summary="Change your own password (ends all your sessions)",
    responses={204: {"description": "Changed"}, **problem_responses(400, 401, 403, 413, 422)},
)
def change_password(
    body: PasswordChange, principal: PrincipalDep, platform: PlatformDep
) -> Response:
    platform.identity.change_password(principal, body.current_password, body.new_password)
    return Response(status_code=204)


# --------------------------------------------------------------------------- members


@router.get(
    "/issuers/{issuer_id}/members",
    tags=["Staff"],
    operation_id="listMembers",
    summary="The issuer's staff and their roles",
    response_model=list[MemberOut],
    responses=problem_responses(401, 403, 404, 422),
)
def list_members(
    issuer_id: uuid.UUID, principal: PrincipalDep, platform: PlatformDep
) -> list[MemberOut]:
    return [member_out(m) for m in platform.identity.list_members(principal, issuer_id)]


@router.post(
    "/issuers/{issuer_id}/members",
    tags=["Staff"],
    operation_id="addMember",
    status_code=201,
    summary="Give an existing account a role at the issuer",
    response_model=MemberOut,
    responses=problem_responses(400, 401, 403, 404, 409, 413, 422),
)
def add_member(
    issuer_id: uuid.UUID, body: MemberAdd, principal: PrincipalDep, platform: PlatformDep
) -> MemberOut:
    return member_out(
        platform.identity.add_member(principal, issuer_id, body.email, Role(body.role))
    )


@router.patch(
    "/issuers/{issuer_id}/members/{user_id}",
    tags=["Staff"],
    operation_id="changeMemberRole",
    summary="Change a member's role (the last admin stays admin)",
    response_model=MemberOut,
    responses=problem_responses(400, 401, 403, 404, 409, 413, 422),
)
def change_member_role(
    issuer_id: uuid.UUID,
    user_id: uuid.UUID,
    body: MemberRoleChange,
    principal: PrincipalDep,
    platform: PlatformDep,
) -> MemberOut:
    info = platform.identity.change_role(principal, issuer_id, user_id, Role(body.role))
    return member_out(info)


@router.delete(
    "/issuers/{issuer_id}/members/{user_id}",
    tags=["Staff"],
    operation_id="removeMember",
    status_code=204,
    summary="Remove a member (and revoke the tokens they made here)",
    responses={204: {"description": "Removed"}, **problem_responses(401, 403, 404, 409, 422)},
)
def remove_member(
    issuer_id: uuid.UUID, user_id: uuid.UUID, principal: PrincipalDep, platform: PlatformDep
) -> Response:
    platform.identity.remove_member(principal, issuer_id, user_id)
    return Response(status_code=204)


# --------------------------------------------------------------------------- tokens


@router.post(
    "/issuers/{issuer_id}/tokens",
    tags=["Tokens"],
    operation_id="createToken",
    status_code=201,
    summary="Create an API token; the secret is shown once",
    response_model=NewTokenOut,
    responses=problem_responses(400, 401, 403, 404, 413, 422),
)
def create_token(
    issuer_id: uuid.UUID, body: TokenCreate, principal: PrincipalDep, platform: PlatformDep
) -> NewTokenOut:
    new = platform.identity.create_token(
        principal, issuer_id, body.name, body.scopes, body.expires_at
    )
    return NewTokenOut(secret=new.secret, token=token_out(new.info))


@router.get(
    "/issuers/{issuer_id}/tokens",
    tags=["Tokens"],
    operation_id="listTokens",
    summary="The issuer's API tokens (never their secrets)",
    response_model=list[TokenOut],
    responses=problem_responses(401, 403, 404, 422),
)
def list_tokens(
    issuer_id: uuid.UUID,
    principal: PrincipalDep,
    platform: PlatformDep,
    include_revoked: Annotated[bool, Query(alias="includeRevoked")] = False,
) -> list[TokenOut]:
    tokens = platform.identity.list_tokens(principal, issuer_id, include_revoked=include_revoked)
    return [token_out(t) for t in tokens]


@router.delete(
    "/issuers/{issuer_id}/tokens/{token_id}",
    tags=["Tokens"],
    operation_id="revokeToken",
    summary="Revoke an API token (idempotent)",
    response_model=TokenOut,
    responses=problem_responses(401, 403, 404, 422),
)
def revoke_token(
    issuer_id: uuid.UUID, token_id: uuid.UUID, principal: PrincipalDep, platform: PlatformDep
) -> TokenOut:
    return token_out(platform.identity.revoke_token(principal, issuer_id, token_id))
