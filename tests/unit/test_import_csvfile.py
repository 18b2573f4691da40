from __future__ import annotations

import csv
import io
import tempfile
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadflow.imports import csvfile
from leadflow.imports.csvfile import BadHeader, CsvFile, ErrorReport, Row, RowError

HEADER = b"email,first_name,last_name,city\n"


def write(folder: Path, data: bytes, name: str = "leads.csv") -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def read(path: Path, **options: str) -> list[Row | RowError]:
    with CsvFile(path, **options) as file:
        return list(file.rows())


def lines_read(items: list[Row | RowError]) -> list[int]:
    return [item.line for item in items if isinstance(item, Row)]


def errors(items: list[Row | RowError]) -> list[RowError]:
    return [item for item in items if isinstance(item, RowError)]


def big_file(path: Path, rows: int) -> Path:
    def lines() -> Iterator[str]:
        yield "email,first_name,last_name,company,city,phone,notes\n"
        for i in range(rows):
            yield (
                f"lead{i}@harbor-freight.example,Ingrid,Okafor-{i},Harbor & Sons {i % 97},"
                f'Valparaíso,+56 9 {i:08d},"asked for a demo, twice"\n'
            )

    with path.open("w", encoding="utf-8", newline="") as file:
        file.writelines(lines())
    return path


@pytest.fixture(scope="module")
def hundred_thousand(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return big_file(tmp_path_factory.mktemp("big") / "leads.csv", 100_000)


# The encoding and the delimiter


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_each_usual_delimiter_is_sniffed(tmp_path: Path, delimiter: str) -> None:
    lines = [["email", "city", "score"], ["kai@tidewater.example", "Tromsø", "41"]]
    lines += [["noor@quillfield.example", "Accra", "7"]]
    data = "".join(delimiter.join(line) + "\n" for line in lines).encode()
    with CsvFile(write(tmp_path, data)) as file:
        assert file.delimiter == delimiter


def test_a_header_alone_still_gives_its_delimiter(tmp_path: Path) -> None:
    with CsvFile(write(tmp_path, b"email;city;score\n")) as file:
        assert file.delimiter == ";"


def test_a_delimiter_given_wins_over_the_sniffed_one(tmp_path: Path) -> None:
    path = write(tmp_path, b"email;city\nmo@lindqvist.example;Lund, Sweden\n")
    with CsvFile(path, delimiter=",") as file:
        assert file.header == ["email;city"]


def test_an_encoding_given_wins_over_the_sniffed_one(tmp_path: Path) -> None:
    data = "email,city\nzoe@fenwick.example,Kraków\n".encode()
    assert read(write(tmp_path, data), encoding="latin-1")[0] == Row(
        2, {"email": "zoe@fenwick.example", "city": "KrakÃ³w"}
    )


def test_a_utf8_bom_is_not_part_of_the_first_column_name(tmp_path: Path) -> None:
    with CsvFile(write(tmp_path, b"\xef\xbb\xbf" + HEADER)) as file:
        assert (file.encoding, file.header[0]) == ("utf-8-sig", "email")


def test_a_file_excel_wrote_in_cp1252_reads_its_accents(tmp_path: Path) -> None:
    data = "email,last_name,company\nlea@x.example,Müller,Société Générale\n".encode("cp1252")
    with CsvFile(write(tmp_path, data)) as file:
        assert file.encoding == "cp1252"
        assert list(file.rows()) == [
            Row(2, {"email": "lea@x.example", "last_name": "Müller", "company": "Société Générale"})
        ]


def test_a_utf16_file_with_a_bom_is_read(tmp_path: Path) -> None:
    data = "email,city\r\nzoe@fenwick.example,Kraków\r\n".encode("utf-16")
    assert read(write(tmp_path, data)) == [
        Row(2, {"email": "zoe@fenwick.example", "city": "Kraków"})
    ]


def test_a_bad_utf8_byte_costs_only_its_row(tmp_path: Path) -> None:
    data = HEADER + b"a@x.example,Ana,Lima,Porto\n"
    data += b"b@x.example,Ren\xe9,Dubois,Lyon\n" + b"c@x.example,Oli,Berg,Oslo\n"
    items = read(write(tmp_path, data), encoding="utf-8")
    assert (lines_read(items), [e.line for e in errors(items)]) == ([2, 4], [3])


def test_a_bad_utf8_byte_is_named_with_its_column(tmp_path: Path) -> None:
    data = HEADER + b"b@x.example,Ren\xe9,Dubois,Lyon\n"
    assert read(write(tmp_path, data), encoding="utf-8") == [
        RowError(2, "not valid UTF-8: byte 0xE9 in column 2 (first_name)")
    ]


def test_a_nul_byte_costs_only_its_row(tmp_path: Path) -> None:
    data = HEADER + b"a@x.example,Ana,Li\x00ma,Porto\nc@x.example,Oli,Berg,Oslo\n"
    items = read(write(tmp_path, data))
    assert items[0] == RowError(2, "a NUL byte in column 3 (last_name)")
    assert lines_read(items) == [3]


# Rows


def test_cells_are_stripped_and_empty_ones_left_out(tmp_path: Path) -> None:
    data = HEADER + b"  ivo@x.example , Ivo,  ,\n"
    assert read(write(tmp_path, data)) == [Row(2, {"email": "ivo@x.example", "first_name": "Ivo"})]


def test_blank_lines_and_rows_of_empty_cells_are_skipped(tmp_path: Path) -> None:
    data = b"\n" + HEADER + b"\n , ,,\na@x.example,Ana,Lima,Porto\n\n"
    assert lines_read(read(write(tmp_path, data))) == [5]


def test_a_row_with_too_many_cells_is_reported_and_the_rest_read(tmp_path: Path) -> None:
    data = HEADER + b"a@x.example,Ana,Lima,Porto,extra\nc@x.example,Oli,Berg,Oslo\n"
    items = read(write(tmp_path, data))
    assert items[0] == RowError(2, "5 cells, but the header has 4 columns")
    assert lines_read(items) == [3]


def test_a_row_with_too_few_cells_is_reported_and_the_rest_read(tmp_path: Path) -> None:
    data = HEADER + b"a@x.example,Ana,Lima\nc@x.example,Oli,Berg,Oslo\n"
    items = read(write(tmp_path, data))
    assert items[0] == RowError(2, "3 cells, but the header has 4 columns")
    assert lines_read(items) == [3]


def test_a_trailing_empty_cell_on_every_line_is_accepted(tmp_path: Path) -> None:
    data = b"email,first_name,\na@x.example,Ana,\n"
    assert read(write(tmp_path, data)) == [Row(2, {"email": "a@x.example", "first_name": "Ana"})]


def test_a_value_under_a_column_without_a_name_is_reported(tmp_path: Path) -> None:
    data = b"email,,city\na@x.example,,Porto\nb@x.example,?,Lyon\n"
    items = read(write(tmp_path, data))
    assert items[1] == RowError(3, "column 2 has a value but no name in the header")


def test_a_quoted_newline_keeps_the_line_numbers_of_later_rows(tmp_path: Path) -> None:
    data = HEADER + b'a@x.example,Ana,"Lima\nda Silva",Porto\nc@x.example,Oli,Berg,Oslo\n'
    assert lines_read(read(write(tmp_path, data))) == [2, 4]


def test_lines_ending_in_a_lone_carriage_return_are_lines(tmp_path: Path) -> None:
    data = HEADER.replace(b"\n", b"\r") + b"a@x.example,Ana,Lima,Porto\rc@x.example,Oli,Berg,Oslo"
    assert lines_read(read(write(tmp_path, data))) == [2, 3]


# A quote never closed


def unclosed_on_line_3() -> bytes:
    return (
        HEADER
        + b"a@x.example,Ana,Lima,Porto\n"
        + b'b@x.example,"Rene,Dubois,Lyon\n'
        + b"c@x.example,Oli,Berg,Oslo\nd@x.example,Uma,Roy,Pune\ne@x.example,Tao,Wu,Xi'an\n"
    )


def test_rows_after_a_quote_never_closed_are_read_again(tmp_path: Path) -> None:
    assert lines_read(read(write(tmp_path, unclosed_on_line_3()))) == [2, 4, 5, 6]


def test_a_quote_never_closed_is_reported_at_the_line_it_opens_on(tmp_path: Path) -> None:
    assert errors(read(write(tmp_path, unclosed_on_line_3()))) == [
        RowError(
            3,
            "a quote opened on this line is never closed: lines 3-6 were read as one cell; "
            "the rows after it were read again from line 4",
        )
    ]


def test_a_quote_never_closed_in_a_large_file_stops_at_the_cell_limit_not_the_end(
    tmp_path: Path,
) -> None:
    data = HEADER + b'b@x.example,"Rene,Dubois,Lyon\n' + b"c@x.example,Oli,Berg,Oslo\n" * 200_000
    with CsvFile(write(tmp_path, data)) as file:
        first = next(file.rows())
    assert first.line == 2
    assert isinstance(first, RowError) and "is not closed within" in first.reason


def test_a_quote_never_closed_on_the_last_line_is_reported(tmp_path: Path) -> None:
    data = HEADER + b'a@x.example,Ana,Lima,"Porto\n'
    assert read(write(tmp_path, data)) == [
        RowError(2, "a quote opened on this line is never closed")
    ]


def test_a_line_past_the_record_limit_costs_only_that_line(tmp_path: Path) -> None:
    data = HEADER + b"a,b,c,d," * 200_000 + b"\nc@x.example,Oli,Berg,Oslo\n"
    items = read(write(tmp_path, data))
    assert [type(item) for item in items] == [RowError, Row]
    assert lines_read(items) == [3]


def test_text_after_a_closing_quote_costs_only_its_row(tmp_path: Path) -> None:
    data = HEADER + b'a@x.example,"Ana"x,Lima,Porto\nc@x.example,Oli,Berg,Oslo\n'
    items = read(write(tmp_path, data))
    assert items[0] == RowError(2, "text after the closing quote of a cell")
    assert lines_read(items) == [3]


# The header


def test_an_empty_file_has_no_header(tmp_path: Path) -> None:
    with pytest.raises(BadHeader, match="the file is empty"):
        CsvFile(write(tmp_path, b""))


def test_a_file_of_blank_lines_has_no_header(tmp_path: Path) -> None:
    with pytest.raises(BadHeader, match="the file is empty"):
        CsvFile(write(tmp_path, b"\n  \r\n\n"))


def test_a_header_only_file_has_no_rows(tmp_path: Path) -> None:
    assert read(write(tmp_path, HEADER)) == []


def test_the_header_line_is_where_the_header_is(tmp_path: Path) -> None:
    with CsvFile(write(tmp_path, b"\n\n" + HEADER)) as file:
        assert file.header_line == 3


def test_a_column_named_twice_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(BadHeader, match='"email"'):
        CsvFile(write(tmp_path, b"email,city,Email, email \n"))


def test_a_quote_never_closed_in_the_header_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadHeader, match="the header on line 1: a quote opened"):
        CsvFile(write(tmp_path, b'email,"city\na@x.example,Porto\n'))


def test_a_nul_byte_in_the_header_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadHeader, match="a NUL byte in column 1"):
        CsvFile(write(tmp_path, "email,city\n".encode("utf-16-le")))


def test_the_trailing_empty_names_of_a_header_are_dropped(tmp_path: Path) -> None:
    with CsvFile(write(tmp_path, b"email,city,,\n")) as file:
        assert file.header == ["email", "city"]


# Size and progress


def test_bytes_read_reaches_the_file_size_at_the_end(tmp_path: Path) -> None:
    with CsvFile(write(tmp_path, b"\xef\xbb\xbf" + unclosed_on_line_3())) as file:
        list(file.rows())
        assert file.bytes_read == file.size


def test_bytes_read_grows_as_rows_are_read(hundred_thousand: Path) -> None:
    with CsvFile(hundred_thousand) as file:
        rows = file.rows()
        next(rows)
        early = file.bytes_read
        for _ in range(50_000):
            next(rows)
        assert 0 < early < file.bytes_read < file.size


def test_a_hundred_thousand_rows_are_all_read(hundred_thousand: Path) -> None:
    with CsvFile(hundred_thousand) as file:
        assert sum(isinstance(item, Row) for item in file.rows()) == 100_000


def test_a_large_file_streams_in_bounded_memory(hundred_thousand: Path) -> None:
    tracemalloc.start()
    try:
        with CsvFile(hundred_thousand) as file:
            for _ in file.rows():
                pass
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert hundred_thousand.stat().st_size > 10_000_000 and peak < 2_000_000


def test_closing_the_file_closes_it(tmp_path: Path) -> None:
    with CsvFile(write(tmp_path, HEADER)) as file:
        pass
    with pytest.raises(ValueError, match="closed"):
        list(file.rows())


# The error report


def test_an_error_report_without_errors_leaves_no_file(tmp_path: Path) -> None:
    with ErrorReport(tmp_path / "leads.csv.errors.csv"):
        pass
    assert list(tmp_path.iterdir()) == []


def test_an_error_report_writes_a_line_and_reason_per_error(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv.errors.csv"
    with ErrorReport(path) as report:
        report.write(RowError(3, "3 cells, but the header has 4 columns"))
        report.write(RowError(9, "column 2 has a value but no name in the header"))
    assert path.read_text(encoding="utf-8-sig").splitlines() == [
        "line,reason",
        '3,"3 cells, but the header has 4 columns"',
        "9,column 2 has a value but no name in the header",
    ]


def test_an_error_report_counts_its_errors(tmp_path: Path) -> None:
    with ErrorReport(tmp_path / "leads.csv.errors.csv") as report:
        report.write(RowError(3, "3 cells, but the header has 4 columns"))
        report.write(RowError(9, "column 2 has a value but no name in the header"))
    assert report.count == 2


# Where the chunks end


CELLS = st.text(st.sampled_from('ab é,;"\n\x0b\x85\u2028'), max_size=6)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(CELLS, min_size=3, max_size=3), max_size=8),
    st.sampled_from(["\n", "\r\n"]),
    st.integers(1, 9),
)
def test_rows_written_by_a_csv_writer_read_back_wherever_chunks_end(
    records: list[list[str]], terminator: str, chunk: int
) -> None:
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator=terminator)
    writer.writerow(["email", "note", "city"])
    expected, line = [], 2
    for cells in records:
        writer.writerow(cells)
        if any(cell.strip() for cell in cells):
            named = zip(["email", "note", "city"], cells, strict=True)
            values = {name: cell.strip() for name, cell in named if cell.strip()}
            expected.append(Row(line, values))
        line += "".join(cells).count("\n") + 1
    with tempfile.TemporaryDirectory() as folder, patch.object(csvfile, "CHUNK", chunk):
        path = write(Path(folder), text.getvalue().encode())
        assert read(path, delimiter=",", encoding="utf-8") == expected


@pytest.mark.parametrize("chunk", range(1, 12))
def test_rows_after_a_quote_never_closed_are_read_again_wherever_chunks_end(
    tmp_path: Path, chunk: int
) -> None:
    data = unclosed_on_line_3().replace(b"\n", b"\r\n").replace(b"Rene", "Ren\u00e9".encode())
    with patch.object(csvfile, "CHUNK", chunk):
        assert lines_read(read(write(tmp_path, data), delimiter=",")) == [2, 4, 5, 6]


def test_a_small_utf8_file_with_one_stray_byte_is_still_read_as_utf8(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes("email,name\na@x.example,Zoë\n".encode() + b"b@x.example,Zo\xff\n")
    with CsvFile(path) as file:
        rows = list(file.rows())
    assert file.encoding == "utf-8"
    assert isinstance(rows[0], Row) and rows[0].values["name"] == "Zoë"
    assert isinstance(rows[1], RowError) and rows[1].line == 3
