"""A request body streamed to a temporary file: imports may be far larger than memory.

The import routes are exempt from the app's body limit (`BodyLimit` buffers a body whole);
here the body is written to disk chunk by chunk and refused with 413 past `limit` bytes.

The file comes as the body itself (`curl --data-binary @leads.csv`: text/csv, text/plain,
application/octet-stream, or curl's default form type) or as a multipart upload
(`curl -F file=@leads.csv`), whose first file part is the file, parsed as it streams. Any
other type (JSON, XML, ...) is a 415 that says how to send a file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import BinaryIO

from fastapi import HTTPException, Request
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from leadflow.imports.csvfile import BadHeader, CsvFile
from leadflow.service.errors import Invalid

UPLOAD_PATHS = ("/leads/import", "/accounts/import")  # streamed, not buffered by BodyLimit
RAW_TYPES = (
    "",
    "text/csv",
    "application/csv",
    "text/plain",
    "application/octet-stream",
    "application/vnd.ms-excel",  # what Windows browsers label a .csv
    "text/x-csv",
    "text/comma-separated-values",
    "text/tab-separated-values",
    "application/x-www-form-urlencoded",  # what curl --data-binary sends unless told
)
HOW = "send the CSV file as the body (curl --data-binary @leads.csv -H 'Content-Type: text/csv') "
HOW += "or as a multipart upload (curl -F file=@leads.csv)"


@asynccontextmanager
async def received_file(request: Request, limit: int) -> AsyncIterator[Path]:
    """The body in a temporary file, deleted afterwards; 413 past `limit`, 400 if empty."""
    media, options = parse_options_header(request.headers.get("content-type"))
    kind = media.decode("latin-1").lower()
    if kind != "multipart/form-data" and kind not in RAW_TYPES:
        raise HTTPException(415, f"a file cannot come as {kind}: {HOW}")
    handle, name = tempfile.mkstemp(prefix="leadflow-import-", suffix=".csv")
    path = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            if kind == "multipart/form-data":
                await _first_file_part(request, options.get(b"boundary"), out, limit)
            else:
                await _whole_body(request, out, limit)
        if path.stat().st_size == 0:
            empty = (
                "the file part is empty" if kind == "multipart/form-data" else "the body is empty"
            )
            raise HTTPException(400, f"{empty}: {HOW}")
        yield path
    finally:
        path.unlink(missing_ok=True)


async def _whole_body(request: Request, out: BinaryIO, limit: int) -> None:
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"the file is over the import limit of {limit} bytes")
        out.write(chunk)


async def _first_file_part(
    request: Request, boundary: bytes | None, out: BinaryIO, limit: int
) -> None:
    """The first part that carries a file name, written to `out` as the body streams."""
    if not boundary:
        raise HTTPException(400, f"a multipart body needs its boundary: {HOW}")
    part = _Part()
    parser = MultipartParser(boundary, callbacks=part.callbacks(out))  # type: ignore[arg-type]
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise HTTPException(413, f"the body is over the import limit of {limit} bytes")
            parser.write(chunk)
        parser.finalize()
    except MultipartParseError as exc:
        raise HTTPException(400, f"the multipart body cannot be read ({exc}): {HOW}") from None
    if not part.found:
        raise HTTPException(400, f"the multipart body has no file part: {HOW}")


class _Part:
    """The state of a streamed multipart body: which part is the file, and whether it ended."""

    def __init__(self) -> None:
        self.field = b""
        self.value = b""
        self.disposition = b""
        self.writing = False
        self.found = False

    def callbacks(self, out: BinaryIO) -> dict[str, object]:
        def begin() -> None:
            self.disposition = b""

        def header_field(data: bytes, start: int, end: int) -> None:
            self.field += data[start:end]

        def header_value(data: bytes, start: int, end: int) -> None:
            self.value += data[start:end]

        def header_end() -> None:
            if self.field.lower() == b"content-disposition":
                self.disposition = self.value
            self.field = self.value = b""

        def headers_finished() -> None:  # a file input left empty sends filename=""
            _, params = parse_options_header(self.disposition)
            named = params.get(b"filename") or params.get(b"filename*")
            self.writing = not self.found and bool(named)

        def data(data: bytes, start: int, end: int) -> None:
            if self.writing:
                out.write(data[start:end])

        def part_end() -> None:
            if self.writing:
                self.writing, self.found = False, True

        return {
            "on_part_begin": begin,
            "on_header_field": header_field,
            "on_header_value": header_value,
            "on_header_end": header_end,
            "on_headers_finished": headers_finished,
            "on_part_data": data,
            "on_part_end": part_end,
        }


def opened(path: Path) -> CsvFile:
    """The uploaded file as CSV; one that cannot be read at all (empty, no header, a column
    named twice) is a 422 saying why."""
    try:
        return CsvFile(path)
    except BadHeader as exc:
        raise Invalid(f"the file cannot be imported: {exc}", field="body") from None
