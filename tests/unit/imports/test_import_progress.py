"""Plain-text progress lines for logs and non-TTY output."""

from __future__ import annotations

from microcred.imports import ProgressLine, format_progress


def test_format_progress() -> None:
    assert format_progress(0, 0, 0) == "import: 0/0 rows (100.0%), 0 failed"
    assert format_progress(1200, 5000, 12) == "import: 1200/5000 rows (24.0%), 12 failed"
    assert (
        format_progress(1200, 5000, 12, rate=400.0)
        == "import: 1200/5000 rows (24.0%), 12 failed, 400 rows/s, about 10 s left"
    )
    assert format_progress(0, 100_000, 0, rate=50.0).endswith("about 33 min 20 s left")
    assert format_progress(0, 1_000_000, 0, rate=100.0).endswith("about 2 h 46 min left")
    assert format_progress(5000, 5000, 3, rate=10.0, label="job 7") == (
        "job 7: 5000/5000 rows (100.0%), 3 failed, 10 rows/s"
    )
    assert format_progress(10, 10, 0, rate=0.0).isascii()


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_progress_line_is_throttled_and_always_shows_the_end() -> None:
    clock = FakeTime()
    lines: list[str] = []
    progress = ProgressLine(lines.append, monotonic=clock, interval=2.0)
    progress(0, 300, 0)  # first call always writes
    clock.now += 1
    progress(50, 300, 1)  # throttled
    clock.now += 1.5
    progress(100, 300, 1)  # 2.5 s after the last line
    clock.now += 0.5
    progress(300, 300, 4)  # the end is always written
    progress.finish()  # nothing new to say
    assert lines == [
        "import: 0/300 rows (0.0%), 0 failed\n",
        "import: 100/300 rows (33.3%), 1 failed, 40 rows/s, about 5 s left\n",
        "import: 300/300 rows (100.0%), 4 failed, 100 rows/s\n",
    ]


def test_finish_writes_a_throttled_last_state() -> None:
    clock = FakeTime()
    lines: list[str] = []
    progress = ProgressLine(lines.append, monotonic=clock, interval=60.0, label="resume")
    progress(100, 300, 0)
    clock.now += 1
    progress(150, 300, 2)
    progress.finish()
    assert lines == [
        "resume: 100/300 rows (33.3%), 0 failed\n",
        "resume: 150/300 rows (50.0%), 2 failed, 50 rows/s, about 3 s left\n",
    ]
    ProgressLine(lines.append, monotonic=clock).finish()  # never called: writes nothing
    assert len(lines) == 2
