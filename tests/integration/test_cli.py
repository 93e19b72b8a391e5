"""The real ``python -m microcred`` process: exit codes, stdout/stderr, round trip."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

STANDARDS = Path(__file__).resolve().parents[2] / ".." / "shared" / "standards"
RDFC = STANDARDS / "vc-di-eddsa" / "TestVectors" / "eddsa-rdfc-2022" / "signedDataInt.json"


def run(
    *args: str, env: dict[str, str], stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "microcred", *args],
        input=stdin,
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("MICROCRED_")}
    base.update(
        MICROCRED_HOME=str(tmp_path / "home"),
        MICROCRED_KEK="c3" * 32,
        PYTHONIOENCODING="ascii",  # the output must not depend on the terminal's encoding
    )
    return base


def test_round_trip_keys_sign_verify(env: dict[str, str], tmp_path: Path) -> None:
    created = run("keys", "new", "--id", "registrar", "--json", env=env)
    assert created.returncode == 0, created.stderr
    did = json.loads(created.stdout)["did"]
    unsigned = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:0f8c7a1e-3b2d-4c5e-8f90-a1b2c3d4e5f6",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "https://example.edu", "type": ["Profile"], "name": "Université Example"},
        "validFrom": "2026-01-15T09:00:00Z",
        "name": "Statistique appliquée",
        "credentialSubject": {
            "id": "did:example:learner-7",
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://example.edu/achievements/stats",
                "type": ["Achievement"],
                "name": "Statistique appliquée",
                "description": "Régression, tests, intervalles de confiance.",
                "criteria": {"narrative": "Examen final réussi."},
            },
        },
    }
    path = tmp_path / "unsigned.json"
    path.write_text(json.dumps(unsigned, ensure_ascii=False), encoding="utf-8")
    signed = run("sign", str(path), "--key", "registrar", "--set-issuer", env=env)
    assert signed.returncode == 0, signed.stderr
    document = json.loads(signed.stdout.decode("utf-8"))
    assert document["issuer"]["id"] == did
    assert document["name"] == "Statistique appliquée"

    verified = run("verify", "-", "--json", env=env, stdin=signed.stdout)
    assert verified.returncode == 0, verified.stdout
    report = json.loads(verified.stdout)
    assert report["verified"] is True
    assert report["summary"]["issuerName"] == "Université Example"

    table = run("verify", "-", env=env, stdin=signed.stdout)
    assert table.returncode == 0, table.stderr
    assert table.stdout.startswith(b"VERIFIED")

    document["credentialSubject"]["achievement"]["name"] = "Statistique avancée"
    tampered = run("verify", "-", "--json", env=env, stdin=json.dumps(document).encode())
    assert tampered.returncode == 1
    failed = [c["code"] for c in json.loads(tampered.stdout)["checks"] if c["outcome"] == "failed"]
    assert failed == ["proof.signature_invalid"]


def test_official_vector_and_garbage(env: dict[str, str]) -> None:
    if not RDFC.exists():
        pytest.skip("../shared/standards is not available")
    examples = STANDARDS / "contexts" / "credentials-examples-v2.jsonld"
    flag = f"https://www.w3.org/ns/credentials/examples/v2={examples}"
    vector = run("verify", str(RDFC), "--json", "--context", flag, env=env)
    assert vector.returncode == 1, vector.stdout  # signed right, issuer not bound to the key
    report = json.loads(vector.stdout)
    assert report["verified"] is False
    outcomes = {c["code"]: c["outcome"] for c in report["checks"]}
    assert outcomes["proof.verified"] == "passed"
    assert [code for code, outcome in outcomes.items() if outcome == "failed"] == ["issuer.key"]
    assert vector.stderr == b""
    garbage = run("verify", "-", env=env, stdin=b"\x00\x01garbage")
    assert garbage.returncode == 2
    assert garbage.stdout == b""
    assert garbage.stderr.decode().count("\n") == 1
    assert b"Traceback" not in garbage.stderr


def test_json_output_works_without_rich(env: dict[str, str], tmp_path: Path) -> None:
    """--json never needs rich: run the CLI with rich made unimportable."""
    document = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": "Nope"}
    path = tmp_path / "c.json"
    path.write_text(json.dumps(document))
    code = (
        "import sys; sys.modules['rich'] = None\n"
        "from microcred.cli.main import main\n"
        f"main(['verify', {str(path)!r}, '--json'])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, env=env, timeout=120, check=False
    )
    assert done.returncode == 2, done.stderr
    body = json.loads(done.stdout)
    assert body["verified"] is False
    assert [c["code"] for c in body["checks"] if c["outcome"] == "failed"][0] == "structure.type"
