"""``microcred example``: print the sample unsigned micro-credential (for the tour and docs)."""

from __future__ import annotations

import uuid
from typing import Annotated

import typer

from microcred.cli.errors import cli_errors
from microcred.cli.inputs import write_output
from microcred.cli.render import render_json
from microcred.definition.compose import compose_credential
from microcred.definition.samples import sample_achievement, sample_issuer
from microcred.model.identity import hash_email
from microcred.wiring import build_engine

__all__ = ["example"]


def example(
    email: Annotated[
        str, typer.Option("--email", help="The learner's e-mail (stored only as a salted hash).")
    ] = "ada.lovelace@example.org",
    learner_did: Annotated[
        str | None, typer.Option("--learner-did", help="Name the learner by DID instead.")
    ] = None,
    issuer: Annotated[
        str, typer.Option("--issuer", help="Issuer id (a DID), e.g. a did:key from `keys new`.")
    ] = "did:web:uni.example",
    plain: Annotated[
        bool, typer.Option("--plain", help="Leave out the EU standard elements.")
    ] = False,
    out: Annotated[
        str | None, typer.Option("--out", help="Write the credential here, not stdout.")
    ] = None,
) -> None:
    """Print an unsigned Open Badges 3.0 micro-credential with every EU standard element."""
    with cli_errors():
        now = build_engine(allow_network=False).clock.now().replace(microsecond=0)
        learner = learner_did if learner_did else hash_email(email)
        credential = compose_credential(
            sample_achievement(awarding_body=issuer, with_eu_elements=not plain),
            learner,
            sample_issuer(issuer),
            credential_id=f"urn:uuid:{uuid.uuid4()}",
            valid_from=now,
        )
        text = render_json(credential)
        if out is None:
            typer.echo(text, nl=False)
        else:
            write_output(out, text)
