"""Memory stays flat: 100,000 rows stream through the reader and the validator."""

from __future__ import annotations

import tracemalloc
from datetime import date
from pathlib import Path

import pytest

from microcred.imports import RowValidator, open_table, suggest_mapping

ROWS = 100_000
PEAK_LIMIT = 20 * 1024 * 1024


def _write_cohort(path: Path) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        handle.write("Matrikelnummer;Nachname;Vorname;E-Mail;Note;Gültig bis;Bemerkung\r\n")
        for n in range(ROWS):
            email = f"student{n}@uni.example" if n % 1000 else "not-an-address"
            handle.write(
                f"{n:08d};Müller-{n};Jürgen;{email};{1 + n % 4},{n % 10};"
                f'30.06.{2027 + n % 5};"a note; with a delimiter"\r\n'
            )


@pytest.mark.slow
def test_100k_rows_stream_through_reader_and_validator_in_bounded_memory(
    tmp_path: Path,
) -> None:
    path = tmp_path / "cohort.csv"
    _write_cohort(path)
    assert path.stat().st_size > 8 * 1024 * 1024  # the file alone is bigger than half the bound

    tracemalloc.start()
    try:
        ok = failed = 0
        with open_table(path, "cohort.csv") as table:
            mapping = suggest_mapping(table.headers).mapping
            validator = RowValidator(table.headers, mapping, today=date(2026, 3, 1))
            for checked in validator.check_rows(table.rows()):
                if checked.ok:
                    ok += 1
                else:
                    failed += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert (ok, failed) == (ROWS - 100, 100)
    assert peak < PEAK_LIMIT, f"peak {peak / 2**20:.1f} MiB"
