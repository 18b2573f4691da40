"""Every error the API answers with, mapped to HTTP in this one place, in one JSON shape.

    {"error": {"type": "conflict", "message": "a lead that is won cannot be contacted", ...}}

ServiceError (leadflow.service.errors)   NotFound 404, Conflict 409, Invalid 422, Forbidden 403;
                                         its detail (`status`, `field`, `problems`) is kept
RequestValidationError                   422 "validation", with `fields`: one entry per field,
                                         named by its dotted path in the body ("account.owner");
                                         415 when a JSON body came without its Content-Type
HTTPException (no key, wrong role, ...)  its status, typed by it ("unauthorized", "forbidden")
a body over `max_body_bytes`             413 "too_large", before any of it is parsed
anything else                            500 "internal", logged with its traceback
"""

from __future__ import annotations

import difflib
import json
import logging
from collections.abc import Sequence
from typing import Any, get_args

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leadflow.service.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError

log = logging.getLogger("leadflow.api")

SERVICE_ERRORS: dict[type[ServiceError], tuple[int, str]] = {
    NotFound: (404, "not_found"),
    Conflict: (409, "conflict"),
    Invalid: (422, "invalid"),
    Forbidden: (403, "forbidden"),
}
HTTP_TYPES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
}


def error_body(type_: str, message: str, **detail: Any) -> dict[str, Any]:
    return {"error": {"type": type_, "message": message, **detail}}


def install_error_handlers(app: FastAPI) -> None:
    """Register the mapping on `app`."""
    app.add_exception_handler(ServiceError, _service_error)  # type: ignore[arg-type]  # narrower
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]  # same
    app.add_exception_handler(Exception, _internal_error)


def _service_error(request: Request, error: ServiceError) -> JSONResponse:
    status, type_ = next(
        (mapped for kind, mapped in SERVICE_ERRORS.items() if isinstance(error, kind)),
        (500, "internal"),
    )
    log.info("api.refused status=%s type=%s path=%s", status, type_, request.url.path)
    return JSONResponse(error_body(type_, error.message, **error.detail), status_code=status)


def _validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
    media = _media_type(request)
    if not _is_json(media) and any(_whole_body_unread(p) for p in error.errors()):
        sent = f"it came as {media}" if media else "it came without a Content-Type"
        message = f"send Content-Type: application/json with a JSON body ({sent})"
        return JSONResponse(error_body("unsupported_media_type", message), status_code=415)
    body_model = _body_model(request)
    fields = [entry for problem in error.errors() for entry in _fields(problem, body_model)]
    names = ", ".join(dict.fromkeys(f["field"] for f in fields))
    body = error_body("validation", f"invalid request: {names}", fields=fields)
    return JSONResponse(body, status_code=422)


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def _is_json(media: str) -> bool:
    return media == "application/json" or media.endswith("+json")


def _whole_body_unread(problem: dict[str, Any]) -> bool:
    """A body that came but was not read as JSON: FastAPI hands its bytes to the model."""
    return tuple(problem.get("loc") or ()) == ("body",) and problem.get("type") != "missing"


def _body_model(request: Request) -> type[BaseModel] | None:
    """The model the route reads its JSON body into, if it has one."""
    body = getattr(request.scope.get("route"), "body_field", None)
    annotation = getattr(getattr(body, "field_info", None), "annotation", None)
    return _model_in(annotation)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model an annotation holds: itself, or inside Optional / list / Annotated."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next((m for a in get_args(annotation) if (m := _model_in(a)) is not None), None)


def unknown_field(model: type[BaseModel] | None, path: Sequence[Any]) -> str:
    """The message for a field the model does not have: the names it does have."""
    *parents, name = path
    for step in parents:
        if model is None or isinstance(step, int):
            continue
        info = model.model_fields.get(str(step))
        model = _model_in(info.annotation) if info is not None else None
    if model is None:
        return "not a field here"
    names = sorted(info.alias or key for key, info in model.model_fields.items())
    close = difflib.get_close_matches(str(name), names, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"not a field here: {hint}expected one of {', '.join(names)}"


def _fields(problem: dict[str, Any], model: type[BaseModel] | None = None) -> list[dict[str, Any]]:
    """One entry per field a problem names: most name one, a missing contact names two."""
    where, *path = problem.get("loc") or ("body",)
    if problem.get("type") == "extra_forbidden" and where == "body" and path and model:
        problem = {**problem, "msg": unknown_field(model, path)}
    names = (problem.get("ctx") or {}).get("fields")
    if problem.get("type") == "json_invalid":  # its path is a position in the text
        paths: Sequence[str] = [str(where)]
    elif names:
        paths = [".".join(str(p) for p in (*path, name)) for name in names]
    else:
        paths = [".".join(str(p) for p in path) or str(where)]
    extra = {} if where == "body" else {"in": where}
    return [{"field": p, "message": problem.get("msg", "invalid"), **extra} for p in paths]


def _http_error(request: Request, error: HTTPException) -> JSONResponse:
    type_ = HTTP_TYPES.get(error.status_code, "error")
    message = error.detail if isinstance(error.detail, str) else json.dumps(error.detail)
    return JSONResponse(
        error_body(type_, message), status_code=error.status_code, headers=error.headers
    )


def _internal_error(request: Request, error: Exception) -> JSONResponse:
    log.error("api.error path=%s error=%s", request.url.path, type(error).__name__, exc_info=error)
    return JSONResponse(error_body("internal", "internal error"), status_code=500)


class BodyLimit:
    """Refuse a request body over `limit` bytes with 413, whether it is announced or chunked.

    A `Content-Length` over the limit is refused at once. Otherwise the body is read here,
    counting every chunk, and handed on whole: the app never sees part of a body that is
    then refused, and a client that sends no length cannot slip past the limit.
    """

    def __init__(self, app: ASGIApp, limit: int, streamed: tuple[str, ...] = ()) -> None:
        self.app = app
        self.limit = limit
        self.streamed = streamed  # paths that stream their body to disk, with their own limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].endswith(self.streamed):
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            await self._refuse(send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: let the app see it
                await self.app(scope, _replay([message], receive), send)
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await self._refuse(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        whole: Message = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay([whole], receive), send)

    async def _refuse(self, send: Send) -> None:
        message = f"the request body is over the limit of {self.limit} bytes"
        body = json.dumps(error_body("too_large", message, limit=self.limit)).encode()
        log.info("api.refused status=413 limit=%s", self.limit)
        headers = [(b"content-type", b"application/json"), (b"connection", b"close")]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A `receive` that gives these messages first, then whatever the client sends next."""
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
