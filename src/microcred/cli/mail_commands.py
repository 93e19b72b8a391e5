"""``microcred mail deliver``: send the outbox over SMTP (``MICROCRED_SMTP_URL``).

Without SMTP configured, claim e-mails stay in the database outbox, readable by the operator
(``GET /api/v1/outbox``); with it, this command (run from cron or a systemd timer, or once by
hand) sends what is pending. Each message is sent and marked in its own transaction, so a crash
never sends a message twice or loses one.
"""

from __future__ import annotations

from typing import Annotated

import typer

from microcred.cli.session import session
from microcred.errors import ConfigError

__all__ = ["register"]

mail_app = typer.Typer(help="The e-mail outbox.", no_args_is_help=True)


@mail_app.command("deliver")
def deliver(
    limit: Annotated[int, typer.Option("--limit", min=1, help="Send at most this many.")] = 100,
) -> None:
    """Send pending outbox messages over SMTP; print how many were sent and failed."""
    from microcred.services.mail import deliver_pending

    with session() as cmd:
        platform = cmd.platform
        if platform.mail_sender is None:
            raise ConfigError(
                "no SMTP server configured: set MICROCRED_SMTP_URL "
                "(messages stay in the outbox until then)"
            )
        report = deliver_pending(
            platform.uow, platform.mail_sender, mail_from=platform.settings.mail_from, limit=limit
        )
        typer.echo(f"sent {report.sent}, failed {report.failed}")
        for message_id, reason in report.failures:
            typer.echo(f"  {message_id}: {reason}", err=True)
        if report.failed:
            raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(mail_app, name="mail")
