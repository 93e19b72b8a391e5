"""``microcred mail deliver``: the outbox goes out over SMTP, once, as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "services"))
from smtp_sink import SmtpSink  # noqa: E402


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "microcred", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        check=False,
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("MICROCRED_")}
    base.update(MICROCRED_HOME=str(tmp_path / "home"), MICROCRED_KEK="5e" * 32)
    return base


def test_without_smtp_the_outbox_stays_and_the_command_says_why(env: dict[str, str]) -> None:
    done = run("mail", "deliver", env=env)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "MICROCRED_SMTP_URL" in done.stderr


def test_demo_claim_mail_is_delivered_once(env: dict[str, str]) -> None:
    assert run("demo", "--json", env=env).returncode == 0
    with SmtpSink() as sink:
        smtp = {**env, "MICROCRED_SMTP_URL": f"smtp://127.0.0.1:{sink.port}"}
        first = run("mail", "deliver", env=smtp)
        assert first.returncode == 0, first.stderr
        assert first.stdout.strip() == "sent 1, failed 0"
        assert len(sink.received) == 1
        assert "/claim/" in sink.received[0].data.decode("utf-8", "replace")
        second = run("mail", "deliver", env=smtp)
        assert second.stdout.strip() == "sent 0, failed 0"
        assert len(sink.received) == 1
