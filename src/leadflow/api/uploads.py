"""A request body streamed to a temporary file: imports may be far larger than memory.

The import routes are exempt from the app's body limit (`BodyLimit` buffers a body whole);
here the body is written to disk chunk by chunk and refused with 413 past `limit` bytes.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import HTTPException, Request

from leadflow.imports.csvfile import BadHeader, CsvFile
from leadflow.service.errors import Invalid

UPLOAD_PATHS = ("/leads/import", "/accounts/import")  # streamed, not buffered by BodyLimit


@asynccontextmanager
async def received_file(request: Request, limit: int) -> AsyncIterator[Path]:
    """The body in a temporary file, deleted afterwards; 413 past `limit`, 400 if empty."""
    handle, name = tempfile.mkstemp(prefix="leadflow-import-", suffix=".csv")
    path = Path(name)
    try:
        size = 0
        with os.fdopen(handle, "wb") as out:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise HTTPException(413, f"the file is over the import limit of {limit} bytes")
                out.write(chunk)
        if size == 0:
            raise HTTPException(400, "the body is empty: send the CSV file as the request body")
        yield path
    finally:
        path.unlink(missing_ok=True)


def opened(path: Path) -> CsvFile:
    """The uploaded file as CSV; one that cannot be read at all (empty, no header, a column
    named twice) is a 422 saying why."""
    try:
        return CsvFile(path)
    except BadHeader as exc:
        raise Invalid(f"the file cannot be imported: {exc}", field="body") from None
