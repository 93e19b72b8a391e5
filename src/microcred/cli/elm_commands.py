"""ELM commands: ``elm export CREDENTIAL_ID`` and ``elm show FILE`` (docs/eu-formats.md).

``export`` writes the signed ELM v3 European Digital Credential of an issued credential (to
``--output`` or stdout); it acts on the platform the ``MICROCRED_*`` environment configures,
as a staff account (``--as``) who may read the credential. ``show`` reads an ELM document
(ours, an official EDC sample, or a JAdES/JWS-sealed EDC) and prints its EU standard elements
and the verification report; it exits 1 when the document does not verify.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from microcred.cli.errors import cli_errors
from microcred.cli.platform import (
    AllowNetworkOption,
    AsOption,
    IssuerOption,
    JsonOption,
    OnPlatformOption,
    _echo,
    _json,
)
from microcred.cli.session import session
from microcred.cli.status_commands import CredentialArgument, _locate
from microcred.errors import InvalidInput

__all__ = ["elm_app", "register"]

elm_app = typer.Typer(
    help="European Digital Credentials (ELM v3): export and show.", no_args_is_help=True
)
_MAX_FILE = 16 * 1024 * 1024


@elm_app.command("export")
def elm_export(
    credential: CredentialArgument,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file (default: stdout).")
    ] = None,
    issuer: IssuerOption = None,
    as_user: AsOption = None,
) -> None:
    """Export an issued credential as a signed ELM v3 European Digital Credential."""
    from microcred.services.elm import build_elm_service

    with session(as_user, issuer) as cmd:
        issuer_id, row_id = _locate(cmd, credential, issuer)
        document = build_elm_service(cmd.platform).export(cmd.principal, issuer_id, row_id)
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        if output is None:
            typer.echo(text, nl=False)
        else:
            output.write_text(text, encoding="utf-8")
            _echo(f"wrote {output} ({document['id']})")


def _read(path: Path) -> Any:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise InvalidInput(f"cannot read {path}: {error.strerror}") from None
    if len(raw) > _MAX_FILE:
        raise InvalidInput(f"{path} is larger than {_MAX_FILE // (1024 * 1024)} MB")
    text = raw.decode("utf-8", errors="replace").strip()
    if text.count(".") == 2 and not text.startswith(("{", "[")):
        return text  # a compact JWS
    try:
        return json.loads(text)
    except ValueError as error:
        raise InvalidInput(f"{path} is not JSON: {error}") from None


@elm_app.command("show")
def elm_show(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="An ELM document (.jsonld/.json).")],
    json_output: JsonOption = False,
    on_platform: OnPlatformOption = False,
    allow_network: AllowNetworkOption = False,
) -> None:
    """Show the EU standard elements of an ELM document and verify it.

    Exit status: 0 verified (or eIDAS-sealed: the seal is not checked here), 1 not verified,
    2 unusable input or bad usage.
    """
    from microcred.services.elm import show_elm

    with cli_errors(json_output=json_output):
        document = _read(file)
        if on_platform:
            from microcred.cli.session import open_platform

            with open_platform() as platform:
                shown = show_elm(platform.engine.verifier, document)
        else:
            from microcred.wiring import build_engine

            shown = show_elm(build_engine(allow_network=allow_network or None).verifier, document)
        if json_output:
            _json(shown.to_json())
        else:
            view = shown.view
            assert view is not None
            _echo(f"European Digital Credential {view.id or ''}".rstrip())
            for element in view.elements:
                values = "; ".join(element.values) if element.values else "(not stated)"
                _echo(f"  {element.label:<40} {values}")
            report = shown.report
            sealed = report.summary.get("sealed")
            verdict = (
                "sealed with an eIDAS certificate — seal not checked here"
                if sealed
                else ("verified" if report.verified else "NOT verified")
            )
            _echo(f"Verification: {verdict}")
            for check in report.checks:
                if check.outcome.value in ("failed", "warning"):
                    _echo(f"  {check.outcome.value:<8} {check.code}: {check.message}")
        if not shown.report.verified and not shown.report.summary.get("sealed"):
            raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``elm`` to the command line."""
    app.add_typer(elm_app, name="elm")
