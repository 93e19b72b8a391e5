"""``microcred.cli.session``: how every platform command starts (in-process, SQLite).

The acting account and the issuer are looked up when a command first asks for them, so a
command's own checks come first and a command that needs neither never looks them up; every
error still ends as one line on stderr and exit code 2.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import typer

from microcred.cli.errors import EXIT_ERROR
from microcred.cli.session import session
from microcred.errors import InvalidInput
from microcred.services.issuance import LearnerInput
from microcred.services.schemas_identity import IssuerCreate
from microcred.services.seed import ensure_operator

OPERATOR = "ops@example.org"


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("MICROCRED_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("MICROCRED_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MICROCRED_KEK", "7a" * 32)


def _exit_code(error: pytest.ExceptionInfo[typer.Exit]) -> int:
    return int(error.value.exit_code)


def _with_issuers(*slugs: str) -> None:
    with session() as cmd:
        ensure_operator(cmd.platform, OPERATOR, "a long enough password 1")
        for slug in slugs:
            cmd.platform.issuers.create_issuer(
                cmd.principal, IssuerCreate(slug=slug, name=slug.title(), did_method="key")
            )


def test_nothing_is_looked_up_that_the_command_does_not_ask_for(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # no account at all: a command that never asks who acts runs
    with session("nobody@example.org", "nowhere") as cmd:
        assert cmd.platform.settings.base_url
    # the command's own check comes before the lookup of an unknown account
    with pytest.raises(typer.Exit) as exited, session("nobody@example.org") as cmd:
        raise InvalidInput("--role: unknown role")
    assert _exit_code(exited) == EXIT_ERROR
    assert capsys.readouterr().err == "error: --role: unknown role\n"
    # and the unknown account is an error once it is asked for
    with pytest.raises(typer.Exit) as exited, session("nobody@example.org") as cmd:
        _ = cmd.principal
    assert _exit_code(exited) == EXIT_ERROR
    assert "nobody@example.org" in capsys.readouterr().err


def test_the_issuer_is_the_only_one_or_the_one_named(capsys: pytest.CaptureFixture[str]) -> None:
    _with_issuers("alpha")
    with session(OPERATOR) as cmd:
        assert cmd.issuer.slug == "alpha"
        assert cmd.principal.is_operator
    _with_issuers("beta")
    with pytest.raises(typer.Exit) as exited, session(OPERATOR) as cmd:
        _ = cmd.issuer
    assert _exit_code(exited) == EXIT_ERROR
    assert capsys.readouterr().err == (
        "error: you act for several issuers; name one with --issuer (alpha, beta)\n"
    )
    with session(OPERATOR, "beta") as cmd:
        beta = cmd.issuer
        assert beta.slug == "beta"
        assert cmd.issuer is beta  # looked up once
    with session(OPERATOR, str(beta.id)) as cmd:
        assert cmd.issuer.slug == "beta"
    with pytest.raises(typer.Exit) as exited, session(OPERATOR, "gamma") as cmd:
        _ = cmd.issuer
    assert _exit_code(exited) == EXIT_ERROR
    assert capsys.readouterr().err == "error: no issuer 'gamma' that you may act for\n"


def test_json_output_errors_are_one_object_on_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(typer.Exit), session(json_output=True) as cmd:
        _ = cmd.principal  # no operator yet
    out = capsys.readouterr()
    assert out.out.startswith("{") and '"error"' in out.out
    assert out.err.startswith("error: ")


def test_pathway_list_and_progress_say_when_there_is_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from microcred.cli.pathway_commands import pathway_list, pathway_progress
    from microcred.services.seed import local_principal, seed_demo

    with session() as cmd:
        seed = seed_demo(cmd.platform, admin_email="registrar@example.org")
        cmd.platform.issuance.upsert_learner(
            local_principal(cmd.platform, "registrar@example.org"),
            seed.issuer.id,
            LearnerInput(name="Kim Lee", email="kim@example.org", external_id="s-9"),
        )
    capsys.readouterr()
    slug = seed.issuer.slug
    pathway_list(issuer=slug, as_user="registrar@example.org")
    assert capsys.readouterr().out == (
        f"{slug} has no pathways yet (create one: microcred pathway create)\n"
    )
    pathway_progress("s-9", issuer=slug, as_user="registrar@example.org")
    assert capsys.readouterr().out == (
        f"{slug} has no active pathway, so there is no progress to show\n"
    )


def test_ids_and_learners_are_named_by_their_option(capsys: pytest.CaptureFixture[str]) -> None:
    from microcred.cli.session import find_learner, parse_id
    from microcred.services.seed import local_principal, seed_demo

    with session() as cmd:
        seed = seed_demo(cmd.platform, admin_email="registrar@example.org")
        kim = cmd.platform.issuance.upsert_learner(
            local_principal(cmd.platform, "registrar@example.org"),
            seed.issuer.id,
            LearnerInput(name="Kim Lee", email="kim@example.org", external_id="s-9"),
        )
    with session("registrar@example.org", seed.issuer.slug) as cmd:
        assert find_learner(cmd, "s-9") == kim.id  # the student number
        assert find_learner(cmd, str(kim.id)) == kim.id
        assert parse_id("--credential", str(kim.id)) == kim.id
    capsys.readouterr()
    with pytest.raises(typer.Exit) as exited, session("registrar@example.org") as cmd:
        parse_id("--credential", "x")
    assert _exit_code(exited) == EXIT_ERROR
    assert capsys.readouterr().err == "error: --credential: 'x' is not an id (a UUID)\n"
    with pytest.raises(typer.Exit), session("registrar@example.org", seed.issuer.slug) as cmd:
        find_learner(cmd, "s-404")
    assert capsys.readouterr().err == "error: no learner with the id or external id 's-404'\n"


def test_init_again_with_another_address_says_what_to_do(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from microcred.cli.platform import init

    init(admin_email="ops@example.org")
    capsys.readouterr()
    with pytest.raises(typer.Exit) as exited:
        init(admin_email="other@example.org")
    assert _exit_code(exited) == EXIT_ERROR
    err = capsys.readouterr().err
    assert err.startswith("error: this platform already has its first operator")
    assert "microcred staff add" in err and err.count("\n") == 1
    init(admin_email="ops@example.org")  # the operator's own address: unchanged, fine
    assert "unchanged" in capsys.readouterr().out
