"""Streaming readers for the files registrars export: CSV and XLSX.

Both readers turn a file into a :class:`Table`: its header row and a *generator* of
:class:`SourceRow` (row number + cells as text). Nothing holds more than one row at a time, so
memory stays flat for any number of rows.

CSV (RFC 4180, as spreadsheet programs write it)
------------------------------------------------
- Encoding: a UTF-8 byte-order mark, a UTF-16 byte-order mark (Excel's "Unicode text"), else
  UTF-8 when the whole file is valid UTF-8, else Windows-1252 (what Excel's "CSV" writes on
  Western-European Windows) with a note in :attr:`Table.notes`, because a file in another code
  page (e.g. Windows-1250) would then read with wrong accented letters. A caller that knows
  the encoding passes ``encoding=``.
- Delimiter: Excel's ``sep=;`` hint line if present, else whichever of ``;``, ``,`` and tab
  occurs most often (outside quotes) in the header line; ``delimiter=`` overrides.
- Quoted fields (with doubled quotes and line breaks inside), CRLF/LF/CR line ends.
- Cells are trimmed; blank rows are skipped (row numbers still count them, so they match what a
  spreadsheet shows); trailing empty cells are dropped.

XLSX (ECMA-376, via openpyxl in read-only mode)
-----------------------------------------------
- The first worksheet, or the one named by ``sheet=``.
- Cached values only: formulas are never evaluated (a formula cell whose result was never
  saved reads as empty). Date cells come out as ISO dates (``2025-06-30``), numbers as plain
  text (``1.7``, ``42``), booleans as ``TRUE``/``FALSE``.
- The archive is checked before it is opened: its declared uncompressed size is bounded
  (no zip bombs), and XML is parsed with ``defusedxml`` (no entity expansion).

Anything that is not such a file (binary data, legacy ``.xls``, OpenDocument, a broken
archive, too many columns, a cell longer than the limit) raises :class:`InvalidInput` naming the
row and column where it can.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import os
import struct
import tempfile
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self
from xml.etree.ElementTree import ParseError

from microcred.errors import InvalidInput

__all__ = [
    "DEFAULT_LIMITS",
    "ImportLimits",
    "Source",
    "SourceRow",
    "Table",
    "TableFormat",
    "column_letter",
    "open_table",
    "sniff_delimiter",
]

#: what :func:`open_table` reads: raw bytes, a path, or a binary file object
Source = bytes | bytearray | str | os.PathLike[str] | IO[bytes]

_CHUNK = 1 << 16
_DELIMITERS = ("\t", ";", ",")
_MAX_HEADER_LINE = 1 << 16
_MAX_LEADING = 1000
_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_XLSX_BATCH = 256


class TableFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


@dataclass(frozen=True, slots=True)
class ImportLimits:
    """Upper bounds that protect the server from huge or hostile files."""

    max_file_bytes: int = 50 * 1024 * 1024
    max_columns: int = 200
    max_cell_chars: int = 10_000
    max_rows: int = 1_000_000
    #: the total uncompressed size an XLSX archive may declare
    max_xlsx_expanded_bytes: int = 512 * 1024 * 1024

    def __post_init__(self) -> None:
        for name in (
            "max_file_bytes",
            "max_columns",
            "max_cell_chars",
            "max_rows",
            "max_xlsx_expanded_bytes",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")


DEFAULT_LIMITS = ImportLimits()


@dataclass(frozen=True, slots=True)
class SourceRow:
    """One data row. ``number`` is the row as a spreadsheet shows it (the header is row 1).

    ``cells`` are trimmed text in header order; a row may carry more cells than there are
    headers (values beyond the last header column), never fewer (it is padded with ``""``).
    """

    number: int
    cells: tuple[str, ...]

    def is_blank(self) -> bool:
        return not any(self.cells)


class Table:
    """An opened import file: header plus a single-pass row generator. Close it when done."""

    def __init__(
        self,
        *,
        format: TableFormat,
        headers: tuple[str, ...],
        header_row: int,
        rows: Iterator[SourceRow],
        delimiter: str | None = None,
        encoding: str | None = None,
        sheet: str | None = None,
        notes: tuple[str, ...] = (),
        closer: Callable[[], None] | None = None,
    ) -> None:
        self.format = format
        self.headers = headers
        self.header_row = header_row
        self.delimiter = delimiter
        self.encoding = encoding
        self.sheet = sheet
        self.notes = notes
        self._rows: Iterator[SourceRow] | None = rows
        self._closer = closer

    def rows(self) -> Iterator[SourceRow]:
        """The data rows, in file order, blank rows skipped. Can be iterated only once."""
        if self._rows is None:
            raise RuntimeError("the rows of this table were already read")
        rows, self._rows = self._rows, None
        return rows

    def close(self) -> None:
        closer, self._closer = self._closer, None
        if closer is not None:
            closer()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def column_letter(index: int) -> str:
    """Spreadsheet column name of a 0-based column index: 0 -> ``A``, 26 -> ``AA``."""
    if index < 0:
        raise ValueError("column index must not be negative")
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def open_table(
    source: Source,
    filename: str | None = None,
    *,
    sheet: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    limits: ImportLimits = DEFAULT_LIMITS,
) -> Table:
    """Open a CSV or XLSX file (told apart by content, then by ``filename``).

    The returned table holds the file open until :meth:`Table.close` (or the end of a
    ``with`` block). Raises :class:`InvalidInput` for anything that is not a readable table.
    """
    if delimiter is not None and (len(delimiter) != 1 or delimiter in '"\r\n'):
        raise InvalidInput("the delimiter must be one character other than a quote or newline")
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InvalidInput(f"unknown text encoding {encoding!r}") from None
    stream, owned = _binary_stream(source, limits)
    try:
        head = stream.read(8)
        stream.seek(0)
        kind = _detect_format(head, filename)
        if kind is TableFormat.XLSX:
            table = _open_xlsx(stream, sheet, limits)
        else:
            if sheet is not None:
                raise InvalidInput("a sheet name only applies to XLSX workbooks, not CSV")
            table = _open_csv(stream, encoding, delimiter, limits)
    except BaseException:
        if owned:
            stream.close()
        raise
    if owned:
        inner = table._closer

        def close_both() -> None:
            try:
                if inner is not None:
                    inner()
            finally:
                stream.close()

        table._closer = close_both
    return table


# --------------------------------------------------------------------------- input plumbing


def _binary_stream(source: Source, limits: ImportLimits) -> tuple[IO[bytes], bool]:
    """A seekable binary stream over ``source`` within the size limit; ``owned`` = we close it."""
    if isinstance(source, bytes | bytearray):
        _check_size(len(source), limits)
        return io.BytesIO(bytes(source)), True
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            size = path.stat().st_size
            if not path.is_file():
                raise InvalidInput(f"{path.name!r} is not a regular file")
            _check_size(size, limits)
            return path.open("rb"), True
        except OSError as exc:
            raise InvalidInput(f"cannot read {path.name!r}: {exc.strerror or exc}") from None
    stream = source
    if _seekable(stream):
        start = stream.tell()
        end = stream.seek(0, io.SEEK_END)
        stream.seek(start)
        _check_size(end - start, limits)
        if start == 0:
            return stream, False
    # not seekable (or not at its start): spool a bounded copy
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    copied = 0
    while chunk := stream.read(_CHUNK):
        copied += len(chunk)
        if copied > limits.max_file_bytes:
            spool.close()
            _check_size(copied, limits)
        spool.write(chunk)
    spool.seek(0)
    return spool, True


def _seekable(stream: IO[bytes]) -> bool:
    try:
        return bool(stream.seekable())
    except (AttributeError, ValueError, OSError):
        return False


def _check_size(size: int, limits: ImportLimits) -> None:
    if size > limits.max_file_bytes:
        raise InvalidInput(
            f"the file is larger than {limits.max_file_bytes // (1024 * 1024)} MB; "
            "split it into several imports"
        )


def _detect_format(head: bytes, filename: str | None) -> TableFormat:
    suffix = Path(filename).suffix.lower() if filename else ""
    if head.startswith(_ZIP_MAGIC):
        return TableFormat.XLSX
    if head.startswith(_OLE2_MAGIC) or suffix == ".xls":
        raise InvalidInput(
            "this is a legacy Excel 97-2003 (.xls) workbook; save it as .xlsx or as CSV"
        )
    if suffix in (".xlsx", ".xlsm"):
        raise InvalidInput(f"{filename!r} is not a valid XLSX workbook (it is not a ZIP archive)")
    if suffix in (".ods", ".numbers", ".pdf", ".doc", ".docx"):
        raise InvalidInput(f"{suffix} files cannot be imported; export the sheet as CSV or XLSX")
    return TableFormat.CSV


# --------------------------------------------------------------------------- CSV


def _open_csv(
    stream: IO[bytes], encoding: str | None, delimiter: str | None, limits: ImportLimits
) -> Table:
    notes: list[str] = []
    if encoding is None:
        encoding, note = _detect_encoding(stream)
        if note:
            notes.append(note)
    else:
        _check_decodes(stream, encoding)
    stream.seek(0)
    text = io.TextIOWrapper(stream, encoding=encoding, errors="strict", newline="")
    text_closed = False

    def close_text() -> None:
        nonlocal text_closed
        if not text_closed:
            text_closed = True
            text.detach()  # leave the binary stream to its owner

    try:
        first = _read_header_line(text)
        lines: Iterable[str]
        hint = first.strip().lower()
        if len(hint) == 5 and hint.startswith("sep="):
            sniffed = first.strip()[4]
            lines = text
            notes.append(f"the file names its delimiter in a 'sep={sniffed}' first line")
        else:
            leading = [first]  # blank lines before the header: sniff the header itself
            while _looks_blank(leading[-1]) and leading[-1] and len(leading) < _MAX_LEADING:
                leading.append(_read_header_line(text))
            last = leading[-1]
            sniffed = sniff_delimiter(last if not _looks_blank(last) else "".join(leading))
            lines = itertools.chain(leading, text)
        chosen = delimiter or sniffed
        reader = csv.reader(lines, delimiter=chosen, quotechar='"', doublequote=True, strict=True)
        records = _csv_records(reader, limits)
        header_row, header_cells = _first_nonblank(records, limits)
        headers = _make_headers(header_cells, header_row)
    except BaseException:
        close_text()
        raise
    rows = _data_rows(records, len(headers), limits)
    return Table(
        format=TableFormat.CSV,
        headers=headers,
        header_row=header_row,
        rows=rows,
        delimiter=chosen,
        encoding=encoding,
        notes=tuple(notes),
        closer=close_text,
    )


def _detect_encoding(stream: IO[bytes]) -> tuple[str, str | None]:
    head = stream.read(4)
    stream.seek(0)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", None
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        _check_decodes(stream, "utf-16")
        return "utf-16", None
    bad_line = _first_undecodable_line(stream, "utf-8")
    if bad_line is None:
        return "utf-8", None
    if _first_undecodable_line(stream, "cp1252") is None:
        return "cp1252", (
            f"the file is not UTF-8 (first non-UTF-8 byte on line {bad_line}); it was read as "
            "Windows-1252, the encoding of Excel's 'CSV' on Western-European Windows. Check "
            "accented names in the preview; if they look wrong, export as 'CSV UTF-8' or give "
            "the encoding (e.g. cp1250 for Central-European Windows)"
        )
    raise InvalidInput(
        f"line {bad_line}: the file is neither UTF-8 nor Windows-1252 text; is it really a "
        "CSV export? Save it as 'CSV UTF-8' or as XLSX",
        row=bad_line,
    )


def _check_decodes(stream: IO[bytes], encoding: str) -> None:
    bad_line = _first_undecodable_line(stream, encoding)
    if bad_line is not None:
        raise InvalidInput(f"line {bad_line}: the file is not valid {encoding} text", row=bad_line)


def _first_undecodable_line(stream: IO[bytes], encoding: str) -> int | None:
    """Decode the whole stream incrementally; the (physical) line of the first bad byte."""
    stream.seek(0)
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    newline = "\n".encode(encoding) if not encoding.startswith("utf-16") else None
    line = 1
    try:
        while chunk := stream.read(_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return line + chunk[: exc.start].count(b"\n")
            if newline is not None:
                line += chunk.count(newline)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return line
        return None
    finally:
        stream.seek(0)


def _read_header_line(text: io.TextIOWrapper) -> str:
    try:
        first = text.readline(_MAX_HEADER_LINE + 1)
    except UnicodeDecodeError:  # only with an explicitly given, wrong encoding
        raise InvalidInput("line 1: the file is not valid text in that encoding", row=1) from None
    if len(first) > _MAX_HEADER_LINE:
        raise InvalidInput(
            f"row 1: the header line is longer than {_MAX_HEADER_LINE} characters; "
            "is this really a CSV export?",
            row=1,
        )
    return first


def _looks_blank(line: str) -> bool:
    return not line.strip(" \t\r\n;,\ufeff")


def sniff_delimiter(header_line: str) -> str:
    """The delimiter of a header line: the most frequent of tab, ``;`` and ``,`` outside quotes.

    Ties go to tab, then ``;`` (a header rarely contains either by accident); a line with none
    of them (a single column) gives ``,``.
    """
    counts = dict.fromkeys(_DELIMITERS, 0)
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(_DELIMITERS, key=lambda d: counts[d])  # first of equal maxima wins
    return best if counts[best] else ","


def _csv_records(reader: Iterator[list[str]], limits: ImportLimits) -> Iterator[SourceRow]:
    """Every record (blank ones too) with its number; cells trimmed, trailing blanks dropped."""
    number = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InvalidInput(
                f"row {number + 1}: the CSV cannot be parsed ({exc}): a quoted cell is not "
                "closed, or text follows its closing quote",
                row=number + 1,
            ) from None
        except UnicodeDecodeError:
            raise InvalidInput(
                f"row {number + 1}: the file is not valid text in that encoding", row=number + 1
            ) from None
        number += 1
        yield SourceRow(number, _clean_cells(record, number, limits))


def _clean_cells(values: Iterable[Any], number: int, limits: ImportLimits) -> tuple[str, ...]:
    cells = [value.strip() if type(value) is str else _cell_text(value) for value in values]
    while cells and not cells[-1]:
        cells.pop()
    if len(cells) > limits.max_columns:
        raise InvalidInput(
            f"row {number}: more than {limits.max_columns} columns",
            row=number,
            column=column_letter(limits.max_columns),
        )
    if not cells or (
        max(map(len, cells)) <= limits.max_cell_chars and not any("\x00" in c for c in cells)
    ):
        return tuple(cells)
    for index, cell in enumerate(cells):
        if len(cell) > limits.max_cell_chars:
            raise InvalidInput(
                f"row {number}, column {column_letter(index)}: the cell is longer than "
                f"{limits.max_cell_chars} characters",
                row=number,
                column=column_letter(index),
            )
        if "\x00" in cell:
            raise InvalidInput(
                f"row {number}, column {column_letter(index)}: the cell contains binary data "
                "(a NUL byte); this does not look like a text export",
                row=number,
                column=column_letter(index),
            )
    return tuple(cells)


def _cell_text(value: Any) -> str:
    """A cell value as trimmed text (CSV gives ``str``; XLSX also numbers, dates, booleans)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, timedelta):
        return str(value)
    return str(value).strip()


def _first_nonblank(
    records: Iterator[SourceRow], limits: ImportLimits
) -> tuple[int, tuple[str, ...]]:
    for record in records:
        if not record.is_blank():
            return record.number, record.cells
        if record.number > limits.max_rows:
            break
    raise InvalidInput("the file has no header row (it is empty)")


def _make_headers(cells: tuple[str, ...], row: int) -> tuple[str, ...]:
    """Header names: blanks become ``Column C``, repeats get `` (2)``, ``(3)``..."""
    headers: list[str] = []
    seen: set[str] = set()
    for index, cell in enumerate(cells):
        name = cell.lstrip("\ufeff").strip() or f"Column {column_letter(index)}"
        if any(ord(ch) < 32 and ch not in "\t\r\n" for ch in name):
            raise InvalidInput(
                f"row {row}, column {column_letter(index)}: the header contains control "
                "characters; this does not look like a table export",
                row=row,
                column=column_letter(index),
            )
        name = " ".join(name.split())
        unique, counter = name, 1
        while unique.casefold() in seen:
            counter += 1
            unique = f"{name} ({counter})"
        seen.add(unique.casefold())
        headers.append(unique)
    if not headers:
        raise InvalidInput("the file has no header row (it is empty)")
    return tuple(headers)


def _data_rows(
    records: Iterator[SourceRow], width: int, limits: ImportLimits
) -> Iterator[SourceRow]:
    data_rows = 0
    for record in records:
        if record.is_blank():
            continue
        data_rows += 1
        if data_rows > limits.max_rows:
            raise InvalidInput(
                f"row {record.number}: the file has more than {limits.max_rows} data rows; "
                "split it into several imports",
                row=record.number,
            )
        cells = record.cells
        if len(cells) < width:
            cells = cells + ("",) * (width - len(cells))
        yield SourceRow(record.number, cells)


# --------------------------------------------------------------------------- XLSX


# openpyxl raises a wide range of built-in exceptions on a damaged archive; they are all
# translated to InvalidInput here, at the adapter edge, and nowhere else.
_XLSX_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    struct.error,
    LookupError,
    ValueError,
    TypeError,
    IndexError,
    AttributeError,
    EOFError,
    OSError,
    ParseError,
    RuntimeError,  # zipfile: encrypted members; also NotImplementedError, RecursionError
)


def _open_xlsx(stream: IO[bytes], sheet: str | None, limits: ImportLimits) -> Table:
    _check_archive(stream, limits)
    stream.seek(0)
    workbook = _load_workbook(stream)
    try:
        worksheets = [ws for ws in workbook.worksheets if hasattr(ws, "iter_rows")]
        if not worksheets:
            raise InvalidInput("the workbook has no worksheet")
        if sheet is None:
            worksheet = worksheets[0]
        else:
            by_name = {ws.title: ws for ws in worksheets}
            if sheet not in by_name:
                names = ", ".join(repr(ws.title) for ws in worksheets)
                raise InvalidInput(f"the workbook has no sheet {sheet!r} (it has {names})")
            worksheet = by_name[sheet]
        title = str(worksheet.title)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            worksheet.reset_dimensions()  # never trust the stored dimensions
        records = _xlsx_records(worksheet, limits)
        header_row, header_cells = _first_nonblank(records, limits)
        headers = _make_headers(header_cells, header_row)
    except _XLSX_ERRORS as exc:
        workbook.close()
        if isinstance(exc, InvalidInput):
            raise
        raise InvalidInput(f"the XLSX workbook cannot be read ({_describe(exc)})") from None
    except BaseException:
        workbook.close()
        raise
    return Table(
        format=TableFormat.XLSX,
        headers=headers,
        header_row=header_row,
        rows=_data_rows(records, len(headers), limits),
        sheet=title,
        closer=workbook.close,
    )


def _check_archive(stream: IO[bytes], limits: ImportLimits) -> None:
    try:
        with zipfile.ZipFile(stream) as archive:
            names = set(archive.namelist())
            declared = sum(info.file_size for info in archive.infolist())
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except _XLSX_ERRORS as exc:
        raise InvalidInput(f"the file is not a valid XLSX workbook ({_describe(exc)})") from None
    if b"opendocument" in mimetype:
        raise InvalidInput("this is an OpenDocument spreadsheet (.ods); save it as .xlsx or as CSV")
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise InvalidInput("the file is a ZIP archive but not an XLSX workbook")
    if declared > limits.max_xlsx_expanded_bytes:
        raise InvalidInput(
            f"the workbook expands to more than {limits.max_xlsx_expanded_bytes // 2**20} MB; "
            "split it into several imports"
        )


def _load_workbook(stream: IO[bytes]) -> Any:
    import openpyxl  # imported lazily: CSV-only callers never pay for it

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # style/extension notices are not our users' concern
            return openpyxl.load_workbook(
                stream, read_only=True, data_only=True, keep_links=False, keep_vba=False
            )
    except _XLSX_ERRORS as exc:
        raise InvalidInput(f"the XLSX workbook cannot be read ({_describe(exc)})") from None


def _xlsx_records(worksheet: Any, limits: ImportLimits) -> Iterator[SourceRow]:
    """Rows of a read-only worksheet, read in small batches.

    Each batch is read with openpyxl's warnings silenced; the filter is never left active
    across a ``yield``.
    """
    values = worksheet.iter_rows(values_only=True)
    number = 0
    while True:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                batch = list(itertools.islice(values, _XLSX_BATCH))
        except _XLSX_ERRORS as exc:
            raise InvalidInput(
                f"row {number + 1}: the XLSX workbook cannot be read ({_describe(exc)})",
                row=number + 1,
            ) from None
        if not batch:
            return
        for row in batch:
            number += 1
            yield SourceRow(number, _clean_cells(row, number, limits))


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
