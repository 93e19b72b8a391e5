"""Progress of a bulk import, for progress bars and for plain logs.

:meth:`ImportService.run_job <microcred.services.imports.ImportService.run_job>` calls its
``on_progress(done, total, failed)`` after every committed batch: ``done`` counts processed rows
(issued + failed, including rows that failed validation when the job was created), so a
resumed job starts where it stopped. A rich progress bar uses the numbers directly; when output
is not a terminal (rich hides its bars then), :class:`ProgressLine` writes a throttled plain
line such as::

    import: 1200/5000 rows (24.0%), 12 failed, 410 rows/s, about 9 s left
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["ProgressCallback", "ProgressLine", "format_progress"]

#: ``on_progress(done, total, failed)``
ProgressCallback = Callable[[int, int, int], None]


def format_progress(
    done: int,
    total: int,
    failed: int,
    *,
    rate: float | None = None,
    label: str = "import",
) -> str:
    """One plain-text progress line (ASCII, no terminal control characters).

    ``rate`` is rows per second (omitted when unknown); the time left is derived from it.
    """
    percent = 100.0 if total <= 0 else min(100.0, done * 100.0 / total)
    parts = [f"{label}: {done}/{total} rows ({percent:.1f}%)", f"{failed} failed"]
    if rate is not None and rate > 0:
        parts.append(f"{rate:.0f} rows/s")
        left = max(0, total - done)
        if left:
            parts.append(f"about {_duration(left / rate)} left")
    return ", ".join(parts)


def _duration(seconds: float) -> str:
    whole = int(round(seconds))
    if whole < 60:
        return f"{max(whole, 1)} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class ProgressLine:
    """An ``on_progress`` callback that writes :func:`format_progress` lines, throttled.

    ``write`` receives whole lines (with ``\\n``); ``monotonic`` is a clock in seconds (pass
    :func:`time.monotonic`). A line is written at most every ``interval`` seconds, and always
    when the job reaches its total; :meth:`finish` writes the last state once more if it was
    throttled away.
    """

    def __init__(
        self,
        write: Callable[[str], object],
        *,
        monotonic: Callable[[], float],
        interval: float = 2.0,
        label: str = "import",
    ) -> None:
        self._write = write
        self._monotonic = monotonic
        self._interval = interval
        self._label = label
        self._start: tuple[float, int] | None = None
        self._last_written: float | None = None
        self._last: tuple[int, int, int] | None = None
        self._written: tuple[int, int, int] | None = None

    def __call__(self, done: int, total: int, failed: int) -> None:
        now = self._monotonic()
        if self._start is None:
            self._start = (now, done)
        self._last = (done, total, failed)
        due = self._last_written is None or now - self._last_written >= self._interval
        if (due or done >= total) and self._last != self._written:
            self._emit(now)

    def finish(self) -> None:
        if self._last is not None and self._last != self._written:
            self._emit(self._monotonic())

    def _emit(self, now: float) -> None:
        self._write(self._line(now) + "\n")
        self._written = self._last
        self._last_written = now

    def _line(self, now: float) -> str:
        assert self._last is not None and self._start is not None
        done, total, failed = self._last
        started_at, started_done = self._start
        elapsed = now - started_at
        rate = (done - started_done) / elapsed if elapsed > 0 and done > started_done else None
        return format_progress(done, total, failed, rate=rate, label=self._label)
