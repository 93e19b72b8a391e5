"""``microcred elm show``: official samples, our signed export, a sealed EDC, bad input."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from cli_testkit import invoke, standard

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "elm"))
from elm_testkit import (  # noqa: E402
    ISSUER_KEY,
    ISSUER_VM,
    FakeJadesSealer,
    ob_credential,
)

from microcred.certificates.badge import badge_png  # noqa: E402
from microcred.elm import to_elm  # noqa: E402
from microcred.elm.signing import sign_elm  # noqa: E402
from microcred.wiring import build_engine  # noqa: E402


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MICROCRED_ALLOW_NETWORK", "0")


def test_show_official_sample_lists_elements_and_fails_unsigned() -> None:
    result = invoke("elm", "show", str(standard("eu-elm/samples/Sample-MC-Annex1-unsigned.jsonld")))
    assert result.exit_code == 1
    assert "Ana Andromeda" in (result.stdout + result.stderr)
    assert "EQF Level 6" in (result.stdout + result.stderr)
    assert "NOT verified" in (result.stdout + result.stderr)


def test_show_signed_export_verifies(tmp_path: Path) -> None:
    engine = build_engine(allow_network=False)
    doc = to_elm(ob_credential(), learner_name="Ana", display_image=badge_png("X", size=64))
    signed = sign_elm(
        doc, engine.registry, ISSUER_KEY.signer(ISSUER_VM), created=engine.clock.now()
    )
    path = tmp_path / "edc.jsonld"
    path.write_text(json.dumps(signed))
    result = invoke("elm", "show", str(path), "--json")
    assert result.exit_code == 0, result.stdout + result.stderr
    body = json.loads(result.stdout)
    assert body["report"]["verified"]
    assert body["elm"]["missing"] == []


def test_show_sealed_edc_says_seal_not_checked(tmp_path: Path) -> None:
    sample = json.loads(standard("eu-elm/samples/credential-sample.jsonld").read_text())
    path = tmp_path / "sealed.json"
    path.write_text(json.dumps(FakeJadesSealer().seal(sample)))
    result = invoke("elm", "show", str(path))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "seal not checked here" in (result.stdout + result.stderr)


def test_show_refuses_a_non_elm_file(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"type": ["VerifiableCredential"]}')
    result = invoke("elm", "show", str(path))
    assert result.exit_code != 0
    assert "EuropeanDigitalCredential" in (result.stdout + result.stderr)
    path.write_text("not json")
    assert invoke("elm", "show", str(path)).exit_code != 0


def test_show_a_platform_export_offline_needs_the_platform(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An export of a did:web issuer hosted here: offline its key cannot be found (exit 1,
    saying how to allow the network); ``--platform`` reads the issuer in-process (exit 0)."""
    monkeypatch.setenv("MICROCRED_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MICROCRED_KEK", "3c" * 32)
    assert invoke("demo").exit_code == 0
    issued = invoke(
        "issue", "--definition", "digital-content-creation", "--learner-email",
        "kim@example.org", "--name", "Kim Lee", "--json",
    )  # fmt: skip
    assert issued.exit_code == 0, issued.stderr
    path = tmp_path / "edc.jsonld"
    exported = invoke("elm", "export", json.loads(issued.stdout)["id"], "-o", str(path))
    assert exported.exit_code == 0, exported.stderr
    offline = invoke("elm", "show", str(path))
    assert offline.exit_code == 1
    assert "NOT verified" in offline.stdout and "--allow-network" in offline.stdout
    local = invoke("elm", "show", str(path), "--platform", "--json")
    assert local.exit_code == 0, local.stdout + local.stderr
    assert json.loads(local.stdout)["report"]["verified"] is True
