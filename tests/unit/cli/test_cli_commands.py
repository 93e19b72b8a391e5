"""The CLI through typer's CliRunner: outputs and exit codes scripts rely on."""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from cli_testkit import (
    ISSUER_DID,
    JCS,
    KEK,
    LEGACY,
    RDFC,
    examples_flag,
    invoke,
    signed_badge,
    standard,
    unsigned_badge,
)


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ("MICROCRED_KEK_FILE", "MICROCRED_ALLOW_NETWORK", "MICROCRED_KEY_STORE_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MICROCRED_KEK", KEK)
    monkeypatch.setenv("MICROCRED_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "200")
    return tmp_path


def write(tmp_path: Path, name: str, content: Any) -> str:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


def one_line_error(result: Any) -> str:
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.stderr
    return lines[0]


# ---------------------------------------------------------------------- keys / did


def new_key(name: str = "issuer-1") -> dict[str, Any]:
    result = invoke("keys", "new", "--id", name, "--json")
    assert result.exit_code == 0, result.stderr
    return result.json()


def test_keys_new_creates_an_encrypted_key(environment: Path) -> None:
    info = new_key()
    multibase = info["publicKeyMultibase"]
    assert multibase.startswith("z6Mk")
    assert info["did"] == f"did:key:{multibase}"
    assert info["verificationMethod"] == f"did:key:{multibase}#{multibase}"
    stored = environment / "home" / "keys" / "issuer-1.key.json"
    assert Path(info["store"]) == stored.parent
    record = json.loads(stored.read_text())
    assert record["cipher"] == "AES-256-GCM" and "ciphertext" in record
    human = invoke("keys", "new", "--id", "issuer-2")
    assert human.exit_code == 0
    assert "did:key:z6Mk" in human.stdout and "issuer-2" in human.stdout
    listed = invoke("keys", "list", "--json").json()
    assert [k["keyId"] for k in listed["keys"]] == ["issuer-1", "issuer-2"]


def test_keys_new_in_another_store_with_a_generated_id(environment: Path) -> None:
    store = environment / "elsewhere"
    result = invoke("keys", "new", "--store", str(store), "--json")
    assert result.exit_code == 0
    key_id = result.json()["keyId"]
    assert key_id.startswith("key-")
    assert (store / f"{key_id}.key.json").exists()


def test_keys_new_needs_a_kek(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MICROCRED_KEK")
    result = invoke("keys", "new", "--id", "x")
    assert result.exit_code == 2
    assert "MICROCRED_KEK" in one_line_error(result)
    assert result.stdout == ""


def test_duplicate_key_id_is_refused() -> None:
    new_key("dup")
    result = invoke("keys", "new", "--id", "dup")
    assert result.exit_code == 2
    one_line_error(result)


def test_wrong_kek_is_a_clean_error(monkeypatch: pytest.MonkeyPatch) -> None:
    new_key("k")
    monkeypatch.setenv("MICROCRED_KEK", "b2" * 32)
    result = invoke("did", "show", "k")
    assert result.exit_code == 2
    one_line_error(result)


def test_did_show_for_a_key_and_for_a_did() -> None:
    info = new_key()
    document = invoke("did", "show", "issuer-1").json()
    assert document["id"] == info["did"]
    assert document["assertionMethod"] == [info["verificationMethod"]]
    vector_did = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
    resolved = invoke("did", "show", "--did", vector_did)
    assert resolved.exit_code == 0
    assert resolved.json()["verificationMethod"][0]["publicKeyMultibase"] == vector_did[8:]


def test_did_show_usage_and_network_errors() -> None:
    assert invoke("did", "show").exit_code == 2
    assert invoke("did", "show", "a", "--did", "did:key:z6Mk").exit_code == 2
    web = invoke("did", "show", "--did", "did:web:example.com")
    assert web.exit_code == 2
    assert "--allow-network" in one_line_error(web)
    assert invoke("did", "show", "--did", "did:nope:x").exit_code == 2
    assert invoke("did", "show", "missing-key").exit_code == 2


# ---------------------------------------------------------------------- sign


def test_sign_then_verify_round_trip(environment: Path) -> None:
    info = new_key()
    unsigned = write(environment, "unsigned.json", unsigned_badge(info["did"]))
    for suite in ("eddsa-rdfc-2022", "eddsa-jcs-2022"):
        signed = invoke("sign", unsigned, "--key", "issuer-1", "--suite", suite)
        assert signed.exit_code == 0, signed.stderr
        document = signed.json()
        assert document["proof"]["cryptosuite"] == suite
        assert document["proof"]["verificationMethod"] == info["verificationMethod"]
        path = write(environment, f"signed-{suite}.json", signed.stdout)
        verified = invoke("verify", path, "--json")
        assert verified.exit_code == 0, verified.stdout
        assert verified.json()["verified"] is True


def test_sign_refuses_another_issuer_unless_asked(environment: Path) -> None:
    info = new_key()
    unsigned = write(
        environment,
        "u.json",
        unsigned_badge("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"),
    )
    refused = invoke("sign", unsigned, "--key", "issuer-1")
    assert refused.exit_code == 2
    assert "--set-issuer" in one_line_error(refused)
    out = environment / "signed.json"
    accepted = invoke("sign", unsigned, "--key", "issuer-1", "--set-issuer", "--out", str(out))
    assert accepted.exit_code == 0, accepted.stderr
    assert accepted.stdout == ""
    signed = json.loads(out.read_text())
    assert signed["issuer"]["id"] == info["did"]
    assert signed["issuer"]["name"] == "Example University"
    assert invoke("verify", str(out)).exit_code == 0


def test_sign_rejects_bad_input(environment: Path) -> None:
    new_key()
    assert invoke("sign", write(environment, "a.json", "[]"), "--key", "issuer-1").exit_code == 2
    bad_suite = invoke(
        "sign", write(environment, "b.json", "{}"), "--key", "issuer-1", "--suite", "rsa"
    )
    assert bad_suite.exit_code == 2
    again = invoke("sign", str(standard(RDFC)), "--key", "issuer-1", "--set-issuer")
    assert again.exit_code == 2
    assert "proof" in one_line_error(again)


# ---------------------------------------------------------------------- verify


def failed_codes(report: dict[str, Any]) -> list[str]:
    return [c["code"] for c in report["checks"] if c["outcome"] == "failed"]


OUTCOMES = ("PASSED", "FAILED", "WARNING", "SKIPPED")


def table_rows(stdout: str) -> dict[str, str]:
    """``{check code: OUTCOME}`` from the rows of the human table."""
    rows = [line.split() for line in stdout.splitlines()]
    return {row[1]: row[0] for row in rows if len(row) > 1 and row[0] in OUTCOMES}


@pytest.mark.parametrize(
    ("vector", "proof_outcome"), [(RDFC, "passed"), (JCS, "passed"), (LEGACY, "warning")]
)
def test_official_vectors_have_valid_proofs_but_an_unbound_issuer(
    vector: str, proof_outcome: str
) -> None:
    """The W3C vectors name https://vc.example/issuers/5678 but sign with a did:key.

    Every proof check passes (the legacy Ed25519Signature2020 one with its warning);
    nothing links the issuer's web address to the key, so issuer.key fails: exit 1.
    """
    result = invoke("verify", str(standard(vector)), "--json", *examples_flag())
    assert result.exit_code == 1, result.stdout
    report = result.json()
    assert report["verified"] is False
    for check in report["checks"]:
        assert {"code", "outcome", "message"} <= set(check)
    proofs = [c for c in report["checks"] if c["code"].startswith("proof")]
    assert [(c["code"], c["outcome"]) for c in proofs] == [("proof.verified", proof_outcome)]
    assert failed_codes(report) == ["issuer.key"]
    [issuer] = [c for c in report["checks"] if c["code"] == "issuer.key"]
    assert issuer["details"]["issuer"] == "https://vc.example/issuers/5678"
    assert issuer["details"]["controller"].startswith("did:key:z6Mk")
    assert "\x1b" not in result.stdout


def test_legacy_vector_says_why_it_warns() -> None:
    report = invoke("verify", str(standard(LEGACY)), "--json", *examples_flag()).json()
    [proof] = [c for c in report["checks"] if c["code"] == "proof.verified"]
    assert proof["details"]["legacy"] is True
    assert "older Ed25519Signature2020 format, which is still accepted" in proof["message"]


def test_official_vector_as_a_table_names_the_failed_issuer_check() -> None:
    result = invoke("verify", str(standard(RDFC)), *examples_flag())
    assert result.exit_code == 1
    assert result.stdout.startswith(
        "NOT VERIFIED: 1 check failed\n  As the file states it (not confirmed):\n"
    )
    rows = table_rows(result.stdout)
    assert rows["proof.verified"] == "PASSED"
    assert rows["issuer.key"] == "FAILED"
    assert "Alumni Credential" in result.stdout


def test_human_output_is_a_table(environment: Path) -> None:
    path = write(environment, "signed.json", signed_badge())
    result = invoke("verify", path)
    assert result.exit_code == 0, result.stdout
    assert result.stdout.startswith(
        "VERIFIED: no problem found with this credential\n  Credential   Data Literacy\n"
    )
    assert f"Issuer       {ISSUER_DID}" in result.stdout
    outcomes = table_rows(result.stdout)
    report = invoke("verify", path, "--json").json()
    assert outcomes == {c["code"]: c["outcome"].upper() for c in report["checks"]}
    assert outcomes["proof.verified"] == "PASSED"
    assert outcomes["issuer.key"] == "PASSED"
    assert "FAILED" not in outcomes.values() and "WARNING" not in outcomes.values()
    assert "\x1b" not in result.stdout


def test_a_warning_is_announced_in_the_verdict(environment: Path) -> None:
    """An unsigned presentation of a good credential: verified, with one warning."""
    presentation = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": [signed_badge()],
    }
    result = invoke("verify", write(environment, "vp.json", presentation))
    assert result.exit_code == 0, result.stdout
    assert result.stdout.startswith("VERIFIED, with 1 warning (see below)\n")
    assert "presentation.proof" in result.stdout


def test_signed_badges_verify_with_both_suites(environment: Path) -> None:
    for suite in ("eddsa-rdfc-2022", "eddsa-jcs-2022"):
        path = write(environment, f"{suite}.json", signed_badge(suite))
        result = invoke("verify", path, "--json")
        assert result.exit_code == 0, result.stdout
        report = result.json()
        assert report["verified"] is True
        assert failed_codes(report) == []
        assert report["summary"]["issuer"] == ISSUER_DID


def tampered_vector(environment: Path, vector: str = RDFC) -> str:
    document = json.loads(standard(vector).read_text())
    document["credentialSubject"]["alumniOf"] = "The School of Forgery"
    return write(environment, "tampered.json", document)


def test_tampered_vector_is_not_verified(environment: Path) -> None:
    path = tampered_vector(environment)
    result = invoke("verify", path, "--json", *examples_flag())
    assert result.exit_code == 1
    report = result.json()
    assert report["verified"] is False
    assert failed_codes(report) == ["proof.signature_invalid", "issuer.key"]
    human = invoke("verify", path, *examples_flag())
    assert human.exit_code == 1
    assert human.stdout.startswith("NOT VERIFIED: 2 checks failed\n  As the file states it")


def test_tampering_alone_turns_a_verified_credential_into_exit_1(environment: Path) -> None:
    signed = signed_badge()
    untampered = invoke("verify", write(environment, "good.json", signed), "--json")
    assert untampered.exit_code == 0, untampered.stdout
    signed["credentialSubject"]["achievement"]["name"] = "Data Mastery"
    path = write(environment, "tampered.json", signed)
    tampered = invoke("verify", path, "--json")
    assert tampered.exit_code == 1
    assert failed_codes(tampered.json()) == ["proof.signature_invalid"]
    human = invoke("verify", path)
    assert human.exit_code == 1
    assert human.stdout.startswith("NOT VERIFIED: 1 check failed\n  As the file states it")
    assert "Data Mastery" in human.stdout


def test_presentations(environment: Path) -> None:
    info = new_key()
    unsigned = write(environment, "u.json", unsigned_badge(info["did"]))
    signed = invoke("sign", unsigned, "--key", "issuer-1").json()
    presentation = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": [signed],
    }
    ok = invoke("verify", write(environment, "vp.json", presentation), "--json")
    assert ok.exit_code == 0, ok.stdout
    report = ok.json()
    assert report["kind"] == "presentation"
    assert report["credentials"][0]["verified"] is True
    signed["name"] = "Changed"
    bad = invoke("verify", write(environment, "vp2.json", presentation))
    assert bad.exit_code == 1
    assert "Credential 1 of 1 in the presentation" in bad.stdout
    assert "presentation.credential" in bad.stdout
    challenged = invoke("verify", write(environment, "vp3.json", presentation), "--challenge", "n")
    assert challenged.exit_code == 1


def test_stdin(environment: Path) -> None:
    text = json.dumps(signed_badge("eddsa-jcs-2022"))
    from_stdin = invoke("verify", "-", "--json", input=text)
    assert from_stdin.exit_code == 0, from_stdin.stdout
    assert from_stdin.json()["verified"] is True
    vector = invoke("verify", "-", "--json", *examples_flag(), input=standard(JCS).read_text())
    assert vector.exit_code == 1
    assert failed_codes(vector.json()) == ["issuer.key"]
    garbage = invoke("verify", "-", input="not json")
    assert garbage.exit_code == 2
    assert "standard input is not valid JSON" in one_line_error(garbage)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("this is not json", "is not valid JSON"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data"),
        ("[]", "this is a list"),
        ('"a string"', "this is a text string"),
        ('{"hello": "world"}', "not a verifiable credential"),
        ("", "is empty"),
        (b"{}" + b" " * (1024 * 1024), "larger than"),
    ],
)
def test_unusable_input_exits_2_with_one_line(
    environment: Path, content: Any, fragment: str
) -> None:
    path = write(environment, "input.json", content)
    result = invoke("verify", path)
    assert result.exit_code == 2
    assert fragment in one_line_error(result)
    assert result.stdout == ""
    as_json = invoke("verify", path, "--json")
    assert as_json.exit_code == 2
    body = as_json.json()  # still exactly one JSON object on stdout
    assert body["verified"] is False
    assert fragment in body["error"]["message"]
    assert isinstance(body["checks"], list)


def test_unknown_context_exits_2_naming_it(environment: Path) -> None:
    document = json.loads(standard(RDFC).read_text())
    document["@context"].append("https://example.org/contexts/unknown-v1")
    result = invoke("verify", write(environment, "c.json", document), "--json", *examples_flag())
    assert result.exit_code == 2
    assert "https://example.org/contexts/unknown-v1" in one_line_error(result)
    body = result.json()
    assert body["error"]["message"].endswith("pass it with --context URL=FILE.")
    assert any(c["code"] == "jsonld.contexts" and c["outcome"] == "failed" for c in body["checks"])


def test_vectors_need_the_examples_context_which_is_not_shipped() -> None:
    result = invoke("verify", str(standard(RDFC)))
    assert result.exit_code == 2
    line = one_line_error(result)
    assert "https://www.w3.org/ns/credentials/examples/v2" in line
    assert "--context URL=FILE" in line


def test_context_option_errors(environment: Path) -> None:
    bad_format = invoke("verify", str(standard(RDFC)), "--context", "no-equals-sign")
    assert bad_format.exit_code == 2
    override = write(environment, "fake-v2.json", {"@context": {"@vocab": "https://evil.example#"}})
    hijack = invoke(
        "verify",
        str(standard(RDFC)),
        "--context",
        f"https://www.w3.org/ns/credentials/v2={override}",
    )
    assert hijack.exit_code == 2
    assert "one URL cannot stand for two documents" in one_line_error(hijack)
    missing = invoke("verify", str(standard(RDFC)), "--context", "https://x.example/c=nope.json")
    assert missing.exit_code == 2
    one_line_error(missing)


def test_missing_file_and_directory(environment: Path) -> None:
    missing = invoke("verify", str(environment / "nope.json"))
    assert missing.exit_code == 2
    assert one_line_error(missing).endswith("nope.json: no such file")
    directory = invoke("verify", str(environment))
    assert directory.exit_code == 2
    assert "is a directory" in one_line_error(directory)


def test_at_checks_dates_at_that_time(environment: Path) -> None:
    path = write(environment, "signed.json", signed_badge())  # valid from 15 January 2026
    early = invoke("verify", path, "--at", "2026-01-12T00:00:00Z", "--json")
    assert early.exit_code == 1
    [failed] = [c for c in early.json()["checks"] if c["outcome"] == "failed"]
    assert failed["code"] == "dates.valid-from"
    assert failed["message"] == (
        "This credential is not valid yet: it becomes valid on 15 January 2026."
    )
    assert failed["details"]["now"] == "2026-01-12T00:00:00+00:00"
    later = invoke("verify", path, "--at", "2026-01-16T00:00:00Z", "--json")
    assert later.exit_code == 0, later.stdout
    [valid_from] = [c for c in later.json()["checks"] if c["code"] == "dates.valid-from"]
    assert valid_from["message"] == "This credential has been valid since 15 January 2026."
    bad = invoke("verify", path, "--at", "yesterday")
    assert bad.exit_code == 2
    one_line_error(bad)


def test_usage_errors_exit_2() -> None:
    assert invoke("verify").exit_code == 2
    assert invoke("verify", "a", "--no-such-option").exit_code == 2
    assert invoke("frobnicate").exit_code == 2


def test_version_and_help() -> None:
    assert invoke("--version").stdout == f"microcred {version('microcred')}\n"
    helped = invoke("--help")
    assert helped.exit_code == 0
    assert "verify" in helped.stdout and "sign" in helped.stdout
