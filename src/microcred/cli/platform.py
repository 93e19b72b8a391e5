"""Platform commands: ``serve``, ``init``, ``migrate``, ``demo``, ``issuer``, ``definition``,
``issue``, ``import``, ``token``.

They act on the platform configured by the ``MICROCRED_*`` environment (database, key store,
base URL; see docs/running.md). **The command line is for the machine's operator**: whoever
can run it already holds the database and the key-encryption key. Commands act as a staff
account so that the audit log names a person: the first platform operator by default, or the
account given with ``--as EMAIL`` (its roles apply, exactly as if it had signed in).

Errors become one line on stderr and an exit code (:mod:`microcred.cli.errors`).
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from microcred.cli.errors import cli_errors, printable
from microcred.cli.session import session
from microcred.errors import Conflict, InvalidInput, NotFound

if TYPE_CHECKING:
    from microcred.services.definitions import DefinitionInfo
    from microcred.services.schemas_identity import IssuerInfo
    from microcred.settings import Settings

# The services (SQLAlchemy, FastAPI models, ...) are imported inside the commands, so that the
# engine commands ('verify', 'sign', ...) start as fast as before.

__all__ = ["register"]

issuer_app = typer.Typer(
    help="Issuers (tenants): create, list, show, rotate keys.", no_args_is_help=True
)
definition_app = typer.Typer(
    help="Micro-credential definitions: list, show, compliance, create, publish.",
    no_args_is_help=True,
)
token_app = typer.Typer(help="API tokens: create, list, revoke.", no_args_is_help=True)

AsOption = Annotated[
    str | None,
    typer.Option(
        "--as",
        metavar="EMAIL",
        help="Act as this staff account (default: the first platform operator).",
        envvar="MICROCRED_AS",
    ),
]
IssuerOption = Annotated[
    str | None,
    typer.Option(
        "--issuer", metavar="SLUG", help="The issuer (default: the only one you belong to)."
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
#: verify with this platform's verifier (``clr verify``, ``elm show``)
OnPlatformOption = Annotated[
    bool,
    typer.Option(
        "--platform",
        help="Verify with this platform's verifier: its hosted did:web issuers and status "
        "lists are read in-process (no network needed for them).",
    ),
]
AllowNetworkOption = Annotated[
    bool, typer.Option("--allow-network", help="Resolve did:web and status lists over HTTPS.")
]


# --------------------------------------------------------------------------- helpers


def _echo(text: str = "") -> None:
    typer.echo(printable(text))


def _json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=True, default=str) + "\n")
    sys.stdout.flush()


def _issuer_lines(info: IssuerInfo) -> list[str]:
    lines = [
        f"Issuer        {info.name} ({info.slug})",
        f"Id            {info.id}",
        f"DID           {info.did}",
    ]
    if info.did_document_url:
        lines.append(f"DID document  {info.did_document_url}")
    if info.active_key is not None:
        lines.append(f"Active key    {info.active_key.verification_method}")
    if info.country_code:
        region = f" / {info.region_code}" if info.region_code else ""
        lines.append(f"Country       {info.country_code}{region}")
    return lines


def _issuer_json(info: IssuerInfo) -> dict[str, Any]:
    return {
        "id": str(info.id),
        "slug": info.slug,
        "name": info.name,
        "did": info.did,
        "didMethod": info.did_method,
        "didDocumentUrl": info.did_document_url,
        "countryCode": info.country_code,
        "regionCode": info.region_code,
        "activeKey": None if info.active_key is None else info.active_key.verification_method,
    }


# --------------------------------------------------------------------------- serve, init, migrate


def serve(
    host: Annotated[str | None, typer.Option(help="Interface (default: MICROCRED_HOST).")] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port (default: MICROCRED_PORT).")
    ] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Server processes.")] = 1,
) -> None:
    """Run the web server (migrates the database first) and, every
    MICROCRED_ANCHOR_INTERVAL_SECONDS (0: never), anchoring in the background."""
    with cli_errors():
        import uvicorn

        from microcred.services.platform import key_store_from_settings
        from microcred.settings import load_settings
        from microcred.storage import migrate as migrate_database

        settings = load_settings()
        key_store_from_settings(settings)  # a missing or bad KEK fails here, not per request
        migrate_database(settings.database_url)
        _warn_if_links_miss(settings, port or settings.port)
        # uvicorn shuts down gracefully on SIGTERM, then re-raises the signal: a stop asked for
        # (systemd, docker stop, kill) then ends with status 0 instead of "killed by SIGTERM".
        signal.signal(signal.SIGTERM, _stopped)
        from microcred.cli.anchor_commands import background_anchoring

        # one anchoring loop per 'serve' (not per worker); its run lock keeps several
        # servers on one database from anchoring at the same time
        with background_anchoring(settings):
            uvicorn.run(
                "microcred.api.asgi:app_from_environment",
                factory=True,
                host=host or settings.host,
                port=port or settings.port,
                workers=workers,
                log_level=settings.log_level.lower(),
                proxy_headers=True,
                server_header=False,
                # uvloop + httptools when installed (pinned in pyproject), else asyncio + h11;
                # no access log line per request (errors still log): docs/performance.md
                loop="auto",
                http="auto",
                access_log=settings.log_level == "DEBUG",
            )


def _warn_if_links_miss(settings: Settings, port: int) -> None:
    """One line on stderr when the default base URL names another port than the server's:
    links in mails and pages, and did:web identifiers, are made from the base URL."""
    if "base_url" in settings.model_fields_set:
        return  # chosen by the operator (a proxy may well listen elsewhere)
    from urllib.parse import urlsplit

    named = urlsplit(settings.base_url).port
    if named is not None and named != port:
        typer.echo(
            f"warning: MICROCRED_BASE_URL is not set, so links and did:web identifiers point "
            f"to {settings.base_url} while this server listens on port {port}; set "
            f"MICROCRED_BASE_URL=http://127.0.0.1:{port} (the same for 'init' and 'demo')",
            err=True,
        )


def _stopped(signum: int, frame: object) -> None:
    raise SystemExit(0)


def migrate() -> None:
    """Create or upgrade the database schema to the newest version."""
    with cli_errors():
        from microcred.settings import load_settings
        from microcred.storage import migrate as migrate_database

        settings = load_settings()
        migrate_database(settings.database_url)
        _echo(f"database is current ({_safe_url(settings)})")


def _safe_url(settings: Settings) -> str:
    url = settings.database_url
    scheme, _, rest = url.partition("://")
    if "@" in rest:
        rest = "…@" + rest.rpartition("@")[2]
    return f"{scheme}://{rest}"


def init(
    admin_email: Annotated[
        str,
        typer.Option(envvar="MICROCRED_ADMIN_EMAIL", help="E-mail of the first operator."),
    ] = "admin@example.org",
    issuer_slug: Annotated[
        str | None, typer.Option(help="Also create this first issuer (needs --issuer-name).")
    ] = None,
    issuer_name: Annotated[str | None, typer.Option(help="Name of the first issuer.")] = None,
    country: Annotated[
        str | None, typer.Option(help="ISO 3166-1 country code of the first issuer.")
    ] = None,
    did_method: Annotated[str, typer.Option(help="web (hosted here) or key.")] = "web",
    json_output: JsonOption = False,
) -> None:
    """Create the database, the first operator and (optionally) the first issuer.

    The operator's password is MICROCRED_ADMIN_PASSWORD or a generated one, printed once.
    Running it again changes nothing and prints no password.
    """
    with session() as cmd:
        from microcred.services.access import Role
        from microcred.services.schemas_identity import IssuerCreate
        from microcred.services.seed import ensure_operator, local_principal

        if (issuer_slug is None) != (issuer_name is None):
            raise InvalidInput("give --issuer-slug and --issuer-name together")
        if did_method not in ("web", "key"):
            raise InvalidInput("--did-method is 'web' or 'key'")
        try:
            account = ensure_operator(
                cmd.platform, admin_email, os.environ.get("MICROCRED_ADMIN_PASSWORD") or None
            )
        except NotFound:
            raise Conflict(
                f"this platform already has its first operator, so init creates no account "
                f"for {admin_email}; run init with that operator's e-mail address, or add "
                f"staff with: microcred staff add EMAIL --role ROLE --issuer SLUG"
            ) from None
        issuer: IssuerInfo | None = None
        if issuer_slug is not None and issuer_name is not None:
            acting = local_principal(cmd.platform, account.user.email)
            existing = [
                i
                for i in cmd.platform.issuers.list_issuers(acting, limit=1000)
                if i.slug == issuer_slug
            ]
            issuer = (
                existing[0]
                if existing
                else cmd.platform.issuers.create_issuer(
                    acting,
                    IssuerCreate(
                        slug=issuer_slug,
                        name=issuer_name,
                        country_code=country,
                        did_method="web" if did_method == "web" else "key",
                    ),
                )
            )
            members = cmd.platform.identity.list_members(acting, issuer.id)
            if not any(m.user_id == account.user.id for m in members):
                cmd.platform.identity.add_member(acting, issuer.id, account.user.email, Role.ADMIN)
        if json_output:
            _json(
                {
                    "operator": account.user.email,
                    "password": account.password,
                    "issuer": None if issuer is None else _issuer_json(issuer),
                }
            )
            return
        _echo(f"Database      {_safe_url(cmd.platform.settings)}")
        _echo(f"Operator      {account.user.email}")
        if account.password is not None:
            _echo(f"Password      {account.password}   (shown once: store it now)")
        else:
            _echo("Password      (unchanged: the account existed already)")
        if issuer is not None:
            for line in _issuer_lines(issuer):
                _echo(line)


def demo(
    admin_email: Annotated[
        str, typer.Option(envvar="MICROCRED_ADMIN_EMAIL", help="E-mail of the demo administrator.")
    ] = "admin@uni.example",
    json_output: JsonOption = False,
) -> None:
    """Fill the platform with the demo (idempotent) and print the login and the URLs."""
    with session() as cmd:
        from microcred.services.seed import seed_demo

        seed = seed_demo(
            cmd.platform,
            admin_email=admin_email,
            admin_password=os.environ.get("MICROCRED_ADMIN_PASSWORD") or None,
        )
        base = cmd.platform.settings.base_url
        urls = {
            "app": base,
            "apiDocs": f"{base}/docs",
            "didDocument": seed.issuer.did_document_url,
            "claim": seed.credential.claim_url,
            "outbox": f"{base}/console/{seed.issuer.slug}/outbox",
        }
        if json_output:
            _json(
                {
                    "login": {
                        "email": seed.operator.user.email,
                        "password": seed.operator.password,
                    },
                    "issuer": _issuer_json(seed.issuer),
                    "definitions": {
                        seed.published.slug: seed.published.state.value,
                        seed.draft.slug: seed.draft.state.value,
                    },
                    "credential": seed.credential.credential_uri,
                    "urls": urls,
                }
            )
            return
        _echo("microcred demo")
        _echo(f"  Sign in       {seed.operator.user.email}")
        if seed.operator.password is not None:
            _echo(f"  Password      {seed.operator.password}   (shown once: store it now)")
        else:
            _echo("  Password      (set earlier; MICROCRED_ADMIN_PASSWORD when it was created)")
        _echo(f"  Issuer        {seed.issuer.name}: {seed.issuer.did}")
        _echo(
            f"  Definitions   {seed.published.slug} ({seed.published.state.value}), "
            f"{seed.draft.slug} ({seed.draft.state.value})"
        )
        _echo(f"  Credential    {seed.credential.credential_uri}")
        _echo(f"  App           {base}")
        _echo(f"  API docs      {base}/docs")
        if seed.issuer.did_document_url:
            _echo(f"  DID document  {seed.issuer.did_document_url}")
        if seed.credential.claim_url:
            _echo(f"  Claim link    {seed.credential.claim_url}")
        _echo(f"  Outbox        {urls['outbox']}   (the claim e-mail, after signing in)")


# --------------------------------------------------------------------------- issuers


@issuer_app.command("create")
def issuer_create(
    slug: Annotated[str, typer.Option(help="Short name: a-z, 0-9, '-' (in URLs and the DID).")],
    name: Annotated[str, typer.Option(help="Display name.")],
    legal_name: Annotated[str | None, typer.Option(help="Legal name.")] = None,
    homepage: Annotated[str | None, typer.Option(help="Homepage URL.")] = None,
    email: Annotated[str | None, typer.Option(help="Contact e-mail.")] = None,
    country: Annotated[str | None, typer.Option(help="ISO 3166-1 alpha-2 code.")] = None,
    region: Annotated[str | None, typer.Option(help="ISO 3166-2 or NUTS code.")] = None,
    did_method: Annotated[str, typer.Option(help="web (hosted here) or key.")] = "web",
    admin: Annotated[
        str | None, typer.Option(help="Make this existing account the issuer's admin.")
    ] = None,
    as_user: AsOption = None,
    json_output: JsonOption = False,
) -> None:
    """Create an issuer with its DID and first signing key (operators)."""
    with session(as_user) as cmd:
        from microcred.services.access import Role
        from microcred.services.schemas_identity import IssuerCreate

        data: dict[str, Any] = {
            "slug": slug,
            "name": name,
            "legal_name": legal_name,
            "homepage": homepage,
            "email": email,
            "country_code": country,
            "region_code": region,
            "did_method": did_method,
        }
        info = cmd.platform.issuers.create_issuer(
            cmd.principal, IssuerCreate(**{k: v for k, v in data.items() if v is not None})
        )
        if admin is not None:
            cmd.platform.identity.add_member(cmd.principal, info.id, admin, Role.ADMIN)
        if json_output:
            _json(_issuer_json(info))
            return
        for line in _issuer_lines(info):
            _echo(line)


@issuer_app.command("list")
def issuer_list(as_user: AsOption = None, json_output: JsonOption = False) -> None:
    """The issuers you may see."""
    with session(as_user) as cmd:
        issuers = cmd.platform.issuers.list_issuers(cmd.principal, limit=1000)
        if json_output:
            _json([_issuer_json(i) for i in issuers])
            return
        if not issuers:
            _echo("no issuers yet: create one with 'microcred issuer create'")
        for info in issuers:
            _echo(f"{info.slug:<28} {info.did}  {info.name}")


@issuer_app.command("show")
def issuer_show(
    slug: Annotated[str, typer.Argument(metavar="SLUG")],
    as_user: AsOption = None,
    json_output: JsonOption = False,
) -> None:
    """An issuer's profile, DID and keys."""
    with session(as_user, slug) as cmd:
        info = cmd.issuer
        keys = cmd.platform.issuers.list_keys(cmd.principal, info.id)
        if json_output:
            data = _issuer_json(info)
            data["keys"] = [
                {
                    "verificationMethod": k.verification_method,
                    "status": k.status,
                    "created": k.created_at.isoformat(),
                    "rotated": None if k.rotated_at is None else k.rotated_at.isoformat(),
                }
                for k in keys
            ]
            _json(data)
            return
        for line in _issuer_lines(info):
            _echo(line)
        for key in keys:
            _echo(f"Key           {key.verification_method} ({key.status})")


@issuer_app.command("rotate-key")
def issuer_rotate_key(
    slug: Annotated[str, typer.Argument(metavar="SLUG")],
    as_user: AsOption = None,
    json_output: JsonOption = False,
) -> None:
    """Make a new active signing key; the old one stays resolvable, revoked."""
    with session(as_user, slug) as cmd:
        info = cmd.issuer
        key = cmd.platform.issuers.rotate_key(cmd.principal, info.id)
        if json_output:
            _json({"verificationMethod": key.verification_method, "status": key.status})
            return
        _echo(f"new active key {key.verification_method}")


# --------------------------------------------------------------------------- definitions


def _definition_json(info: DefinitionInfo) -> dict[str, Any]:
    return {
        "id": str(info.id),
        "slug": info.slug,
        "name": info.name,
        "state": info.state.value,
        "latestVersion": info.latest_version,
        "publishedVersion": info.published_version,
    }


@definition_app.command("list")
def definition_list(
    issuer: IssuerOption = None, as_user: AsOption = None, json_output: JsonOption = False
) -> None:
    """The issuer's definitions."""
    with session(as_user, issuer) as cmd:
        definitions = cmd.platform.definitions.list(cmd.principal, cmd.issuer.id)
        if json_output:
            _json([_definition_json(d) for d in definitions])
            return
        if not definitions:
            _echo("no definitions yet: create one with 'microcred definition create FILE'")
        for info in definitions:
            published = f"v{info.published_version}" if info.published_version else "-"
            _echo(
                f"{info.slug:<32} {info.state.value:<10} latest v{info.latest_version:<3} "
                f"published {published:<5} {info.name}"
            )


@definition_app.command("show")
def definition_show(
    slug: Annotated[str, typer.Argument(metavar="SLUG")],
    issuer: IssuerOption = None,
    as_user: AsOption = None,
) -> None:
    """A definition's newest version as JSON (the Open Badges Achievement)."""
    with session(as_user, issuer) as cmd:
        info = cmd.definition(slug)
        data = _definition_json(info)
        data["achievement"] = info.latest.achievement.to_json()
        _json(data)


@definition_app.command("compliance")
def definition_compliance(
    slug: Annotated[str, typer.Argument(metavar="SLUG")],
    version: Annotated[int | None, typer.Option(min=1, help="Default: the newest.")] = None,
    issuer: IssuerOption = None,
    as_user: AsOption = None,
    json_output: JsonOption = False,
) -> None:
    """Which EU standard elements are present, weak or missing."""
    with session(as_user, issuer) as cmd:
        info = cmd.definition(slug)
        report = cmd.platform.definitions.compliance(cmd.principal, cmd.issuer.id, info.id, version)
        if json_output:
            _json(report.to_json())
            return
        verdict = "compliant" if report.compliant else "NOT compliant (cannot be published)"
        _echo(f"{info.slug}: {verdict}")
        for finding in report.findings:
            mark = {"present": "ok", "from_credential": "ok"}.get(finding.status, finding.status)
            _echo(f"  [{mark:<10}] {finding.element}: {finding.message}")
        if not report.compliant:
            raise typer.Exit(1)


@definition_app.command("create")
def definition_create(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            help='JSON: {"slug": …, "achievement": {…}} (an Open Badges Achievement with '
            "euStandardElements).",
            exists=True,
            dir_okay=False,
        ),
    ],
    issuer: IssuerOption = None,
    as_user: AsOption = None,
    json_output: JsonOption = False,
) -> None:
    """Create a definition (version 1, a draft) from a JSON file."""
    with session(as_user, issuer) as cmd:
        from microcred.services.definitions import DefinitionInput

        try:
            payload = json.loads(file.read_text(encoding="utf-8-sig"))
        except ValueError as exc:
            raise InvalidInput(f"{file}: not JSON ({exc})") from None
        info = cmd.platform.definitions.create(
            cmd.principal, cmd.issuer.id, DefinitionInput.from_json(payload)
        )
        if json_output:
            _json(_definition_json(info))
            return
        _echo(f"created {info.slug} v{info.latest_version} ({info.state.value}): {info.name}")


@definition_app.command("publish")
def definition_publish(
    slug: Annotated[str, typer.Argument(metavar="SLUG")],
    issuer: IssuerOption = None,
    as_user: AsOption = None,
) -> None:
    """Submit the newest version for review (if it is a draft) and publish it."""
    with session(as_user, issuer) as cmd:
        from microcred.storage import DefinitionState

        info = cmd.definition(slug)
        if info.latest.state is DefinitionState.DRAFT:
            cmd.platform.definitions.submit_for_review(cmd.principal, cmd.issuer.id, info.id)
        version = cmd.platform.definitions.approve_and_publish(
            cmd.principal, cmd.issuer.id, info.id
        )
        _echo(f"published {info.slug} v{version.version}")


# --------------------------------------------------------------------------- issuing


def issue(
    definition: Annotated[str, typer.Option("--definition", metavar="SLUG", help="Definition.")],
    learner_email: Annotated[str, typer.Option(help="The learner's e-mail address.")],
    name: Annotated[str, typer.Option("--name", help="The learner's name.")],
    external_id: Annotated[
        str | None, typer.Option(help="Student number (learners are matched on it).")
    ] = None,
    idempotency_key: Annotated[
        str | None, typer.Option(help="Retrying with the same key never issues twice.")
    ] = None,
    issuer: IssuerOption = None,
    as_user: AsOption = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the signed credential as JSON.")
    ] = False,
) -> None:
    """Issue one credential from a published definition and queue the claim e-mail."""
    with session(as_user, issuer) as cmd:
        from microcred.services.issuance import IssueRequest, LearnerInput

        info = cmd.definition(definition)
        learner: dict[str, Any] = {"name": name, "email": learner_email}
        if external_id is not None:
            learner["external_id"] = external_id
        request: dict[str, Any] = {"definition_id": info.id, "learner": LearnerInput(**learner)}
        if idempotency_key is not None:
            request["idempotency_key"] = idempotency_key
        issued = cmd.platform.issuance.issue(cmd.principal, cmd.issuer.id, IssueRequest(**request))
        if json_output:
            _json(dict(issued.document))
            return
        again = " (already issued with this key)" if issued.replayed else ""
        _echo(f"issued {issued.credential_uri}{again}")
        if issued.claim_url:
            _echo(f"claim link {issued.claim_url}")


# --------------------------------------------------------------------------- bulk import


def _mapping(pairs: list[str] | None) -> dict[str, str] | None:
    """``--mapping "E-mail=email"`` (column=field) -> ``{"email": "E-mail"}``."""
    if not pairs:
        return None
    mapping: dict[str, str] = {}
    for pair in pairs:
        column, sep, name = pair.rpartition("=")
        if not sep or not column.strip() or not name.strip():
            raise InvalidInput(f"--mapping {pair!r}: write COLUMN=FIELD, e.g. 'E-mail=email'")
        mapping[name.strip()] = column.strip()
    return mapping


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def _progress(total_label: str) -> Iterator[Any]:
    """A rich progress bar on a terminal, a plain progress line (stderr) otherwise."""
    if sys.stderr.isatty():
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]} failed"),
            TimeRemainingColumn(),
            transient=False,
        ) as bar:
            task = bar.add_task(total_label, total=None, failed=0)

            def update(done: int, total: int, failed: int) -> None:
                bar.update(task, completed=done, total=total, failed=failed)

            yield update
        return
    from microcred.imports import ProgressLine

    line = ProgressLine(sys.stderr.write, monotonic=time.monotonic, label=total_label)
    yield line
    line.finish()


def import_file(
    file: Annotated[
        Path, typer.Argument(metavar="FILE", exists=True, dir_okay=False, help="CSV or XLSX.")
    ],
    definition: Annotated[str, typer.Option("--definition", metavar="SLUG", help="Definition.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check every row; issue nothing.")
    ] = False,
    mapping: Annotated[
        list[str] | None,
        typer.Option(
            "--mapping",
            metavar="COLUMN=FIELD",
            help="Map a column to a field (repeatable), e.g. 'E-mail=email'; default: guessed "
            "from the headers.",
        ),
    ] = None,
    version: Annotated[int | None, typer.Option(min=1, help="Default: newest published.")] = None,
    sheet: Annotated[str | None, typer.Option(help="XLSX worksheet (default: the first).")] = None,
    date_order: Annotated[str, typer.Option(help="DMY (30/06/2025) or MDY.")] = "DMY",
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            max=64,
            help="Worker processes (default: one per CPU core; 1 = this process only).",
        ),
    ] = None,
    chunk_size: Annotated[
        int | None,
        typer.Option("--chunk-size", min=1, max=5000, help="Rows per transaction (default 500)."),
    ] = None,
    anchor: Annotated[
        bool,
        typer.Option("--anchor/--no-anchor", help="Anchor the new credentials at the end."),
    ] = True,
    issuer: IssuerOption = None,
    as_user: AsOption = None,
    json_output: JsonOption = False,
) -> None:
    """Issue a credential to every good row of a CSV/XLSX file (resumable: run it again).

    Bad rows are reported with their reason and issue nothing. Running the same file again
    resumes its unfinished job; rows already issued are never issued twice.
    """
    with session(as_user, issuer) as cmd:
        from microcred.services.imports import ImportRequest, ImportService

        info = cmd.definition(definition)
        if date_order not in ("DMY", "MDY"):
            raise InvalidInput("--date-order is DMY or MDY")
        fields: dict[str, Any] = {"definition_id": info.id, "date_order": date_order}
        for name, value in (("version", version), ("sheet", sheet), ("mapping", _mapping(mapping))):
            if value is not None:
                fields[name] = value
        request = ImportRequest(**fields)
        found = getattr(cmd.platform, "imports", None)
        service = (
            found
            if isinstance(found, ImportService)
            else ImportService.for_issuance(cmd.platform.uow, cmd.platform.issuance)
        )
        if dry_run:
            report = service.dry_run(cmd.principal, cmd.issuer.id, file, file.name, request)
            if json_output:
                _json(
                    {
                        "rowsTotal": report.rows_total,
                        "rowsOk": report.rows_ok,
                        "rowsFailed": report.rows_failed,
                        "mapping": report.mapping,
                        "errors": [
                            {"row": e.row, "column": e.column, "reason": e.reason}
                            for e in report.errors
                        ],
                    }
                )
            else:
                _echo(
                    f"{file.name}: {report.rows_total} rows, {report.rows_ok} ok, "
                    f"{report.rows_failed} with problems (nothing was issued)"
                )
                _echo("mapping: " + ", ".join(f"{v} -> {k}" for k, v in report.mapping.items()))
                for note in report.notes:
                    _echo(f"note: {note}")
                for problem in report.errors[:50]:
                    _echo(f"  {problem}")
                if report.rows_failed > 50:
                    _echo(f"  … and {report.rows_failed - 50} more (use --json for all)")
            if report.rows_failed:
                raise typer.Exit(1)
            return
        digest = _file_sha256(file)
        unfinished = [
            job
            for job in service.list_jobs(cmd.principal, cmd.issuer.id, limit=1000)
            if job.file_sha256 == digest
            and job.definition_id == info.id
            and job.loaded
            and job.state.value in ("created", "running", "failed")
        ]
        if unfinished:
            job = unfinished[0]
            _err(f"resuming import job {job.id} ({job.done_rows} of {job.total_rows} rows done)")
        else:
            job = service.create_job(cmd.principal, cmd.issuer.id, file, file.name, request)
            _err(
                f"import job {job.id}: {job.total_rows} rows, {job.failed_rows} refused while "
                "reading"
            )
        with _progress(file.name) as on_progress:
            if service is getattr(cmd.platform, "imports", None):
                from microcred.services.bulk_runner import run_job_parallel

                outcome = run_job_parallel(
                    cmd.platform,
                    cmd.principal,
                    cmd.issuer.id,
                    job.id,
                    workers=workers,
                    chunk=chunk_size,
                    on_progress=on_progress,
                    anchor=anchor,
                )
                job = outcome.job
            else:
                job = service.run_job(
                    cmd.principal,
                    cmd.issuer.id,
                    job.id,
                    worker_id="cli",
                    batch_size=chunk_size,
                    on_progress=on_progress,
                )
        if json_output:
            _json(
                {
                    "job": str(job.id),
                    "state": job.state.value,
                    "totalRows": job.total_rows,
                    "issuedRows": job.issued_rows,
                    "failedRows": job.failed_rows,
                }
            )
        else:
            _echo(
                f"{job.state.value}: {job.issued_rows} issued, {job.failed_rows} failed of "
                f"{job.total_rows} rows (job {job.id})"
            )
            if job.failed_rows:
                _echo(
                    "the failed rows and their reasons: GET /api/v1/issuers/"
                    f"{cmd.issuer.id}/imports/{job.id}/errors.csv"
                )
        if job.failed_rows:
            raise typer.Exit(1)


def _err(text: str) -> None:
    sys.stderr.write(printable(text) + "\n")
    sys.stderr.flush()


# --------------------------------------------------------------------------- tokens


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option(help="What the token is for.")],
    scope: Annotated[
        list[str] | None,
        typer.Option(
            "--scope",
            help="A permission (repeatable), e.g. credential:issue; default: all of yours.",
        ),
    ] = None,
    expires_days: Annotated[
        int | None, typer.Option(min=1, max=3650, help="Expire after this many days.")
    ] = None,
    issuer: IssuerOption = None,
    as_user: AsOption = None,
    json_output: JsonOption = False,
) -> None:
    """Create an API token for an issuer; the secret is printed once."""
    with session(as_user, issuer) as cmd:
        scopes: Sequence[str] = scope or sorted(
            p.value for p in cmd.principal.permissions_at(cmd.issuer.id)
        )
        expires = None
        if expires_days is not None:
            expires = cmd.platform.clock.now().astimezone(UTC) + timedelta(days=expires_days)
        new = cmd.platform.identity.create_token(
            cmd.principal, cmd.issuer.id, name, scopes, expires
        )
        if json_output:
            _json(
                {
                    "secret": new.secret,
                    "id": str(new.info.id),
                    "prefix": new.info.prefix,
                    "scopes": sorted(p.value for p in new.info.scopes),
                    "expiresAt": _iso(new.info.expires_at),
                }
            )
            return
        _echo(f"token {new.info.prefix} ({new.info.name}) for {cmd.issuer.slug}")
        _echo(f"  scopes  {', '.join(sorted(p.value for p in new.info.scopes))}")
        _echo(f"  secret  {new.secret}")
        _echo("  (the secret is shown once: store it now)")


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@token_app.command("list")
def token_list(
    include_revoked: Annotated[bool, typer.Option(help="Also revoked tokens.")] = False,
    issuer: IssuerOption = None,
    as_user: AsOption = None,
    json_output: JsonOption = False,
) -> None:
    """The issuer's API tokens (never their secrets)."""
    with session(as_user, issuer) as cmd:
        tokens = cmd.platform.identity.list_tokens(
            cmd.principal, cmd.issuer.id, include_revoked=include_revoked
        )
        if json_output:
            _json(
                [
                    {
                        "id": str(t.id),
                        "prefix": t.prefix,
                        "name": t.name,
                        "scopes": sorted(p.value for p in t.scopes),
                        "createdAt": _iso(t.created_at),
                        "expiresAt": _iso(t.expires_at),
                        "revokedAt": _iso(t.revoked_at),
                        "lastUsedAt": _iso(t.last_used_at),
                    }
                    for t in tokens
                ]
            )
            return
        if not tokens:
            _echo("no tokens")
        for t in tokens:
            state = "revoked" if t.revoked_at else "active"
            _echo(f"{t.id}  {t.prefix}  {state:<8} {t.name}")


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[str, typer.Argument(metavar="TOKEN_ID")],
    issuer: IssuerOption = None,
    as_user: AsOption = None,
) -> None:
    """Revoke an API token (by its id, from 'token list')."""
    with session(as_user, issuer) as cmd:
        try:
            wanted = uuid.UUID(token_id)
        except ValueError:
            raise InvalidInput(
                f"{token_id!r} is not a token id (see 'microcred token list')"
            ) from None
        info = cmd.platform.identity.revoke_token(cmd.principal, cmd.issuer.id, wanted)
        _echo(f"revoked token {info.prefix} ({info.name})")


# --------------------------------------------------------------------------- registration


def register(app: typer.Typer) -> None:
    """Add the platform commands to the ``microcred`` command line."""
    app.command("serve")(serve)
    app.command("init")(init)
    app.command("migrate")(migrate)
    app.command("demo")(demo)
    app.command("issue")(issue)
    app.command("import")(import_file)
    app.add_typer(issuer_app, name="issuer")
    app.add_typer(definition_app, name="definition")
    app.add_typer(token_app, name="token")
