"""``microcred pathway ...`` and ``microcred recognition ...`` (docs/pathways.md,
docs/recognition.md).

Pathways: ``create`` (a target definition and a rule as JSON, from a file or the text itself),
``list``, ``show``, ``progress`` and ``evaluate`` for a learner, ``awards``, ``approve``,
``reject``. Recognition: ``import`` (a JSON file, a baked PNG/SVG badge, or ``--url``), ``list``
(``--undecided``: the inbox), ``show`` (with the verification report), ``decide``.

Learners are named by their id or their external (student) id. Errors become one line on stderr
and an exit code (:mod:`microcred.cli.errors`).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from microcred.cli.platform import (
    AsOption,
    IssuerOption,
    JsonOption,
    _echo,
    _json,
)
from microcred.cli.session import Session, find_learner, session
from microcred.errors import InvalidInput

if TYPE_CHECKING:
    from microcred.services.pathways import AwardInfo, PathwayInfo
    from microcred.services.recognition import ExternalCredentialInfo

__all__ = ["pathway_app", "recognition_app", "register"]

pathway_app = typer.Typer(
    help="Pathways (stackable micro-credentials): rules, progress, awards.", no_args_is_help=True
)
recognition_app = typer.Typer(
    help="Recognition of external credentials: import, report, decide.", no_args_is_help=True
)

LearnerOption = Annotated[
    str, typer.Option("--learner", metavar="ID", help="The learner's id or external id.")
]


def _pathway(cmd: Session, value: str) -> PathwayInfo:
    try:
        return cmd.platform.pathways.get(cmd.principal, cmd.issuer.id, uuid.UUID(value))
    except ValueError:
        return cmd.platform.pathways.find_by_slug(cmd.principal, cmd.issuer.id, value)


def _rule_text(value: str) -> Any:
    text = value
    if not value.lstrip().startswith("{"):
        path = Path(value)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise InvalidInput(f"cannot read the rule file {value}: {exc.strerror}") from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise InvalidInput(f"the rule is not valid JSON: {exc}") from None


def _award_line(award: AwardInfo) -> str:
    credential = f" credential {award.credential_id}" if award.credential_id else ""
    note = f" ({award.note})" if award.note else ""
    return f"{award.id}  {award.state.value}  learner {award.learner_id}{credential}{note}"


# --------------------------------------------------------------------------- pathways


@pathway_app.command("create")
def pathway_create(
    slug: Annotated[str, typer.Option("--slug", help="Short name, e.g. data-analyst.")],
    name: Annotated[str, typer.Option("--name", help="The pathway's name.")],
    target: Annotated[
        str, typer.Option("--target", metavar="SLUG", help="The target award's definition.")
    ],
    rule: Annotated[
        str, typer.Option("--rule", metavar="FILE|JSON", help="The rule: a JSON file or text.")
    ],
    description: Annotated[str | None, typer.Option(help="What the pathway is.")] = None,
    approval: Annotated[
        bool, typer.Option("--approval", help="Awards wait for a registrar's approval.")
    ] = False,
    issuer: IssuerOption = None,
    as_user: AsOption = None,
    json_output: JsonOption = False,
) -> None:
    """Create a pathway."""
    with session(as_user, issuer) as cmd:
        from microcred.services.pathways import PathwayInput

        definition = cmd.definition(target)
        data: dict[str, Any] = {
            "slug": slug,
            "name": name,
            "targetDefinitionId": str(definition.id),
            "rule": _rule_text(rule),
            "requiresApproval": approval,
        }
        if description is not None:
            data["description"] = description
        info = cmd.platform.pathways.create(
            cmd.principal, cmd.issuer.id, PathwayInput.from_json(data)
        )
        if json_output:
            _json(info.to_json())
            return
        _echo(f"created pathway {info.slug} ({info.id})")


@pathway_app.command("list")
def pathway_list(
    issuer: IssuerOption = None, as_user: AsOption = None, json_output: JsonOption = False
) -> None:
    """The issuer's pathways."""
    with session(as_user, issuer) as cmd:
        items = cmd.platform.pathways.list_pathways(cmd.principal, cmd.issuer.id)
        if json_output:
            _json([item.to_json() for item in items])
            return
        if not items:
            _echo(f"{cmd.issuer.slug} has no pathways yet (create one: microcred pathway create)")
        for item in items:
            state = "" if item.active else "  (inactive)"
            parts = len(item.rule.parts)
            _echo(f"{item.slug}  {item.name}  {parts} parts{state}")


@pathway_app.command("show")
def pathway_show(
    pathway: Annotated[str, typer.Argument(metavar="SLUG|ID")],
    issuer: IssuerOption = None,
    as_user: AsOption = None,
) -> None:
    """One pathway as JSON."""
    with session(as_user, issuer) as cmd:
        _json(_pathway(cmd, pathway).to_json())


@pathway_app.command("progress")
def pathway_progress(
    learner: LearnerOption,
    issuer: IssuerOption = None,
    as_user: AsOption = None,
    json_output: JsonOption = False,
) -> None:
    """A learner's progress on every active pathway."""
    with session(as_user, issuer) as cmd:
        learner_id = find_learner(cmd, learner)
        items = cmd.platform.pathways.progress(cmd.principal, cmd.issuer.id, learner_id)
        if json_output:
            _json([item.to_json() for item in items])
            return
        if not items:
            _echo(f"{cmd.issuer.slug} has no active pathway, so there is no progress to show")
        for item in items:
            progress = item.progress
            status = "met" if progress.met else f"{progress.percent}%"
            award = f", award {item.award.state.value}" if item.award else ""
            _echo(
                f"{item.pathway.slug}: {status} ({progress.parts_satisfied}/"
                f"{progress.parts_required} parts, {progress.to_json()['ectsTotal']} ECTS{award})"
            )
            for missing in progress.missing:
                _echo(f"  missing: {missing}")


@pathway_app.command("evaluate")
def pathway_evaluate(
    learner: LearnerOption, issuer: IssuerOption = None, as_user: AsOption = None
) -> None:
    """Evaluate a learner's pathways now (awards issued or queued for approval)."""
    with session(as_user, issuer) as cmd:
        learner_id = find_learner(cmd, learner)
        awards = cmd.platform.pathways.evaluate_learner(cmd.principal, cmd.issuer.id, learner_id)
        if not awards:
            _echo("no new award")
        for award in awards:
            _echo(_award_line(award))


@pathway_app.command("awards")
def pathway_awards(
    pending: Annotated[bool, typer.Option("--pending", help="Only awards to approve.")] = False,
    issuer: IssuerOption = None,
    as_user: AsOption = None,
    json_output: JsonOption = False,
) -> None:
    """Pathway awards, newest first."""
    with session(as_user, issuer) as cmd:
        awards = cmd.platform.pathways.list_awards(
            cmd.principal, cmd.issuer.id, state="pending" if pending else None
        )
        if json_output:
            _json([award.to_json() for award in awards])
            return
        for award in awards:
            _echo(_award_line(award))


def _id_arg(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInput(f"{value!r} is not an id (a UUID)") from None


@pathway_app.command("approve")
def pathway_approve(
    award: Annotated[str, typer.Argument(metavar="AWARD_ID")],
    issuer: IssuerOption = None,
    as_user: AsOption = None,
) -> None:
    """Issue a pending award."""
    with session(as_user, issuer) as cmd:
        _echo(
            _award_line(
                cmd.platform.pathways.approve_award(cmd.principal, cmd.issuer.id, _id_arg(award))
            )
        )


@pathway_app.command("reject")
def pathway_reject(
    award: Annotated[str, typer.Argument(metavar="AWARD_ID")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the audit log).")],
    issuer: IssuerOption = None,
    as_user: AsOption = None,
) -> None:
    """Refuse a pending award."""
    with session(as_user, issuer) as cmd:
        info = cmd.platform.pathways.reject_award(
            cmd.principal, cmd.issuer.id, _id_arg(award), reason
        )
        _echo(_award_line(info))


# --------------------------------------------------------------------------- recognition


def _external_lines(info: ExternalCredentialInfo) -> list[str]:
    verdict = "verified" if info.verified else "NOT verified"
    lines = [f"{info.id}  {info.name}  ({verdict}; issuer {info.issuer_did or 'unknown'})"]
    if info.decision is not None:
        decision = info.decision.to_json()
        ects = f" {decision['ects']} ECTS" if decision["ects"] else ""
        lines.append(f"  decision: {decision['outcome']}{ects}: {decision['reason']}")
    return lines


@recognition_app.command("import")
def recognition_import(
    learner: LearnerOption,
    file: Annotated[
        Path | None, typer.Argument(metavar="[FILE]", help="JSON, or a baked PNG/SVG badge.")
    ] = None,
    url: Annotated[str | None, typer.Option("--url", help="The credential's web address.")] = None,
    issuer: IssuerOption = None,
    as_user: AsOption = None,
    json_output: JsonOption = False,
) -> None:
    """Import an external credential for a learner; print its verification."""
    with session(as_user, issuer) as cmd:
        if (file is None) == (url is None):
            raise InvalidInput("give a FILE or --url (one of them)")
        learner_id = find_learner(cmd, learner)
        if file is not None:
            try:
                data = file.read_bytes()
            except OSError as exc:
                raise InvalidInput(f"cannot read {file}: {exc.strerror}") from None
            info = cmd.platform.recognition.import_credential(
                cmd.principal, cmd.issuer.id, learner_id, data, "file"
            )
        else:
            assert url is not None
            info = cmd.platform.recognition.import_credential(
                cmd.principal, cmd.issuer.id, learner_id, url, "url"
            )
        if json_output:
            _json(info.to_json())
            return
        for line in _external_lines(info):
            _echo(line)
        for check in info.report.get("checks", []):
            if check.get("outcome") == "failed":
                _echo(f"  failed: {check.get('code')}: {check.get('message')}")


@recognition_app.command("list")
def recognition_list(
    undecided: Annotated[bool, typer.Option("--undecided", help="Only the inbox.")] = False,
    issuer: IssuerOption = None,
    as_user: AsOption = None,
    json_output: JsonOption = False,
) -> None:
    """External credentials, newest first."""
    with session(as_user, issuer) as cmd:
        items = cmd.platform.recognition.inbox(
            cmd.principal, cmd.issuer.id, undecided_only=undecided
        )
        if json_output:
            _json([item.to_json() for item in items])
            return
        for item in items:
            for line in _external_lines(item):
                _echo(line)


@recognition_app.command("show")
def recognition_show(
    external: Annotated[str, typer.Argument(metavar="ID")],
    issuer: IssuerOption = None,
    as_user: AsOption = None,
) -> None:
    """One external credential with its report and decision, as JSON."""
    with session(as_user, issuer) as cmd:
        _json(
            cmd.platform.recognition.get(cmd.principal, cmd.issuer.id, _id_arg(external)).to_json()
        )


@recognition_app.command("decide")
def recognition_decide(
    external: Annotated[str, typer.Argument(metavar="ID")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept and audited).")],
    recognise: Annotated[
        bool, typer.Option("--recognise/--refuse", help="Recognise it, or refuse it.")
    ] = True,
    ects: Annotated[str | None, typer.Option("--ects", help="ECTS recognised.")] = None,
    pathway: Annotated[
        str | None, typer.Option("--pathway", metavar="SLUG", help="Towards this pathway.")
    ] = None,
    programme: Annotated[str | None, typer.Option(help="Towards this programme.")] = None,
    issue_definition: Annotated[
        str | None,
        typer.Option(
            "--issue", metavar="SLUG", help="Also issue the recognition with this definition."
        ),
    ] = None,
    issuer: IssuerOption = None,
    as_user: AsOption = None,
) -> None:
    """Recognise an external credential for N ECTS, or refuse it, with the reason."""
    with session(as_user, issuer) as cmd:
        from microcred.services.recognition import DecisionInput

        data: dict[str, Any] = {
            "outcome": "recognised" if recognise else "refused",
            "reason": reason,
        }
        if ects is not None:
            data["ects"] = ects
        if pathway is not None:
            data["pathwayId"] = str(_pathway(cmd, pathway).id)
        if programme is not None:
            data["programme"] = programme
        if issue_definition is not None:
            found = cmd.definition(issue_definition)
            data["issueDefinitionId"] = str(found.id)
        decision = cmd.platform.recognition.decide(
            cmd.principal, cmd.issuer.id, _id_arg(external), DecisionInput.from_json(data)
        )
        _echo(f"{decision.outcome.value}: {decision.id}")
        if decision.credential_id:
            _echo(f"recognition credential {decision.credential_id}")
        for award in decision.awards:
            _echo(f"award {_award_line(award)}")


def register(app: typer.Typer) -> None:
    app.add_typer(pathway_app, name="pathway")
    app.add_typer(recognition_app, name="recognition")
