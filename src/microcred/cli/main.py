"""The ``microcred`` command line (typer): ``keys``, ``did``, ``example``, ``sign``, ``verify``.

Thin shell over the engine (STYLE.md): commands parse input, call one service
built by :mod:`microcred.wiring`, and render; errors become messages and exit codes
in :mod:`microcred.cli.errors`.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Sequence
from typing import Annotated

import typer

import microcred
from microcred.cli import anchor_commands, commands, elm_commands, mail_commands, status_commands
from microcred.cli import platform as platform_commands
from microcred.cli.chain import chain_app
from microcred.cli.endorse_commands import register as register_endorse_commands
from microcred.cli.example import example
from microcred.cli.kek_commands import keys_rotate_kek
from microcred.cli.pathway_commands import register as register_pathway_commands
from microcred.cli.staff_commands import register as register_staff_commands

__all__ = ["app", "main"]


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"microcred {microcred.__version__}")
        raise typer.Exit(0)


app = typer.Typer(
    name="microcred",
    help="Issue and verify micro-credentials (W3C Verifiable Credentials, Open Badges 3.0).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
keys_app = typer.Typer(help="Manage signing keys (encrypted at rest).", no_args_is_help=True)
did_app = typer.Typer(help="Show DID documents.", no_args_is_help=True)


@app.callback()
def _root(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version and exit.", callback=_show_version, is_eager=True
        ),
    ] = False,
) -> None:
    """Issue and verify micro-credentials (W3C Verifiable Credentials, Open Badges 3.0)."""


keys_app.command("new")(commands.keys_new)
keys_app.command("list")(commands.keys_list)
keys_app.command("rotate-kek")(keys_rotate_kek)
did_app.command("show")(commands.did_show)
app.add_typer(keys_app, name="keys")
app.add_typer(did_app, name="did")
app.add_typer(chain_app, name="chain")
app.command("sign")(commands.sign)
app.command("verify")(commands.verify)
app.command("example")(example)
platform_commands.register(app)
anchor_commands.register(app)
mail_commands.register(app)
status_commands.register(app)
register_pathway_commands(app)
register_endorse_commands(app)
elm_commands.register(app)
register_staff_commands(app)


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point (``microcred``, ``python -m microcred``)."""
    for stream in (sys.stdout, sys.stderr):
        # Text a terminal cannot show becomes "?" rather than a crash (JSON output is ASCII,
        # signed credentials are written as UTF-8 bytes).
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="replace")
    app(args=list(argv) if argv is not None else None, prog_name="microcred")
