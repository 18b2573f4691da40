"""A CSV file to import, streamed row by row: bad rows are reported and reading goes on.

`CsvFile` guesses the encoding and the delimiter, reads the header, then yields a `Row` or a
`RowError` per record. Only a header it cannot read stops it (`BadHeader`): without the header
no cell can be named. `ErrorReport` writes the errors where a person can open them.

The reader keeps these rules:

- Memory is bounded whatever the file: it is read 64 KB at a time, and a record longer than
  `RECORD_LIMIT` characters, or a cell past the csv module's field limit, is reported, not
  buffered. (That limit, 131,072 characters by default, is left alone: it is process-wide.)
  A record is one row, on as many lines as its quoted cells span.
- A row's line is the physical line its record starts on, 1-based, as an editor shows it.
- After a record that cannot be parsed (a quote never closed), reading starts again on the line
  after the one that record started on: a broken row costs that row, not the rest of the file.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from types import TracebackType
from typing import Self, TextIO

SAMPLE = 64 * 1024  # bytes the encoding and the delimiter are guessed from
CHUNK = 64 * 1024  # bytes read at a time
SNIFF = 8 * 1024  # characters of the sample the delimiter sniffer reads
RECORD_LIMIT = 1024 * 1024  # characters in one record: a runaway quote stops here
DELIMITERS = ",;\t|"

# The BOMs, longest first; UTF-32 is not read (no spreadsheet writes it).
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_LINE_END = re.compile(r"\r\n|\r|\n")
_SUSPECT = re.compile("[\x00\udc80-\udcff]")  # a NUL, or a byte that did not decode
_ONE_BYTE_A_CHAR = frozenset({"ascii", "iso8859-1", "cp1252"})


class BadHeader(ValueError):
    """A file whose header cannot be read: empty, unparsable, or naming a column twice."""


@dataclass(frozen=True, slots=True)
class Row:
    """A record read: its cells by column name, stripped, the empty ones left out."""

    line: int  # the physical line the record starts on, 1-based
    values: dict[str, str]


@dataclass(frozen=True, slots=True)
class RowError:
    """A record that could not be read, and why, in words a person can act on."""

    line: int
    reason: str


class _Closing:
    """`with X(...) as x:` closes x at the end, whatever happened."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class CsvFile(_Closing):
    """A CSV file opened for import: its encoding, delimiter and header, then its rows.

    The encoding and the delimiter are guessed from the first 64 KB unless given, so that a
    file from Excel, a CRM export or a European spreadsheet reads without options:

    >>> with CsvFile(Path("leads.csv")) as file:  # doctest: +SKIP
    ...     for item in file.rows():
    ...         ...
    """

    def __init__(
        self, path: Path, *, encoding: str | None = None, delimiter: str | None = None
    ) -> None:
        self.path = path
        self._binary: io.BufferedReader = path.open("rb")
        try:
            self.size = os.fstat(self._binary.fileno()).st_size
            sample = self._binary.read(SAMPLE)
            whole = len(sample) == self.size
            self.encoding = encoding or _sniff_encoding(sample, whole)
            self._text = _Text.of(self.encoding, sample)
            self.delimiter = delimiter or _sniff_delimiter(self._text.sample(sample, whole))
            self._lines = _Lines(self._binary, self._text, self._text.bom, 0)
            self.header_line, self.header = self._read_header()
            self._unnamed = [i for i, name in enumerate(self.header) if not name]
            self._body = (self._lines.offset, self._lines.line)  # where the rows start
        except BaseException:
            self._binary.close()
            raise

    @property
    def bytes_read(self) -> int:
        """How far into the file the rows read so far reach, in bytes: for a progress bar.

        It goes back after a record that could not be parsed, as reading starts again there.
        """
        return self._lines.offset

    def rows(self) -> Iterator[Row | RowError]:
        """Each record after the header, in order: a `Row`, or a `RowError` saying why not.

        Blank lines, and rows whose cells are all empty, are skipped. Each call starts again
        from the first row.
        """
        lines = _Lines(self._binary, self._text, *self._body)
        while True:
            self._lines = lines
            try:
                for cells in self._records(lines):
                    item = self._row(lines.start_line, cells, lines.suspect)
                    lines.mark()
                    if item is not None:
                        yield item
                return
            except (csv.Error, _RecordTooLong) as exc:
                error = RowError(lines.start_line, _unparsable(exc, lines))
                lines = _Lines(self._binary, self._text, lines.start_offset, error.line - 1)
                lines.skip_line()
                lines.mark()
                self._lines = lines
                yield error

    def close(self) -> None:
        self._binary.close()

    def _records(self, lines: _Lines) -> Iterator[list[str]]:
        # strict: an unclosed quote at the end of the file is an error, not a last row
        return csv.reader(lines, delimiter=self.delimiter, quotechar='"', strict=True)

    def _read_header(self) -> tuple[int, list[str]]:
        """The first record with a value, its line and its column names."""
        lines = self._lines
        try:
            for cells in self._records(lines):
                if any(cell.strip() for cell in cells):
                    break
                lines.mark()
            else:
                raise BadHeader("the file is empty: no header row")
        except (csv.Error, _RecordTooLong) as exc:
            problem = _unparsable(exc, lines, header=True)
            raise BadHeader(f"the header on line {lines.start_line}: {problem}") from None
        line = lines.start_line
        if lines.suspect and (bad := _bad_text(cells, [], self._text.label)):
            raise BadHeader(f"the header on line {line}: {bad}")
        lines.mark()
        return line, _names(cells)

    def _row(self, line: int, cells: list[str], suspect: bool) -> Row | RowError | None:
        cells = list(map(str.strip, cells))
        if not any(cells):
            return None
        if suspect and (problem := _bad_text(cells, self.header, self._text.label)):
            return RowError(line, problem)
        width = len(self.header)
        if len(cells) < width or (len(cells) > width and any(cells[width:])):
            count = f"{_count(len(cells), 'cell')}, but the header has {_count(width, 'column')}"
            return RowError(line, count)
        for i in self._unnamed:
            if cells[i]:
                return RowError(line, f"column {i + 1} has a value but no name in the header")
        named = zip(self.header, cells, strict=False)  # past the header, the cells are empty
        return Row(line, dict(filter(itemgetter(1), named)))


class ErrorReport(_Closing):
    """The rows an import could not read, as CSV: a ``line,reason`` header, then one per error.

    The file is created at the first error, so that a clean import leaves none behind. It is
    UTF-8 with a BOM, which Excel needs to show accented column names right.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        self._file: TextIO | None = None

    def write(self, error: RowError) -> None:
        if self._file is None:
            self._file = self.path.open(
                "w", encoding="utf-8-sig", errors="backslashreplace", newline=""
            )
            csv.writer(self._file).writerow(["line", "reason"])
        csv.writer(self._file).writerow([error.line, error.reason])
        self.count += 1

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


class _RecordTooLong(Exception):
    """A record past `RECORD_LIMIT`; `line` is the last line it reached."""

    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


@dataclass(frozen=True, slots=True)
class _Text:
    """How the bytes become text: the codec, what it does with a bad byte, the BOM to skip."""

    codec: str
    errors: str
    bom: int  # bytes
    label: str  # the encoding as a message names it

    @staticmethod
    def of(encoding: str, sample: bytes) -> _Text:
        name = codecs.lookup(encoding).name
        if name in ("utf-8", "utf-8-sig"):  # a BOM is never part of a column name
            bom = len(codecs.BOM_UTF8) if sample.startswith(codecs.BOM_UTF8) else 0
            return _Text("utf-8", "surrogateescape", bom, "UTF-8")
        if name == "utf-16":
            if sample.startswith(codecs.BOM_UTF16_BE):
                return _Text("utf-16-be", "replace", 2, "UTF-16")
            bom = 2 if sample.startswith(codecs.BOM_UTF16_LE) else 0
            return _Text("utf-16-le", "replace", bom, "UTF-16")
        if name.startswith(("utf-16", "utf-32")):  # surrogateescape cannot keep their bytes
            return _Text(name, "replace", 0, name)
        return _Text(name, "surrogateescape", 0, name)

    def sample(self, sample: bytes, whole: bool) -> str:
        """The complete lines of the sample, as text."""
        decoder = codecs.getincrementaldecoder(self.codec)("replace")
        text: str = decoder.decode(sample[self.bom :], final=whole)
        if whole:
            return text
        end = max(text.rfind("\n"), text.rfind("\r"))
        return text[: end + 1] if end >= 0 else text

    def width(self) -> Callable[[str], int]:
        """How many bytes a piece of decoded text took in the file."""
        if self.codec in _ONE_BYTE_A_CHAR:
            return len
        codec, errors = self.codec, self.errors
        return lambda text: len(text.encode(codec, errors))


class _Lines:
    """The physical lines of a file from a byte offset on, each with its line break.

    The csv reader pulls lines from it one at a time, and asks for none past the end of a
    record; so after each record the next line is where the next record starts, and `mark`
    notes its line and byte offset: what reading needs to start again after a broken record.
    """

    def __init__(self, binary: io.BufferedReader, text: _Text, offset: int, line: int) -> None:
        binary.seek(offset)
        self._binary = binary
        self._decoder = codecs.getincrementaldecoder(text.codec)(text.errors)
        self._width = text.width()
        self._pending = ""  # text decoded but not given out yet
        self.offset = offset  # bytes given out, counted from the start of the file
        self.line = line  # lines given out, counted from the start of the file
        self.mark()

    def mark(self) -> None:
        """A record starts at the next line."""
        self.start_line, self.start_offset = self.line + 1, self.offset
        self.suspect = False  # a line of this record has a NUL or a byte that did not decode
        self._chars = 0

    def __iter__(self) -> Iterator[str]:
        while True:
            more = self._read()
            text, held = self._pending, ""
            if more and text.endswith("\r"):  # its \n may come with the next chunk
                text, held = text[:-1], "\r"
            scan = _suspect(text)
            line = ""
            # splitlines also breaks at \v, \f, \x1c-\x1e, \x85, \u2028 and \u2029, which are
            # not line breaks in a CSV file: a piece ending with one is glued to the next
            for piece in text.splitlines(keepends=True):
                line += piece
                if piece[-1] in "\r\n":
                    yield self._give(line, scan)
                    line = ""
            self._pending = line + held
            if not more:
                if self._pending:
                    last, self._pending = self._pending, ""
                    yield self._give(last, scan)
                return
            if self._chars + len(self._pending) > RECORD_LIMIT:
                raise _RecordTooLong(self.line + 1)

    def skip_line(self) -> None:
        """Pass over the next line, however long, without keeping it."""
        more = True
        while True:
            end = _LINE_END.search(self._pending)
            if end and (end.end() < len(self._pending) or end.group() != "\r" or not more):
                self.offset += self._width(self._pending[: end.end()])
                self._pending = self._pending[end.end() :]
                break
            if not more:
                self.offset += self._width(self._pending)
                self._pending = ""
                break
            held = "\r" if self._pending.endswith("\r") else ""
            self.offset += self._width(self._pending[: len(self._pending) - len(held)])
            self._pending = held
            more = self._read()
        self.line += 1

    def _read(self) -> bool:
        """Decode the next chunk onto the pending text; False at the end of the file."""
        chunk = self._binary.read(CHUNK)
        self._pending += self._decoder.decode(chunk, final=not chunk)
        return bool(chunk)

    def _give(self, line: str, scan: bool) -> str:
        self.line += 1
        self.offset += self._width(line)
        self._chars += len(line)
        if self._chars > RECORD_LIMIT:
            raise _RecordTooLong(self.line)
        if scan and _SUSPECT.search(line):
            self.suspect = True
        return line


def _suspect(text: str) -> bool:
    """Whether the text may have a NUL or a byte that did not decode: quick on clean text."""
    if "\x00" in text:
        return True
    if text.isascii():
        return False
    try:
        text.encode("utf-8")  # the only characters it cannot encode are the surrogates
    except UnicodeEncodeError:
        return True
    return False


def _sniff_encoding(sample: bytes, whole: bool) -> str:
    """UTF-8 if the sample reads as it, else cp1252 (what Excel writes), else Latin-1.

    A BOM decides first. The sample may end inside a character: only the whole file's end
    counts as a cut. A UTF-8 file with a stray byte is still UTF-8 when its other non-ASCII
    text is valid UTF-8 and at least as common as the bad bytes: read as cp1252, every accent in it
    would be garbled ('ZoÃ«') and no row refused; read as UTF-8, only the row with the
    stray byte is refused.
    """
    for bom, name in _BOMS:
        if sample.startswith(bom):
            return name
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=whole)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    text = codecs.getincrementaldecoder("utf-8")("surrogateescape").decode(sample, final=whole)
    bad = sum(1 for c in text if "\udc80" <= c <= "\udcff")
    good = sum(1 for c in text if c >= "\u0080" and not "\udc80" <= c <= "\udcff")
    if good and bad <= good:  # Latin-1 text almost never holds a valid UTF-8 sequence
        return "utf-8"
    try:
        sample.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:  # one of the five bytes cp1252 leaves undefined
        return "latin-1"


def _sniff_delimiter(sample: str) -> str:
    """The delimiter the sample's lines agree on, else the one the header has most of.

    The sniffer needs a few consistent lines; a header with nothing under it has only itself.
    Either way the header must have the delimiter, unless the file is one column.
    """
    header = next((line for line in sample.splitlines() if line.strip()), "")
    end = max(sample.rfind("\n", 0, SNIFF), sample.rfind("\r", 0, SNIFF))
    try:  # the sniffer takes time quadratic in its sample: a few dozen lines show the pattern
        found = csv.Sniffer().sniff(sample[: end + 1] or sample, delimiters=DELIMITERS).delimiter
        if found in DELIMITERS and found in header:
            return found
    except csv.Error:
        pass
    best = max(DELIMITERS, key=header.count)  # a tie goes to the first: the comma
    return best if header.count(best) else ","


def _bad_text(cells: list[str], names: list[str], label: str) -> str | None:
    """The first NUL or undecodable byte in the cells, in words; None if there is none."""
    for i, cell in enumerate(cells):
        if found := _SUSPECT.search(cell):
            name = names[i] if i < len(names) else ""
            column = f"column {i + 1} ({name})" if name else f"column {i + 1}"
            if found.group() == "\x00":
                return f"a NUL byte in {column}"
            byte = ord(found.group()) - 0xDC00  # where surrogateescape keeps the byte
            return f"not valid {label}: byte 0x{byte:02X} in {column}"
    return None


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}" if n == 1 else f"{n} {thing}s"


def _names(cells: list[str]) -> list[str]:
    """The header's column names, stripped; the empty ones a trailing delimiter makes dropped."""
    names = [cell.strip() for cell in cells]
    while names and not names[-1]:
        names.pop()
    seen: set[str] = set()
    twice: set[str] = set()
    for name in filter(None, names):
        (twice if name in seen else seen).add(name)
    if twice:
        listed = ", ".join(f'"{name}"' for name in sorted(twice))
        raise BadHeader(f"the header names a column more than once: {listed}")
    return names


def _unparsable(exc: csv.Error | _RecordTooLong, lines: _Lines, header: bool = False) -> str:
    """Why a record could not be parsed, and which lines it swallowed."""
    start = lines.start_line
    last = exc.line if isinstance(exc, _RecordTooLong) else lines.line
    swallowed = f"lines {start}-{last} were read as one cell"
    if not header:
        swallowed += f"; the rows after it were read again from line {start + 1}"
    message = str(exc)
    if isinstance(exc, _RecordTooLong) or "field larger than field limit" in message:
        limit = RECORD_LIMIT if isinstance(exc, _RecordTooLong) else csv.field_size_limit()
        if last <= start:
            return f"a line or cell longer than {limit:,} characters"
        return f"a quote opened on this line is not closed within {limit:,} characters: {swallowed}"
    if "unexpected end of data" in message:
        if last <= start:
            return "a quote opened on this line is never closed"
        return f"a quote opened on this line is never closed: {swallowed}"
    if "expected after" in message:
        if last <= start:
            return "text after the closing quote of a cell"
        return f"a quote opened on this line closes on line {last}, before text: {swallowed}"
    return f"not valid CSV: {message}"
