"""The ``microcred verify`` examples in docs/cli.md and docs/verification.md are real output.

Every fenced example made only of ``$ microcred verify ...`` commands (no pipe) and
``$ echo $?`` is run again, in a directory holding the files it names, and its output and
exit status are compared with the page. The files come from the pages themselves (the
signed credential printed in cli.md) or from ../shared/standards (the W3C vectors).
Commands without ``--at`` are run at a fixed time inside the credential's validity period,
so the examples do not expire with the calendar.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from cli_testkit import KEK, STANDARDS, invoke

DOCS = Path(__file__).resolve().parents[3] / "docs"
CLI_DOC = DOCS / "cli.md"
VERIFICATION_DOC = DOCS / "verification.md"
AT = "2026-12-01T00:00:00Z"  # inside the validity period of the documented signed.json
FENCE = re.compile(r"^ *```[a-z]*\n(.*?)^ *```", re.DOTALL | re.MULTILINE)
FROM_STANDARDS = {
    "signedDataInt.json": "vc-di-eddsa/TestVectors/eddsa-rdfc-2022/signedDataInt.json",
    "signedJCS.json": "vc-di-eddsa/TestVectors/eddsa-jcs-2022/signedJCS.json",
    "examples-v2.jsonld": "contexts/credentials-examples-v2.jsonld",
}


def fenced_blocks(path: Path) -> list[str]:
    return [match.group(1) for match in FENCE.finditer(path.read_text(encoding="utf-8"))]


def json_after(path: Path, heading: str) -> Any:
    """The first ```json block after ``heading`` in ``path``."""
    text = path.read_text(encoding="utf-8")
    start = text.index("```json\n", text.index(heading)) + len("```json\n")
    return json.loads(text[start : text.index("```", start)])


def documented_signed() -> dict[str, Any]:
    signed: dict[str, Any] = json_after(CLI_DOC, "`signed.json`:")
    return signed


def verify_examples() -> list[tuple[str, list[tuple[str, list[str]]]]]:
    """``(first command, [(command, expected output lines), ...])`` per runnable block."""
    examples = []
    for block in fenced_blocks(CLI_DOC):
        lines = block.splitlines()
        if not lines or not lines[0].startswith("$ "):
            continue
        steps: list[tuple[str, list[str]]] = []
        for line in lines:
            if line.startswith("$ "):
                steps.append((line[2:], []))
            else:
                steps[-1][1].append(line.rstrip())
        runnable = all(
            command == "echo $?" or (command.startswith("microcred verify ") and "|" not in command)
            for command, _ in steps
        )
        if runnable:
            examples.append((steps[0][0], steps))
    return examples


def test_the_pages_have_verify_examples_to_check() -> None:
    commands = [first for first, _ in verify_examples()]
    assert "microcred verify signed.json" in commands
    assert "microcred verify tampered.json" in commands
    assert any(c.startswith("microcred verify signedJCS.json") for c in commands)
    assert len(commands) >= 6


def _workspace(directory: Path, command_lines: list[str]) -> None:
    signed = documented_signed()
    tampered = json.loads(json.dumps(signed))
    tampered["credentialSubject"]["achievement"]["name"] = "Data Mastery for Researchers"
    files: dict[str, str | bytes] = {
        "signed.json": json.dumps(signed, indent=2),
        "tampered.json": json.dumps(tampered, indent=2),
        "garbage.json": "garbage\n",
        "image.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        "list.json": "[]",
        "hello.json": '{"hello": "world"}',
        "huge.json": b"{}" + b" " * (1024 * 1024),
    }
    for name, relative in FROM_STANDARDS.items():
        if any(name in line for line in command_lines):
            source = STANDARDS / relative
            if not source.exists():
                pytest.skip("../shared/standards is not available")
            files[name] = source.read_bytes()
    for name, content in files.items():
        target = directory / name
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")


def _trimmed(lines: list[str]) -> list[str]:
    lines = [line.rstrip() for line in lines]
    while lines and not lines[-1]:
        lines.pop()
    return lines


@pytest.mark.parametrize(
    "steps", [steps for _, steps in verify_examples()], ids=[c for c, _ in verify_examples()]
)
def test_documented_verify_example_is_real_output(
    steps: list[tuple[str, list[str]]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "100")  # the width the examples were printed at
    monkeypatch.setenv("MICROCRED_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MICROCRED_KEK", KEK)
    monkeypatch.delenv("MICROCRED_ALLOW_NETWORK", raising=False)
    _workspace(tmp_path, [command for command, _ in steps])
    last_exit: int | None = None
    for command, expected in steps:
        if command == "echo $?":
            assert expected == [str(last_exit)], f"exit status of the previous command: {steps}"
            continue
        args = shlex.split(command)[1:]
        if "--at" not in args:
            args += ["--at", AT]
        result = invoke(*args)
        last_exit = result.exit_code
        shown = result.stdout if result.stdout else result.stderr
        assert _trimmed(shown.splitlines()) == _trimmed(expected), command


def test_the_report_in_verification_md_is_real_output(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    intro = VERIFICATION_DOC.read_text(encoding="utf-8").split("## A real report", 1)[1]
    command = re.search(r"`(microcred verify signed\.json [^`]*)`", intro)
    assert command is not None
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MICROCRED_ALLOW_NETWORK", raising=False)
    _workspace(tmp_path, [])
    result = invoke(*shlex.split(command.group(1))[1:])
    assert result.exit_code == 1  # "(exit status 1)"
    assert "(exit status 1)" in intro
    assert result.json() == json_after(VERIFICATION_DOC, "## A real report")
