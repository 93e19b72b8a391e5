"""Hostile import files (CSV/XLSX): a table or a clear ``InvalidInput`` — nothing else.

Random bytes, invalid UTF-8, NUL bytes, huge cells, too many columns, unterminated quotes,
zip bombs (declared and lying about their size), XML entity bombs, encrypted or broken archives
and formula cells: the readers either give rows of text or raise
:class:`~microcred.errors.InvalidInput` with a message (never a raw exception, never
unbounded memory: ``tracemalloc`` peak under a loose cap). Formula cells of an XLSX are read
as their cached value, never evaluated.
"""

from __future__ import annotations

import io
import tracemalloc
import zipfile
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microcred.errors import InvalidInput
from microcred.imports import ImportLimits, open_table

MB = 1024 * 1024
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)


def _sheet(rows: str, prolog: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{rows}</sheetData></worksheet>"
    )


def _xlsx(sheet: str, *, extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def _read_all(data: bytes, filename: str, limits: ImportLimits | None = None) -> list[Any]:
    kwargs: dict[str, Any] = {} if limits is None else {"limits": limits}
    with open_table(data, filename, **kwargs) as table:
        return [table.headers, *[row.cells for row in table.rows()]]


def _outcome(data: bytes, filename: str, **kw: Any) -> list[Any] | InvalidInput:
    tracemalloc.start()
    try:
        try:
            result: list[Any] | InvalidInput = _read_all(data, filename, **kw)
        except InvalidInput as error:
            assert error.detail and "Traceback" not in error.detail
            result = error
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 256 * MB, f"{filename}: {peak // MB} MB"
    return result


def test_a_well_formed_xlsx_reads(tmp_path: Any) -> None:
    sheet = _sheet(
        f"<row r='1'>{_inline('A1', 'Name')}{_inline('B1', 'E-mail')}</row>"
        f"<row r='2'>{_inline('A2', 'Ana')}{_inline('B2', 'ana@example.org')}</row>"
    )
    assert _read_all(_xlsx(sheet), "cohort.xlsx") == [
        ("Name", "E-mail"),
        ("Ana", "ana@example.org"),
    ]


def test_formula_cells_are_read_as_cached_values_never_evaluated() -> None:
    sheet = _sheet(
        f"<row r='1'>{_inline('A1', 'Name')}{_inline('B1', 'Grade')}</row>"
        "<row r='2'><c r='A2' t='str'><f>HYPERLINK(\"http://evil.example\",\"x\")</f><v>x</v></c>"
        "<c r='B2'><f>1+1</f></c></row>"
        "<row r='3'><c r='A3'><f>WEBSERVICE(\"http://evil.example/\")</f></c>"
        f"{_inline('B3', '=1+1')}</row>"
    )
    rows = _read_all(_xlsx(sheet), "cohort.xlsx")
    assert rows[1] == ("x", "")  # cached value, or empty when none was saved
    assert rows[2] == ("", "=1+1")  # text that looks like a formula stays text


def test_an_xml_entity_bomb_is_refused() -> None:
    prolog = (
        '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    )
    sheet = _sheet(f"<row r='1'>{_inline('A1', '&lol3;')}</row>", prolog)
    assert isinstance(_outcome(_xlsx(sheet), "bomb.xlsx"), InvalidInput)


def test_an_external_entity_is_never_resolved(tmp_path: Any) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    prolog = f'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file://{secret}">]>'
    sheet = _sheet(f"<row r='1'>{_inline('A1', '&xxe;')}</row>", prolog)
    result = _outcome(_xlsx(sheet), "xxe.xlsx")
    assert isinstance(result, InvalidInput) or "TOP-SECRET" not in repr(result)


def test_a_zip_bomb_is_refused_by_its_declared_size() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/worksheets/sheet1.xml", b"<" * (40 * MB))  # ~40 KB compressed
    data = buffer.getvalue()
    assert len(data) < MB
    result = _outcome(data, "bomb.xlsx", limits=ImportLimits(max_xlsx_expanded_bytes=16 * MB))
    assert isinstance(result, InvalidInput)
    assert "expands to more than 16 MB" in result.detail


def test_a_zip_that_lies_about_its_size_cannot_expand_past_it() -> None:
    """The central directory says 1 KB, the data inflates to 40 MB: zipfile stops at the
    declared size and the CRC check fails -> InvalidInput, memory stays small."""
    sheet = _sheet(f"<row r='1'>{_inline('A1', 'Name')}</row>").encode()
    data = bytearray(_xlsx(sheet.decode(), extra={"xl/pad.xml": b" " * (40 * MB)}))
    # shrink the declared size of xl/pad.xml in its central directory record
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("xl/pad.xml")
    central = data.rfind(b"PK\x01\x02", 0, data.rfind(b"xl/pad.xml") + 1)
    data[central + 24 : central + 28] = (1024).to_bytes(4, "little")
    assert info.file_size == 40 * MB
    result = _outcome(bytes(data), "liar.xlsx")
    assert isinstance(result, list | InvalidInput)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("empty.xlsx", b""),
        ("truncated.xlsx", b"PK\x03\x04" + b"\x00" * 100),
        ("legacy.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100),
        ("not-a-workbook.xlsx", b"hello"),
    ],
)
def test_broken_workbooks_are_clear_errors(name: str, data: bytes) -> None:
    assert isinstance(_outcome(data, name), InvalidInput)


def test_an_encrypted_zip_member_is_a_clear_error() -> None:
    data = bytearray(_xlsx(_sheet(f"<row r='1'>{_inline('A1', 'Name')}</row>")))
    # set the "encrypted" flag on every member (local and central headers)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            data[start + offset] |= 0x01
            start += 4
    assert isinstance(_outcome(bytes(data), "locked.xlsx"), InvalidInput)


CSV_CASES = {
    "invalid utf-8 and cp1252": b"Name,E-mail\r\n\x81\x8d\x8f\x90\x9d,a@b.c\r\n",
    "nul byte": b"Name,E-mail\r\nAna\x00,a@b.c\r\n",
    "nul in header": b"Na\x00me,E-mail\r\nAna,a@b.c\r\n",
    "huge cell": b"Name,E-mail\r\n" + b"a" * 20_000 + b",a@b.c\r\n",
    "huge header line": b"a" * 100_000 + b"\r\n",
    "too many columns": b",".join([b"c%d" % i for i in range(500)]) + b"\r\n",
    "unterminated quote": b'Name,E-mail\r\n"Ana,a@b.c\r\n',
    "text after quote": b'Name,E-mail\r\n"Ana"x,a@b.c\r\n',
    "only blank lines": b"\r\n\r\n;;\r\n",
    "binary": bytes(range(256)) * 4,
    "utf-16 garbage": b"\xff\xfe" + b"\x00\xd8" * 10,
}


@pytest.mark.parametrize("case", sorted(CSV_CASES))
def test_hostile_csv_files_are_clear_errors(case: str) -> None:
    result = _outcome(CSV_CASES[case], "cohort.csv")
    assert isinstance(result, InvalidInput), (case, result)


def test_formula_cells_in_a_csv_are_read_as_plain_text() -> None:
    data = b'Name,Grade\r\n=HYPERLINK("http://evil.example"),+1\r\n@SUM(1),-2\r\n'
    assert _read_all(data, "cohort.csv")[1:] == [
        ('=HYPERLINK("http://evil.example")', "+1"),
        ("@SUM(1)", "-2"),
    ]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=4096))
def test_random_bytes_as_csv(data: bytes) -> None:
    _outcome(data, "random.csv")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cells=st.lists(
        st.lists(st.text(st.characters(codec="utf-8"), max_size=30), max_size=6),
        min_size=1,
        max_size=8,
    ),
    delimiter=st.sampled_from([",", ";", "\t"]),
)
def test_random_text_tables_as_csv(cells: list[list[str]], delimiter: str) -> None:
    text = "\r\n".join(delimiter.join(row) for row in cells)
    _outcome(text.encode("utf-8", "surrogatepass"), "random.csv")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    flips=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=8)
)
def test_corrupted_xlsx_archives(flips: list[tuple[int, int]]) -> None:
    data = bytearray(_xlsx(_sheet(f"<row r='1'>{_inline('A1', 'Name')}</row>")))
    for position, value in flips:
        data[position % len(data)] = value
    _outcome(bytes(data), "corrupt.xlsx")
