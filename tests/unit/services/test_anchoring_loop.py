"""The background anchoring loop (no database: a stand-in runner) and the anchoring settings."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from microcred.errors import ConfigError, Conflict
from microcred.services.anchoring import AnchoringRun
from microcred.services.anchoring_runner import AnchoringLoop, merge_runs
from microcred.settings import load_settings


class Runner:
    """Answers each run() with the next item: an AnchoringRun, or an exception to raise."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.calls = 0
        self.done = threading.Event()

    def run(self) -> AnchoringRun:
        self.calls += 1
        answer = self.answers.pop(0) if self.answers else AnchoringRun()
        if not self.answers:
            self.done.set()
        if isinstance(answer, BaseException):
            raise answer
        return answer


def test_run_once_skips_when_another_run_holds_the_lock() -> None:
    runner = Runner(Conflict("busy", retryable=True), AnchoringRun(sealed=1, published=1))
    loop = AnchoringLoop(runner, 60)  # type: ignore[arg-type]
    assert loop.run_once() is None and loop.runs == 0
    seen: list[AnchoringRun] = []
    loop = AnchoringLoop(runner, 60, on_run=seen.append)  # type: ignore[arg-type]
    run = loop.run_once()
    assert run is not None and run.published == 1 and seen == [run] and loop.runs == 1


def test_the_loop_survives_a_failing_run_and_stops(caplog: pytest.LogCaptureFixture) -> None:
    runner = Runner(
        ConfigError("the key store cannot be opened"),
        RuntimeError("a bug"),
        AnchoringRun(published=1, proofs_written=3),
    )
    loop = AnchoringLoop(runner, 0.01)  # type: ignore[arg-type]
    with caplog.at_level(logging.INFO, logger="microcred.anchoring.runner"):
        loop.start()
        assert runner.done.wait(10)
        loop.stop()
    assert runner.calls >= 3
    text = caplog.text
    assert "anchoring run failed: the key store cannot be opened" in text
    assert "anchoring run failed unexpectedly" in text
    assert "1 published, 3 proof(s) written" in text
    with pytest.raises(ValueError):
        AnchoringLoop(runner, 0)  # type: ignore[arg-type]


def test_merge_runs_adds_up() -> None:
    total = merge_runs(
        [AnchoringRun(sealed=1, published=1, proofs_written=2), AnchoringRun(errors=["x"])]
    )
    assert (total.sealed, total.published, total.proofs_written) == (1, 1, 2)
    assert total.errors == ["x"] and not total.ok


def test_anchoring_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("MICROCRED_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    defaults = load_settings()
    assert defaults.anchor_batch_size == 10_000
    assert defaults.anchor_max_age_seconds == 600
    assert defaults.anchor_interval_seconds == 60
    assert defaults.ledger_checkpoint_every == 1
    monkeypatch.setenv("MICROCRED_ANCHOR_INTERVAL_SECONDS", "0")
    monkeypatch.setenv("MICROCRED_ANCHOR_BATCH_SIZE", "500")
    monkeypatch.setenv("MICROCRED_EVM_RPC_URL", "http://127.0.0.1:8545")  # read elsewhere
    chosen = load_settings()
    assert chosen.anchor_interval_seconds == 0 and chosen.anchor_batch_size == 500
    monkeypatch.setenv("MICROCRED_LEDGER_CHECKPOINT_EVERY", "0")
    with pytest.raises(ConfigError, match="MICROCRED_LEDGER_CHECKPOINT_EVERY"):
        load_settings()
