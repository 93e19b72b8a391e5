"""Endorsement and CLR commands: ``endorse partner-add|partners|sign|upload|list|withdraw`` and
``clr export|verify`` (docs/endorsements.md, docs/clr.md).

They act on the platform the ``MICROCRED_*`` environment configures, as a staff account
(``--as``; default: the first platform operator). Partners and endorsements need
``issuer:manage`` at the issuer (``--issuer``), a CLR export ``credential:issue``.
``clr verify`` is ``microcred verify`` (it needs no platform): the record and every credential
in it are checked, each reported as ``clr.credential``.

Errors become one line on stderr and an exit code (:mod:`microcred.cli.errors`).
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Annotated, Any

import typer

from microcred.cli import commands
from microcred.cli.errors import EXIT_NOT_VERIFIED, EXIT_OK, cli_errors
from microcred.cli.inputs import read_json, write_output
from microcred.cli.platform import (
    AllowNetworkOption,
    AsOption,
    IssuerOption,
    JsonOption,
    OnPlatformOption,
    _echo,
    _json,
)
from microcred.cli.render import render_report, write_json
from microcred.cli.session import find_learner, open_platform, parse_id, session
from microcred.errors import InvalidInput

if TYPE_CHECKING:
    from microcred.services.endorsements import EndorsementInfo, PartnerInfo

__all__ = ["clr_app", "endorse_app", "register"]

endorse_app = typer.Typer(
    help="Partner organisations and their Open Badges endorsements.", no_args_is_help=True
)
clr_app = typer.Typer(
    help="CLR 2.0 learner records (transcripts): export and verify.", no_args_is_help=True
)

DefinitionOption = Annotated[
    str | None,
    typer.Option("--definition", metavar="ID", help="Endorse this definition (its id)."),
]
VersionOption = Annotated[
    int | None,
    typer.Option("--version", min=1, help="The definition version (default: newest published)."),
]
OfIssuerOption = Annotated[
    bool, typer.Option("--of-issuer", help="Endorse the issuer itself, not a definition.")
]


def _target(definition: str | None, of_issuer: bool, version: int | None) -> dict[str, Any]:
    if of_issuer == (definition is not None):
        raise InvalidInput("give either --definition ID or --of-issuer")
    if of_issuer:
        return {"target": "issuer"}
    body: dict[str, Any] = {"target": "definition", "definitionId": definition}
    if version is not None:
        body["version"] = version
    return body


def _partner_line(info: PartnerInfo) -> str:
    held = "key held here" if info.holds_key else "signs elsewhere"
    return f"{info.id}  {info.name}  {info.did}  ({held})"


def _endorsement_line(info: EndorsementInfo) -> str:
    state = "active" if info.active else "withdrawn"
    comment = f"  “{info.comment[:60]}”" if info.comment else ""
    return f"{info.id}  {info.partner_name} -> {info.subject_id}  [{state}, {info.source}]{comment}"


@endorse_app.command("partner-add")
def partner_add(
    name: Annotated[str, typer.Argument(help="The partner organisation's name.")],
    did: Annotated[
        str | None, typer.Option("--did", help="Its own DID (did:key or did:web).")
    ] = None,
    hold_key: Annotated[
        bool, typer.Option("--hold-key", help="Create and hold a did:key for it here.")
    ] = False,
    homepage: Annotated[str | None, typer.Option("--homepage", help="Its web site.")] = None,
    issuer: IssuerOption = None,
    as_user: AsOption = None,
    json_output: JsonOption = False,
) -> None:
    """Record a partner organisation that endorses your issuer or its definitions."""
    from microcred.services.endorsements import PartnerInput

    with session(as_user, issuer, json_output=json_output) as cmd:
        body: dict[str, Any] = {"name": name, "holdKey": hold_key}
        if did is not None:
            body["did"] = did
        if homepage is not None:
            body["homepage"] = homepage
        info = cmd.platform.endorsements.add_partner(
            cmd.principal, cmd.issuer.id, PartnerInput.from_json(body)
        )
        if json_output:
            _json(info.to_json())
        else:
            _echo(f"partner {_partner_line(info)}")


@endorse_app.command("partners")
def partners(
    issuer: IssuerOption = None, as_user: AsOption = None, json_output: JsonOption = False
) -> None:
    """List the issuer's partner organisations."""
    with session(as_user, issuer, json_output=json_output) as cmd:
        found = cmd.platform.endorsements.list_partners(cmd.principal, cmd.issuer.id)
        if json_output:
            _json([p.to_json() for p in found])
            return
        if not found:
            _echo("no partners yet: add one with `microcred endorse partner-add`")
        for info in found:
            _echo(_partner_line(info))


@endorse_app.command("sign")
def sign(
    partner: Annotated[str, typer.Argument(metavar="PARTNER_ID", help="The partner's id.")],
    comment: Annotated[str, typer.Option("--comment", help="What the partner says.")],
    definition: DefinitionOption = None,
    version: VersionOption = None,
    of_issuer: OfIssuerOption = False,
    issuer: IssuerOption = None,
    as_user: AsOption = None,
    json_output: JsonOption = False,
) -> None:
    """Sign an endorsement with the key held for PARTNER_ID."""
    from microcred.services.endorsements import EndorseRequest

    with session(as_user, issuer, json_output=json_output) as cmd:
        body = {"partnerId": partner, "comment": comment, **_target(definition, of_issuer, version)}
        info = cmd.platform.endorsements.endorse(
            cmd.principal, cmd.issuer.id, EndorseRequest.from_json(body)
        )
        if json_output:
            _json(info.to_json())
        else:
            _echo(f"endorsement {_endorsement_line(info)}")


@endorse_app.command("upload")
def upload(
    partner: Annotated[str, typer.Argument(metavar="PARTNER_ID", help="The partner's id.")],
    file: Annotated[str, typer.Argument(metavar="FILE", help="The signed EndorsementCredential.")],
    definition: DefinitionOption = None,
    version: VersionOption = None,
    of_issuer: OfIssuerOption = False,
    issuer: IssuerOption = None,
    as_user: AsOption = None,
    json_output: JsonOption = False,
) -> None:
    """File an endorsement PARTNER_ID signed elsewhere (kept only when it verifies)."""
    from microcred.services.endorsements import EndorsementUpload

    with session(as_user, issuer, json_output=json_output) as cmd:
        document = read_json(file)
        if not isinstance(document, dict):
            raise InvalidInput(f"{file}: an EndorsementCredential is a JSON object")
        body = {
            "partnerId": partner,
            "credential": document,
            **_target(definition, of_issuer, version),
        }
        info = cmd.platform.endorsements.upload(
            cmd.principal, cmd.issuer.id, EndorsementUpload.from_json(body)
        )
        if json_output:
            _json(info.to_json())
        else:
            _echo(f"endorsement {_endorsement_line(info)}")


@endorse_app.command("list")
def list_endorsements(
    issuer: IssuerOption = None, as_user: AsOption = None, json_output: JsonOption = False
) -> None:
    """List the issuer's endorsements (active and withdrawn)."""
    with session(as_user, issuer, json_output=json_output) as cmd:
        found = cmd.platform.endorsements.list_endorsements(cmd.principal, cmd.issuer.id)
        if json_output:
            _json([e.to_json() for e in found])
            return
        if not found:
            _echo("no endorsements yet")
        for info in found:
            _echo(_endorsement_line(info))


@endorse_app.command("withdraw")
def withdraw(
    endorsement: Annotated[str, typer.Argument(metavar="ENDORSEMENT_ID")],
    issuer: IssuerOption = None,
    as_user: AsOption = None,
    json_output: JsonOption = False,
) -> None:
    """Stop placing an endorsement into new credentials (issued ones keep it)."""
    with session(as_user, issuer, json_output=json_output) as cmd:
        info = cmd.platform.endorsements.withdraw(cmd.principal, cmd.issuer.id, _uuid(endorsement))
        if json_output:
            _json(info.to_json())
        else:
            _echo(f"withdrawn {_endorsement_line(info)}")


def _uuid(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise InvalidInput(f"{text[:100]!r} is not an id (a UUID)") from None


@clr_app.command("export")
def clr_export(
    learner: Annotated[
        str,
        typer.Option("--learner", metavar="ID", help="The learner's id or external id."),
    ],
    credential: Annotated[
        list[str],
        typer.Option("--credential", metavar="ID", help="A credential's id (repeatable)."),
    ],
    output: Annotated[
        str, typer.Option("--output", "-o", help="Write the signed record here (- for stdout).")
    ] = "-",
    name: Annotated[str | None, typer.Option("--name", help="The record's title.")] = None,
    issuer: IssuerOption = None,
    as_user: AsOption = None,
) -> None:
    """Export a learner's chosen credentials as one signed CLR 2.0 ClrCredential."""
    from microcred.services.clr import ClrExportRequest

    with session(as_user, issuer) as cmd:
        ids = [str(parse_id("--credential", value)) for value in credential]
        body: dict[str, Any] = {"learnerId": str(find_learner(cmd, learner)), "credentialIds": ids}
        if name is not None:
            body["name"] = name
        record = cmd.platform.clr.export(
            cmd.principal, cmd.issuer.id, ClrExportRequest.from_json(body)
        )
        text = json.dumps(record, indent=2, ensure_ascii=False) + "\n"
        if output == "-":
            _echo(text.rstrip("\n"))
        else:
            write_output(output, text)
            count = len(record["credentialSubject"]["verifiableCredential"])
            _echo(f"wrote {output}: a signed CLR of {count} credential(s), {record['id']}")


@clr_app.command("verify")
def clr_verify(
    file: Annotated[str, typer.Argument(metavar="FILE", help="The record (JSON, - for stdin).")],
    json_output: Annotated[
        bool, typer.Option("--json", help="Print exactly one JSON object (for scripts).")
    ] = False,
    on_platform: OnPlatformOption = False,
    allow_network: AllowNetworkOption = False,
) -> None:
    """Verify a CLR record and every credential in it (one ``clr.credential`` per credential).

    Exit status: 0 verified, 1 not verified, 2 unusable input or bad usage.
    """
    if not on_platform:
        commands.verify(file, json_output=json_output, allow_network=allow_network)
        return
    with cli_errors(json_output=json_output):
        document = read_json(file)
        if not isinstance(document, dict):
            raise InvalidInput(f"{file}: a learner record is a JSON object")
        with open_platform() as platform:
            report = platform.engine.verifier.verify_credential(document)
        problem = report.input_problem()
        if problem is not None:
            raise InvalidInput(f"{file}: {problem.message}", report=report.to_json())
        if json_output:
            write_json(report.to_json())
        else:
            render_report(report)
    raise typer.Exit(EXIT_OK if report.verified else EXIT_NOT_VERIFIED)


def register(app: typer.Typer) -> None:
    """Add ``endorse`` and ``clr`` to the command line."""
    app.add_typer(endorse_app, name="endorse")
    app.add_typer(clr_app, name="clr")
