"""``microcred staff``: an issuer's staff and their roles (add, list, set-role, remove).

Thin shells over :class:`~microcred.services.identity.IdentityService` (``add_member``,
``create_user``, ``change_role``, ``remove_member``, ``list_members``), acting as a staff
account (``--as``; default: the first platform operator). ``add`` gives an existing account a
role, or creates the account (password from ``MICROCRED_STAFF_PASSWORD`` or generated and
printed once) when none has that e-mail address.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer

from microcred.cli.platform import (
    AsOption,
    IssuerOption,
    JsonOption,
    _echo,
    _json,
)
from microcred.cli.session import Session, session
from microcred.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from microcred.services.access import Role
    from microcred.services.schemas_identity import MemberInfo

__all__ = ["register", "staff_app"]

staff_app = typer.Typer(
    help="An issuer's staff and their roles: add, list, set-role, remove.", no_args_is_help=True
)

RoleOption = Annotated[
    str,
    typer.Option(
        "--role",
        help="admin, designer, registrar, viewer or recognition_officer.",
    ),
]


def _role(value: str) -> Role:
    from microcred.services.access import Role

    try:
        return Role(value.strip().lower())
    except ValueError:
        names = ", ".join(role.value for role in Role)
        raise InvalidInput(f"unknown role {value[:40]!r}; roles are: {names}") from None


def _member_json(member: MemberInfo) -> dict[str, str | None]:
    return {
        "userId": str(member.user_id),
        "email": member.email,
        "name": member.display_name,
        "role": member.role.value,
    }


def _find(cmd: Session, email: str) -> MemberInfo:
    from microcred.services.schemas_identity import normalise_email

    address = normalise_email(email)
    for member in cmd.platform.identity.list_members(cmd.principal, cmd.issuer.id):
        if member.email == address:
            return member
    raise NotFound(f"{address} is not a member of {cmd.issuer.slug}")


@staff_app.command("add")
def staff_add(
    email: Annotated[str, typer.Argument(metavar="EMAIL", help="The person's e-mail address.")],
    role: RoleOption,
    name: Annotated[str | None, typer.Option(help="Display name (for a new account).")] = None,
    issuer: IssuerOption = None,
    as_user: AsOption = None,
    json_output: JsonOption = False,
) -> None:
    """Give a person a role at the issuer; creates their account when there is none."""
    with session(as_user, issuer) as cmd:
        from microcred.services.seed import generate_password

        wanted = _role(role)
        password: str | None = None
        try:
            member = cmd.platform.identity.add_member(cmd.principal, cmd.issuer.id, email, wanted)
        except NotFound as exc:
            if not exc.detail.startswith("no account with this e-mail"):
                raise
            password = os.environ.get("MICROCRED_STAFF_PASSWORD") or generate_password()
            cmd.platform.identity.create_user(
                cmd.principal, email, password, name, issuer_id=cmd.issuer.id, role=wanted
            )
            member = _find(cmd, email)
            if os.environ.get("MICROCRED_STAFF_PASSWORD"):
                password = None  # the caller chose it: do not echo it back
        if json_output:
            _json({**_member_json(member), "issuer": cmd.issuer.slug, "password": password})
            return
        _echo(f"{member.email} is now {member.role.value} at {cmd.issuer.slug}")
        if password is not None:
            _echo(f"  new account, password  {password}   (shown once: store it now)")


@staff_app.command("list")
def staff_list(
    issuer: IssuerOption = None, as_user: AsOption = None, json_output: JsonOption = False
) -> None:
    """The issuer's staff and their roles."""
    with session(as_user, issuer) as cmd:
        members = cmd.platform.identity.list_members(cmd.principal, cmd.issuer.id)
        if json_output:
            _json([_member_json(member) for member in members])
            return
        if not members:
            _echo("no staff")
        for member in members:
            _echo(f"{member.role.value:<20} {member.email}")


@staff_app.command("set-role")
def staff_set_role(
    email: Annotated[str, typer.Argument(metavar="EMAIL")],
    role: RoleOption,
    issuer: IssuerOption = None,
    as_user: AsOption = None,
) -> None:
    """Change a member's role (the last admin cannot be demoted)."""
    with session(as_user, issuer) as cmd:
        wanted = _role(role)
        member = _find(cmd, email)
        changed = cmd.platform.identity.change_role(
            cmd.principal, cmd.issuer.id, member.user_id, wanted
        )
        _echo(f"{changed.email} is now {changed.role.value} at {cmd.issuer.slug}")


@staff_app.command("remove")
def staff_remove(
    email: Annotated[str, typer.Argument(metavar="EMAIL")],
    issuer: IssuerOption = None,
    as_user: AsOption = None,
) -> None:
    """Remove a member from the issuer (their API tokens there are revoked)."""
    with session(as_user, issuer) as cmd:
        member = _find(cmd, email)
        cmd.platform.identity.remove_member(cmd.principal, cmd.issuer.id, member.user_id)
        _echo(f"{member.email} is no longer staff of {cmd.issuer.slug}")


def register(app: typer.Typer) -> None:
    """Add ``staff`` to the command line."""
    app.add_typer(staff_app, name="staff")
