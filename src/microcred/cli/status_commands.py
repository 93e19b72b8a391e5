"""Status commands: ``credential revoke|suspend|reinstate|status`` and ``status lists``.

They act on the platform the ``MICROCRED_*`` environment configures, as a staff account
(``--as``; default: the first platform operator), who needs ``credential:revoke`` (admin or
registrar) at the credential's issuer. ``CREDENTIAL_ID`` is the platform's id of the credential
(a UUID, as in the admin API) or the credential's own ``id`` (``urn:uuid:…``). The reason goes
to the issuer's audit log; the published list only flips a bit (docs/status-lists.md).

Errors become one line on stderr and an exit code (:mod:`microcred.cli.errors`): an unknown
credential, a credential of an issuer you do not belong to, or a change its state does not
allow (revoking twice, reinstating what is not suspended) exit with 2.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from microcred.cli.platform import (
    AsOption,
    IssuerOption,
    JsonOption,
    _echo,
    _json,
)
from microcred.cli.session import Session, session
from microcred.errors import NotFound

if TYPE_CHECKING:
    from microcred.services.status import StatusChange

__all__ = ["credential_app", "register", "status_app"]

credential_app = typer.Typer(
    help="Issued credentials: revoke, suspend, reinstate, show their status.",
    no_args_is_help=True,
)
status_app = typer.Typer(help="Status lists (revocation, suspension).", no_args_is_help=True)

CredentialArgument = Annotated[
    str,
    typer.Argument(
        metavar="CREDENTIAL_ID", help="The platform's id (UUID) or the credential's id (URI)."
    ),
]
ReasonOption = Annotated[
    str,
    typer.Option(
        "--reason",
        help="Why (kept in the issuer's audit log, never published).",
    ),
]

_DONE = {"revoke": "revoked", "suspend": "suspended", "reinstate": "reinstated"}


def _locate(cmd: Session, wanted: str, issuer: str | None) -> tuple[uuid.UUID, uuid.UUID]:
    """``(issuer id, credential row id)`` of ``wanted`` at ``cmd``'s issuer when ``issuer`` was
    given, otherwise among the issuers you may act for."""
    from microcred.services.access import Permission

    platform, principal = cmd.platform, cmd.principal
    if issuer is not None:
        candidates = [cmd.issuer.id]
    else:
        candidates = sorted(
            (i for i in principal.roles if principal.can(i, Permission.CREDENTIAL_READ)), key=str
        )
    row_id: uuid.UUID | None = None
    if ":" not in wanted:
        try:
            row_id = uuid.UUID(wanted)
        except ValueError:
            row_id = None
    for issuer_id in candidates:
        try:
            if row_id is not None:
                found = platform.issuance.get_credential(principal, issuer_id, row_id)
            else:
                found = platform.issuance.get_credential_by_uri(principal, issuer_id, wanted)
        except NotFound:
            continue
        return issuer_id, found.id
    raise NotFound(f"no credential {wanted[:200]!r} at an issuer you may act for")


def _change_json(change: StatusChange) -> dict[str, Any]:
    return {
        "credential": str(change.credential_id),
        "credentialId": change.credential_uri,
        "state": change.state.value,
        "purpose": change.purpose,
        "status": change.status,
        "published": change.published,
        "changed": change.changed,
        "statusListCredential": change.status_list_credential,
        "statusListIndex": change.status_list_index,
        "listVersion": change.list_version,
    }


def _change(
    action: Literal["revoke", "suspend", "reinstate"],
    credential: str,
    reason: str,
    issuer: str | None,
    as_user: str | None,
    json_output: bool,
) -> None:
    with session(as_user, issuer) as cmd:
        issuer_id, row_id = _locate(cmd, credential, issuer)
        method = getattr(cmd.platform.status, action)
        change: StatusChange = method(cmd.principal, issuer_id, row_id, reason)
        if json_output:
            _json(_change_json(change))
            return
        _echo(f"{_DONE[action]} {change.credential_uri} (state {change.state.value})")
        if change.published:
            _echo(
                f"  {change.purpose} list {change.status_list_credential} "
                f"index {change.status_list_index}, bit {int(change.status)}, "
                f"list version {change.list_version}"
            )
        else:
            _echo("  (the credential has no status list entry: verifiers cannot see this change)")


@credential_app.command("revoke")
def credential_revoke(
    credential: CredentialArgument,
    reason: ReasonOption,
    issuer: IssuerOption = None,
    as_user: AsOption = None,
    json_output: JsonOption = False,
) -> None:
    """Revoke a credential for good (its bit is set in the issuer's revocation list)."""
    _change("revoke", credential, reason, issuer, as_user, json_output)


@credential_app.command("suspend")
def credential_suspend(
    credential: CredentialArgument,
    reason: ReasonOption,
    issuer: IssuerOption = None,
    as_user: AsOption = None,
    json_output: JsonOption = False,
) -> None:
    """Suspend a credential (reversible with 'credential reinstate')."""
    _change("suspend", credential, reason, issuer, as_user, json_output)


@credential_app.command("reinstate")
def credential_reinstate(
    credential: CredentialArgument,
    reason: ReasonOption,
    issuer: IssuerOption = None,
    as_user: AsOption = None,
    json_output: JsonOption = False,
) -> None:
    """Lift a suspension (a revocation cannot be lifted)."""
    _change("reinstate", credential, reason, issuer, as_user, json_output)


@credential_app.command("status")
def credential_status(
    credential: CredentialArgument,
    issuer: IssuerOption = None,
    as_user: AsOption = None,
    json_output: JsonOption = False,
) -> None:
    """A credential's state and status list entries, with their bits now."""
    with session(as_user, issuer) as cmd:
        issuer_id, row_id = _locate(cmd, credential, issuer)
        info = cmd.platform.issuance.get_credential(cmd.principal, issuer_id, row_id)
        entries = cmd.platform.status.credential_statuses(cmd.principal, issuer_id, row_id)
        if json_output:
            _json(
                {
                    "credential": str(info.id),
                    "credentialId": info.credential_uri,
                    "state": info.state.value,
                    "entries": [
                        {
                            "purpose": e.purpose,
                            "statusListCredential": e.status_list_credential,
                            "statusListIndex": e.status_list_index,
                            "set": e.set,
                        }
                        for e in entries
                    ],
                }
            )
            return
        _echo(f"{info.credential_uri}  {info.state.value}")
        if not entries:
            _echo("  no status list entries (issued before status lists)")
        for e in entries:
            _echo(
                f"  {e.purpose:<10} {'SET' if e.set else 'clear':<5} "
                f"{e.status_list_credential} index {e.status_list_index}"
            )


@status_app.command("lists")
def status_lists(
    issuer: IssuerOption = None, as_user: AsOption = None, json_output: JsonOption = False
) -> None:
    """The issuer's status lists: URL, entries handed out, bits set, version."""
    with session(as_user, issuer) as cmd:
        lists = cmd.platform.status.status_lists(cmd.principal, cmd.issuer.id)
        if json_output:
            _json(
                [
                    {
                        "purpose": item.purpose,
                        "number": item.number,
                        "url": item.url,
                        "size": item.size,
                        "allocated": item.allocated,
                        "set": item.set,
                        "version": item.version,
                        "etag": item.etag,
                    }
                    for item in lists
                ]
            )
            return
        if not lists:
            _echo("no status lists yet: the first credential issued opens them")
        for item in lists:
            _echo(
                f"{item.purpose:<10} #{item.number}  {item.allocated}/{item.size} used  "
                f"{item.set} set  v{item.version}  {item.url}"
            )


def register(app: typer.Typer) -> None:
    """Add ``credential`` and ``status`` to the command line."""
    app.add_typer(credential_app, name="credential")
    app.add_typer(status_app, name="status")
