"""CSV and XLSX readers: registrar exports as they really are, and garbage."""

from __future__ import annotations

import codecs
import io
import zipfile
from datetime import date, datetime, time
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microcred.errors import InvalidInput
from microcred.imports import ImportLimits, TableFormat, column_letter, open_table, sniff_delimiter


def read(data: bytes, filename: str = "cohort.csv", **options: object):
    with open_table(data, filename, **options) as table:  # type: ignore[arg-type]
        rows = [(row.number, row.cells) for row in table.rows()]
        return table, rows


# --------------------------------------------------------------------------- CSV


def test_utf8_bom_semicolons_crlf_as_excel_writes_them() -> None:
    data = (
        codecs.BOM_UTF8
        + "Nachname;Vorname;E-Mail\r\nMüller;Jürgen;j@example.de\r\n".encode()
        + "Østergaard;Åse;a@example.dk\r\n".encode()
    )
    table, rows = read(data)
    assert table.format is TableFormat.CSV
    assert table.encoding == "utf-8-sig"
    assert table.delimiter == ";"
    assert table.headers == ("Nachname", "Vorname", "E-Mail")  # no BOM in the first header
    assert rows == [
        (2, ("Müller", "Jürgen", "j@example.de")),
        (3, ("Østergaard", "Åse", "a@example.dk")),
    ]
    assert table.notes == ()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Name,Email,Grade", ","),
        ("Name;Email;Grade", ";"),
        ("Name\tEmail\tGrade", "\t"),
        ('"Name, full";Email;Grade', ";"),  # a comma inside quotes does not count
        ("Name", ","),
        ("a;b,c;d", ";"),
    ],
)
def test_delimiter_is_sniffed_from_the_header_line(header: str, expected: str) -> None:
    assert sniff_delimiter(header + "\r\n") == expected


def test_utf8_without_bom_and_comma_and_quotes() -> None:
    data = (
        b'Name,Email,Comment\n"Lovelace, Ada",ada@example.org,"said ""hi""\nthen left"\n'
        b"Bob,bob@example.org,plain\n"
    )
    table, rows = read(data)
    assert table.encoding == "utf-8"
    assert table.delimiter == ","
    assert rows == [
        (2, ("Lovelace, Ada", "ada@example.org", 'said "hi"\nthen left')),
        (3, ("Bob", "bob@example.org", "plain")),  # a multi-line cell is still one row
    ]


def test_tab_separated() -> None:
    _, rows = read(b"Name\tEmail\nAda\tada@example.org\n")
    assert rows == [(2, ("Ada", "ada@example.org"))]


def test_excel_sep_hint_line() -> None:
    table, rows = read(b"sep=|\r\nName|Email\r\nAda|ada@example.org\r\n")
    assert table.delimiter == "|"
    assert table.headers == ("Name", "Email")
    # Excel hides the hint line: the header is row 1 there, and so here
    assert rows == [(2, ("Ada", "ada@example.org"))]
    assert any("sep=" in note for note in table.notes)


def test_explicit_delimiter_wins() -> None:
    table, rows = read(b"Name;Note,x\nAda;1,3\n", delimiter=";")
    assert table.headers == ("Name", "Note,x")
    assert rows == [(2, ("Ada", "1,3"))]


def test_blank_lines_and_cells_are_trimmed_but_rows_keep_their_numbers() -> None:
    data = b"\r\nName;Email;;\r\n  Ada  ; ada@example.org ;;\r\n;;;\r\n\r\nBob;\r\n\r\n\r\n"
    table, rows = read(data)
    assert table.header_row == 2
    assert table.headers == ("Name", "Email")  # trailing empty header cells dropped
    assert rows == [(3, ("Ada", "ada@example.org")), (6, ("Bob", ""))]


def test_rows_longer_than_the_header_keep_their_extra_cells() -> None:
    _, rows = read(b"Name,Email\nAda,ada@example.org,surprise\n")
    assert rows == [(2, ("Ada", "ada@example.org", "surprise"))]


def test_blank_and_repeated_headers_get_names() -> None:
    table, _ = read(b"Name,,Email,email,Email\nA,b,c,d,e\n")
    assert table.headers == ("Name", "Column B", "Email", "email (2)", "Email (3)")


def test_cr_only_line_ends() -> None:
    _, rows = read(b"Name,Email\rAda,ada@example.org\rBob,bob@example.org\r")
    assert [r[1][0] for r in rows] == ["Ada", "Bob"]


def test_windows_1252_fallback_with_a_note() -> None:
    data = "Name;Ort\r\nJosé Müller;Köln – Süd\r\n".encode("cp1252")
    table, rows = read(data)
    assert table.encoding == "cp1252"
    assert rows == [(2, ("José Müller", "Köln – Süd"))]
    assert len(table.notes) == 1
    assert "not UTF-8" in table.notes[0] and "line 2" in table.notes[0]


def test_explicit_encoding_for_central_european_files() -> None:
    data = "Imię i nazwisko;E-mail\r\nŁukasz Żółć;l@example.pl\r\n".encode("cp1250")
    table, rows = read(data, encoding="cp1250")
    assert rows == [(2, ("Łukasz Żółć", "l@example.pl"))]
    assert table.notes == ()


def test_utf16_unicode_text_export() -> None:
    data = "Name\tE-Mail\r\nZoë\tz@example.org\r\n".encode("utf-16")  # with BOM
    table, rows = read(data, "cohort.txt")
    assert table.encoding == "utf-16"
    assert table.delimiter == "\t"
    assert rows == [(2, ("Zoë", "z@example.org"))]


def test_unknown_encoding_name() -> None:
    with pytest.raises(InvalidInput, match="unknown text encoding"):
        read(b"a\n", encoding="no-such-codec")


def test_neither_utf8_nor_cp1252_is_refused_with_the_line() -> None:
    data = b"Name,Email\nAda,ada@example.org\nB\x81b,b@example.org\n"
    with pytest.raises(InvalidInput, match="line 3") as caught:
        read(data)
    assert caught.value.extra["row"] == 3


def test_nul_byte_is_refused_with_row_and_column() -> None:
    data = b"Name,Email\nAda,ada@example.org\nBob,b\x00b@example.org\n"
    with pytest.raises(InvalidInput, match="row 3, column B") as caught:
        read(data)
    assert caught.value.extra == {"row": 3, "column": "B"}


def test_unclosed_quote_names_the_row() -> None:
    data = b'Name,Email\nAda,ada@example.org\n"Bob,bob@example.org\nCarl,c@example.org\n'
    with pytest.raises(InvalidInput, match="row 3: the CSV cannot be parsed"):
        read(data)


def test_text_after_a_closing_quote_is_refused() -> None:
    with pytest.raises(InvalidInput, match="row 2"):
        read(b'Name,Email\n"Ada"x,ada@example.org\n')


def test_empty_file() -> None:
    with pytest.raises(InvalidInput, match="no header row"):
        read(b"")
    with pytest.raises(InvalidInput, match="no header row"):
        read(b"\r\n ; ;\r\n\r\n")


def test_header_only() -> None:
    table, rows = read(b"Name,Email\r\n")
    assert table.headers == ("Name", "Email")
    assert rows == []


def test_limits_file_size() -> None:
    with pytest.raises(InvalidInput, match="larger than 1 MB"):
        read(b"Name\n" + b"x\n" * 600_000, limits=ImportLimits(max_file_bytes=1024 * 1024))


def test_limits_columns() -> None:
    header = ",".join(f"c{i}" for i in range(6)).encode()
    with pytest.raises(InvalidInput, match="more than 5 columns"):
        read(header + b"\n", limits=ImportLimits(max_columns=5))
    ok = b"a,b\n1,2,,,,,,,\n"  # trailing empty cells do not count
    _, rows = read(ok, limits=ImportLimits(max_columns=2))
    assert rows == [(2, ("1", "2"))]


def test_limits_cell_length() -> None:
    data = b"Name,Bio\nAda," + b"x" * 101 + b"\n"
    with pytest.raises(InvalidInput, match="row 2, column B: the cell is longer than 100"):
        read(data, limits=ImportLimits(max_cell_chars=100))


def test_limits_rows() -> None:
    data = b"Name\n" + b"".join(b"n%d\n" % i for i in range(4))
    with pytest.raises(InvalidInput, match="more than 3 data rows"):
        read(data, limits=ImportLimits(max_rows=3))


def test_header_line_too_long() -> None:
    with pytest.raises(InvalidInput, match="header line is longer"):
        read(b"x" * 70_000 + b"\n")


def test_binary_header_is_refused() -> None:
    with pytest.raises(InvalidInput):
        read(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")


def test_paths_and_file_objects(tmp_path: Path) -> None:
    path = tmp_path / "cohort.csv"
    path.write_bytes(b"Name\nAda\n")
    with open_table(path) as table:
        assert [r.cells for r in table.rows()] == [("Ada",)]
    with open_table(str(path)) as table:
        assert table.headers == ("Name",)
    with path.open("rb") as handle, open_table(handle, "x.csv") as table:
        assert [r.cells for r in table.rows()] == [("Ada",)]
        assert not handle.closed  # a caller's file stays the caller's
    with pytest.raises(InvalidInput, match="cannot read"):
        open_table(tmp_path / "missing.csv")
    with pytest.raises(InvalidInput, match="not a regular file"):
        open_table(tmp_path)


class _Pipe(io.RawIOBase):
    """A non-seekable stream (a pipe, a network body)."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_non_seekable_stream_is_spooled() -> None:
    with open_table(io.BufferedReader(_Pipe(b"Name;Email\nAda;a@example.org\n"))) as table:
        assert [r.cells for r in table.rows()] == [("Ada", "a@example.org")]
    big = io.BufferedReader(_Pipe(b"Name\n" + b"x\n" * 1000))
    with pytest.raises(InvalidInput, match="larger than"):
        open_table(big, limits=ImportLimits(max_file_bytes=100))


def test_rows_can_be_read_once() -> None:
    with open_table(b"Name\nAda\n") as table:
        list(table.rows())
        with pytest.raises(RuntimeError):
            table.rows()


def test_option_validation() -> None:
    with pytest.raises(InvalidInput, match="delimiter"):
        open_table(b"a\n", delimiter='"')
    with pytest.raises(InvalidInput, match="sheet name only applies to XLSX"):
        open_table(b"a\n", sheet="Sheet1")


def test_column_letters() -> None:
    assert [column_letter(i) for i in (0, 1, 25, 26, 27, 51, 52, 701, 702)] == [
        "A",
        "B",
        "Z",
        "AA",
        "AB",
        "AZ",
        "BA",
        "ZZ",
        "AAA",
    ]
    with pytest.raises(ValueError):
        column_letter(-1)


def test_streaming_reads_lazily() -> None:
    """The reader yields the first row before it has parsed the rest of the file."""
    body = b"Name\n" + b"ok\n" + b'"unclosed\n' + b"x\n" * 10
    with open_table(body) as table:
        rows = table.rows()
        assert next(rows).cells == ("ok",)
        with pytest.raises(InvalidInput, match="row 3"):
            next(rows)


# --------------------------------------------------------------------------- file kinds


def test_legacy_xls_is_refused() -> None:
    with pytest.raises(InvalidInput, match=r"\.xls"):
        read(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "cohort.xls")
    with pytest.raises(InvalidInput, match=r"\.xls"):
        read(b"Name\nAda\n", "cohort.xls")


def test_xlsx_name_but_not_a_zip() -> None:
    with pytest.raises(InvalidInput, match="not a valid XLSX"):
        read(b"Name,Email\n", "cohort.xlsx")


def test_other_zip_archives_are_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(InvalidInput, match="not an XLSX workbook"):
        read(buffer.getvalue(), "cohort.csv")
    ods = io.BytesIO()
    with zipfile.ZipFile(ods, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
    with pytest.raises(InvalidInput, match="OpenDocument"):
        read(ods.getvalue(), "cohort.ods")


def test_truncated_zip() -> None:
    with pytest.raises(InvalidInput, match="XLSX"):
        read(b"PK\x03\x04" + b"\x00" * 40, "cohort.xlsx")


# --------------------------------------------------------------------------- XLSX


def _workbook_bytes(build) -> bytes:  # type: ignore[no-untyped-def]
    workbook = openpyxl.Workbook()
    build(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cohort(workbook) -> None:  # type: ignore[no-untyped-def]
    sheet = workbook.active
    sheet.title = "Cohort 2025"
    sheet.append(["Name", "E-Mail", "Completed", "Grade", "Passed", "Student ID", "Formula"])
    sheet.append(["Ada Lovelace", "ada@example.org", date(2025, 6, 30), 1.7, True, 1001, "=1+1"])
    sheet.append([None])
    sheet.append(
        ["  Bob  ", "bob@example.org", datetime(2025, 7, 1, 14, 30), 2, False, "00042", None]
    )
    other = workbook.create_sheet("Staff")
    other.append(["Who", "Mail"])
    other.append(["Carl", "carl@example.org"])


def test_xlsx_first_sheet_with_dates_numbers_booleans() -> None:
    table, rows = read(_workbook_bytes(_cohort), "cohort.xlsx")
    assert table.format is TableFormat.XLSX
    assert table.sheet == "Cohort 2025"
    assert table.delimiter is None and table.encoding is None
    assert table.headers == (
        "Name",
        "E-Mail",
        "Completed",
        "Grade",
        "Passed",
        "Student ID",
        "Formula",
    )
    assert rows == [
        # a formula never evaluated and without a saved result reads as empty
        (2, ("Ada Lovelace", "ada@example.org", "2025-06-30", "1.7", "TRUE", "1001", "")),
        (4, ("Bob", "bob@example.org", "2025-07-01T14:30:00", "2", "FALSE", "00042", "")),
    ]


def test_xlsx_named_sheet_and_unknown_sheet() -> None:
    data = _workbook_bytes(_cohort)
    table, rows = read(data, "cohort.xlsx", sheet="Staff")
    assert table.headers == ("Who", "Mail")
    assert rows == [(2, ("Carl", "carl@example.org"))]
    with pytest.raises(InvalidInput, match="no sheet 'Nope'.*'Cohort 2025', 'Staff'"):
        read(data, "cohort.xlsx", sheet="Nope")


def test_xlsx_detected_by_content_whatever_the_name() -> None:
    table, _ = read(_workbook_bytes(_cohort), "export.csv")
    assert table.format is TableFormat.XLSX


def _patch_sheet(data: bytes, *changes: tuple[bytes, bytes]) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                for old, new in changes:
                    assert old in content
                    content = content.replace(old, new)
            target.writestr(info, content)
    return out.getvalue()


def test_xlsx_formula_gives_its_cached_value_never_the_formula() -> None:
    def build(workbook) -> None:  # type: ignore[no-untyped-def]
        workbook.active.append(["Name", "Link", "Sum"])
        workbook.active.append(["Ada", '=HYPERLINK("http://evil.example","x")', "=1+1"])

    # openpyxl cannot save results; write what Excel would have saved next to the formulas
    patched = _patch_sheet(
        _workbook_bytes(build),
        (b'<c r="B2"><f>', b'<c r="B2" t="str"><f>'),
        (b"</f><v></v></c><c", b"</f><v>x</v></c><c"),
        (b"<f>1+1</f><v></v>", b"<f>1+1</f><v>2</v>"),
    )
    _, rows = read(patched, "cohort.xlsx")
    assert rows == [(2, ("Ada", "x", "2"))]


def test_xlsx_cell_limits_apply() -> None:
    def build(workbook) -> None:  # type: ignore[no-untyped-def]
        workbook.active.append(["Name", "Bio"])
        workbook.active.append(["Ada", "y" * 50])

    with pytest.raises(InvalidInput, match="row 2, column B"):
        read(_workbook_bytes(build), "c.xlsx", limits=ImportLimits(max_cell_chars=10))


def test_xlsx_declared_size_limit_stops_zip_bombs() -> None:
    data = _workbook_bytes(_cohort)
    with pytest.raises(InvalidInput, match="expands to more than"):
        read(data, "c.xlsx", limits=ImportLimits(max_xlsx_expanded_bytes=1024))


def test_xlsx_entity_expansion_is_refused() -> None:
    def build(workbook) -> None:  # type: ignore[no-untyped-def]
        workbook.active.append(["Name"])
        workbook.active.append(["Ada"])

    bomb = (
        b'<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><worksheet '
    )
    patched = _patch_sheet(
        _workbook_bytes(build), (b"<worksheet ", bomb), (b"<t>Ada</t>", b"<t>&b;</t>")
    )
    with pytest.raises(InvalidInput, match="cannot be read"):
        read(patched, "c.xlsx")


def test_xlsx_empty_sheet() -> None:
    with pytest.raises(InvalidInput, match="no header row"):
        read(_workbook_bytes(lambda wb: None), "c.xlsx")


def test_xlsx_time_cells() -> None:
    def build(workbook) -> None:  # type: ignore[no-untyped-def]
        workbook.active.append(["Name", "Start"])
        workbook.active.append(["Ada", time(9, 30)])

    _, rows = read(_workbook_bytes(build), "c.xlsx")
    assert rows == [(2, ("Ada", "09:30:00"))]


# --------------------------------------------------------------------------- fuzzing


def _consume(data: bytes, filename: str | None) -> None:
    try:
        with open_table(data, filename, limits=ImportLimits(max_rows=2000)) as table:
            for _ in table.rows():
                pass
    except InvalidInput:
        pass


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000), st.sampled_from(["x.csv", "x.xlsx", "x.txt", None]))
def test_any_bytes_give_rows_or_invalid_input(data: bytes, filename: str | None) -> None:
    _consume(data, filename)


_CSV_ALPHABET = st.sampled_from(
    list('abc;,\t"\r\n =+-@\x00\x1b\ufeffé€💥') + ["sep=;", '""', "\r\n"]
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(_CSV_ALPHABET, max_size=300).map("".join),
    st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"]),
)
def test_csv_like_text_in_any_encoding_gives_rows_or_invalid_input(
    text: str, encoding: str
) -> None:
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    _consume(data, "x.csv")


@settings(max_examples=40, deadline=None)
@given(st.binary(min_size=1, max_size=200), st.integers(min_value=0, max_value=4000))
def test_damaged_xlsx_gives_invalid_input(noise: bytes, position: int) -> None:
    data = bytearray(_workbook_bytes(_cohort))
    position %= len(data)
    data[position : position + len(noise)] = noise
    _consume(bytes(data), "x.xlsx")
