"""The CLI commands: parse input, call one engine service, render.

Every command body runs inside :func:`microcred.cli.errors.cli_errors`, which turns
any error into one line on stderr and an exit code.
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from microcred.cli.errors import EXIT_NOT_VERIFIED, EXIT_OK, cli_errors
from microcred.cli.inputs import parse_json, read_input, read_json, write_output
from microcred.cli.render import render_json, render_report, write_json
from microcred.clock import FixedClock
from microcred.did.key import did_key_from_public, did_key_verification_method, resolve_did_key
from microcred.errors import InvalidInput
from microcred.issuance.pipeline import IssuancePipeline
from microcred.keys.protocols import Signer
from microcred.proof.jose.vc_jwt import encode_vc_jwt
from microcred.verification.checks.base import issuer_id, parse_date_time_stamp, type_values
from microcred.verification.checks.jwt import jwt_token
from microcred.verification.checks.structure import check_object
from microcred.verification.codes import JSONLD_CONTEXTS
from microcred.wiring import Engine, build_engine, build_key_store

__all__ = ["did_show", "keys_list", "keys_new", "sign", "verify"]

StoreOption = Annotated[
    Path | None,
    typer.Option(
        "--store",
        help="Key store directory (default: $MICROCRED_KEY_STORE_DIR, else "
        "$MICROCRED_HOME/keys, else ./var/keys).",
        file_okay=False,
    ),
]
NetworkOption = Annotated[
    bool,
    typer.Option(
        "--allow-network",
        help="Resolve did:web issuers over HTTPS (off by default; also MICROCRED_ALLOW_NETWORK=1).",
    ),
]
SUITES = ("eddsa-rdfc-2022", "eddsa-jcs-2022")
FORMATS = ("di", "jwt")


def _out(text: str) -> None:
    """Write UTF-8 text to stdout whatever the locale."""
    sys.stdout.flush()
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.buffer.flush()


def _require_object(document: Any, source: str, what: str = "credential") -> dict[str, Any]:
    if not isinstance(document, dict):
        message = check_object(document, what=what).message
        raise InvalidInput(f"{'standard input' if source == '-' else source}: {message}")
    return document


# ---------------------------------------------------------------------- keys


def keys_new(
    store: StoreOption = None,
    key_id: Annotated[
        str | None,
        typer.Option("--id", help="Name of the new key (default: a random key-xxxxxxxxxxxx)."),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Create an Ed25519 signing key, encrypted in the key store; print its did:key."""
    with cli_errors():
        key_store = build_key_store(store)
        name = key_id or f"key-{secrets.token_hex(6)}"
        public_multibase = key_store.create(name)
        raw = key_store.public_key(name)
        info = {
            "keyId": name,
            "publicKeyMultibase": public_multibase,
            "did": did_key_from_public(raw),
            "verificationMethod": did_key_verification_method(raw),
            "store": str(key_store.path.resolve()),
        }
        if json_output:
            write_json(info)
            return
        _out(
            f"Created key {name} in {info['store']}\n"
            f"  publicKeyMultibase   {public_multibase}\n"
            f"  did:key              {info['did']}\n"
            f"  verification method  {info['verificationMethod']}\n"
        )


def keys_list(
    store: StoreOption = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """List the keys in the key store with their did:key."""
    with cli_errors():
        key_store = build_key_store(store)
        keys = [
            {"keyId": name, "did": did_key_from_public(key_store.public_key(name))}
            for name in key_store.list_keys()
        ]
        if json_output:
            write_json({"store": str(key_store.path.resolve()), "keys": keys})
            return
        if not keys:
            _out(f"No keys in {key_store.path.resolve()}\n")
        for entry in keys:
            _out(f"{entry['keyId']}  {entry['did']}\n")


# ---------------------------------------------------------------------- did


def did_show(
    key_id: Annotated[
        str | None,
        typer.Argument(help="A key id from the key store.", show_default=False, metavar="KEY_ID"),
    ] = None,
    did: Annotated[
        str | None, typer.Option("--did", help="Resolve this DID instead (did:key, did:web).")
    ] = None,
    store: StoreOption = None,
    allow_network: NetworkOption = False,
) -> None:
    """Print the DID document of a stored key (its did:key) or of any DID."""
    if (key_id is None) == (did is None):
        raise typer.BadParameter("give either a KEY_ID or --did DID (exactly one)")
    with cli_errors():
        if key_id is not None:
            raw = build_key_store(store).public_key(key_id)
            document = resolve_did_key(did_key_from_public(raw))
        else:
            assert did is not None
            engine = build_engine(allow_network=True if allow_network else None)
            document = engine.did_resolver.resolve(did)
        _out(render_json(document))


# ---------------------------------------------------------------------- sign


def _with_issuer(credential: Mapping[str, Any], did: str) -> dict[str, Any]:
    updated = dict(credential)
    issuer = credential.get("issuer")
    updated["issuer"] = {**issuer, "id": did} if isinstance(issuer, Mapping) else did
    return updated


def sign(
    file: Annotated[
        str,
        typer.Argument(help="Unsigned credential (JSON file, or - for stdin).", metavar="FILE"),
    ],
    key: Annotated[str, typer.Option("--key", help="Id of the signing key in the key store.")],
    suite: Annotated[
        str, typer.Option("--suite", help="Cryptosuite: eddsa-rdfc-2022 or eddsa-jcs-2022.")
    ] = "eddsa-rdfc-2022",
    out: Annotated[
        str | None, typer.Option("--out", help="Write the signed credential here, not stdout.")
    ] = None,
    set_issuer: Annotated[
        bool,
        typer.Option("--set-issuer", help="Make the key's did:key the credential's issuer."),
    ] = False,
    store: StoreOption = None,
    output_format: Annotated[
        str,
        typer.Option(
            "--format",
            help="di: a Data Integrity proof (JSON); jwt: a VC-JWT (compact JWS text, "
            "docs/vc-jwt.md).",
        ),
    ] = "di",
) -> None:
    """Sign an unsigned Open Badges 3.0 credential with a stored key (its did:key)."""
    if suite not in SUITES:
        raise typer.BadParameter(f"use one of {', '.join(SUITES)}", param_hint="--suite")
    if output_format not in FORMATS:
        raise typer.BadParameter(f"use one of {', '.join(FORMATS)}", param_hint="--format")
    with cli_errors():
        credential = _require_object(read_json(file), file)
        key_store = build_key_store(store)
        raw = key_store.public_key(key)
        did, method = did_key_from_public(raw), did_key_verification_method(raw)
        current = issuer_id(credential)
        if current != did:
            if not set_issuer:
                raise InvalidInput(
                    f"the credential's issuer is {current or 'missing'}, but key {key} is {did}; "
                    "pass --set-issuer to make the key's DID the issuer"
                )
            credential = _with_issuer(credential, did)
        engine = build_engine(allow_network=False)
        pipeline = IssuancePipeline(engine.registry, engine.loader, engine.verifier)
        with key_store.signer_for(key, method) as signer:
            now = engine.clock.now().replace(microsecond=0)
            if output_format == "jwt":
                text = _sign_jwt(engine, pipeline, credential, signer, now)
            else:
                text = render_json(pipeline.issue(credential, signer, suite, now=now))
        if out is None:
            _out(text)
        else:
            write_output(out, text)
            sys.stderr.write(f"Signed with {method}; written to {out}\n")


def _sign_jwt(
    engine: Engine,
    pipeline: IssuancePipeline,
    credential: dict[str, Any],
    signer: Signer,
    now: datetime,
) -> str:
    """Validate, sign as a VC-JWT and verify the token before handing it out."""
    pipeline.validate(credential, now=now, signer=signer)
    token = encode_vc_jwt(credential, signer)
    report = engine.verifier.verify_credential(token)
    if not report.verified:
        why = report.failures[0].message if report.failures else "it did not verify"
        raise InvalidInput(f"the VC-JWT did not verify right after signing: {why}")
    return token + "\n"


def _read_credential_or_jwt(file: str) -> Any:
    """The parsed JSON of ``file``, or its text when it is a VC-JWT (compact JWS)."""
    data = read_input(file)
    head = data.lstrip()[:1]
    if head and head not in (b"{", b"[", b'"'):
        try:
            text = data.decode("ascii").strip()
        except UnicodeDecodeError:
            text = ""
        token = jwt_token(text)
        if token is not None:
            return token
    return parse_json(data, source=file)


# ---------------------------------------------------------------------- verify


def _extra_contexts(pairs: list[str] | None) -> dict[str, Any]:
    contexts: dict[str, Any] = {}
    for pair in pairs or []:
        url, sep, path = pair.rpartition("=")
        if not sep or not url or not path:
            raise typer.BadParameter(f"expected URL=FILE, got {pair!r}", param_hint="--context")
        contexts[url] = read_json(path)
    return contexts


def _parse_at(at: str | None) -> FixedClock | None:
    if at is None:
        return None
    try:
        return FixedClock(parse_date_time_stamp(at))
    except ValueError as why:
        raise InvalidInput(f"--at {at!r} is not a date and time with a timezone: {why}") from None


def verify(
    file: Annotated[
        str,
        typer.Argument(
            help="Credential or presentation (JSON file, a VC-JWT file, or - for stdin).",
            metavar="FILE",
        ),
    ],
    json_output: Annotated[
        bool, typer.Option("--json", help="Print exactly one JSON object (for scripts).")
    ] = False,
    allow_network: NetworkOption = False,
    at: Annotated[
        str | None,
        typer.Option("--at", help="Check dates as of this time, e.g. 2026-03-03T12:00:00Z."),
    ] = None,
    challenge: Annotated[
        str | None, typer.Option("--challenge", help="Presentations: the expected challenge.")
    ] = None,
    domain: Annotated[
        str | None, typer.Option("--domain", help="Presentations: the expected domain.")
    ] = None,
    context: Annotated[
        list[str] | None,
        typer.Option(
            "--context",
            help="Trust a local copy of a JSON-LD context microcred does not ship: URL=FILE "
            "(repeatable). Contexts are never downloaded.",
        ),
    ] = None,
) -> None:
    """Verify a credential or presentation and explain every check.

    Exit status: 0 verified, 1 not verified, 2 unusable input or bad usage.
    """
    with cli_errors(json_output=json_output):
        clock = _parse_at(at)
        extra = _extra_contexts(context)
        document = _read_credential_or_jwt(file)
        presentation = isinstance(document, dict) and (
            "VerifiablePresentation" in type_values(document)
        )
        if not (isinstance(document, str) and jwt_token(document) is not None):
            document = _require_object(
                document, file, "presentation" if presentation else "credential"
            )
        engine = build_engine(
            allow_network=True if allow_network else None, clock=clock, extra_contexts=extra
        )
        if presentation:
            report = engine.verifier.verify_presentation(
                document, challenge=challenge, domain=domain
            )
        else:
            report = engine.verifier.verify_credential(document)
        problem = report.input_problem()
        if problem is not None:
            where = "standard input" if file == "-" else file
            hint = (
                " If you trust a copy of that context, pass it with --context URL=FILE."
                if problem.code == JSONLD_CONTEXTS
                else ""
            )
            raise InvalidInput(f"{where}: {problem.message}{hint}", report=report.to_json())
        if json_output:
            write_json(report.to_json())
        else:
            render_report(report)
    raise typer.Exit(EXIT_OK if report.verified else EXIT_NOT_VERIFIED)
