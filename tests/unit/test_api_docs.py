"""docs/api.md covers every route of the OpenAPI document, and its examples are the code's.

The page's convention (stated at its top): a route's section is a heading that names it in
backticks, `METHOD /path` with the path as the OpenAPI document writes it. The section shows a
curl of the route in an `sh` block, then each answer as a line `→ STATUS` (the status in
backticks) followed by a `json` (or `text`) block. These tests hold the page to that, and hold
each answer to the route: a status it does not give, a field its response model does not have,
or a value of the wrong type fails here, so the page cannot drift from the code unseen.
"""

from __future__ import annotations

import json
import re
import shlex
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import RouteContext, iter_route_contexts
from pydantic import BaseModel, TypeAdapter

from leadflow.api.app import create_app
from leadflow.api.errors import HTTP_TYPES, SERVICE_ERRORS
from leadflow.settings import Settings

API_MD = Path(__file__).resolve().parents[2] / "docs" / "api.md"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
NAMED = re.compile(rf"`({'|'.join(METHODS)}) (/[^`\s?]*)`")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.M | re.S)
ANSWER = re.compile(r"^→ `(\d{3})[^`]*`[^\n]*\n+```(json|text)\n(.*?)^```$", re.M | re.S)
ERROR_TYPES = {status: {kind} for status, kind in HTTP_TYPES.items()}
for _status, _kind in SERVICE_ERRORS.values():
    ERROR_TYPES.setdefault(_status, set()).add(_kind)
ERROR_TYPES[422] |= {"validation"}


@dataclass(frozen=True)
class Section:
    heading: str
    routes: tuple[tuple[str, str], ...]
    body: str


@dataclass(frozen=True)
class Example:
    method: str
    path: str  # as sent, without the query
    answers: tuple[tuple[int, str, str], ...]  # status, fence kind, body


@pytest.fixture(scope="module")
def app() -> FastAPI:
    """The app, never started: its routes and OpenAPI document need no database."""
    return create_app(Settings(database_url="sqlite://"))


@pytest.fixture(scope="module")
def operations(app: FastAPI) -> set[tuple[str, str]]:
    paths = app.openapi()["paths"]
    return {(method.upper(), path) for path, ops in paths.items() for method in ops}


@pytest.fixture(scope="module")
def sections() -> list[Section]:
    """Every heading of docs/api.md with the text up to the next heading."""
    text = API_MD.read_text()
    headings = list(re.finditer(r"^#+ .*$", text, re.M))
    found = []
    for i, match in enumerate(headings):
        end = headings[i + 1].start() if i + 1 < len(headings) else len(text)
        routes = tuple(NAMED.findall(match.group(0)))
        found.append(Section(match.group(0), routes, text[match.end() : end]))
    return found


def route_sections(sections: list[Section]) -> dict[tuple[str, str], Section]:
    return {route: s for s in sections for route in s.routes}


def examples(section: Section) -> list[Example]:
    """Each curl of the section, with the answers shown after it (before the next curl)."""
    found: list[Example] = []
    blocks = [(m.start(), m.group(1), m.group(2)) for m in FENCE.finditer(section.body)]
    answers = [
        (m.start(), int(m.group(1)), m.group(2), m.group(3)) for m in ANSWER.finditer(section.body)
    ]
    curls = [(at, body) for at, kind, body in blocks if kind == "sh" and "curl " in body]
    for i, (at, body) in enumerate(curls):
        until = curls[i + 1][0] if i + 1 < len(curls) else len(section.body)
        method, path = curl_target(body)
        shown = tuple((s, k, b) for a, s, k, b in answers if at < a < until)
        found.append(Example(method, path, shown))
    return found


def curl_target(command: str) -> tuple[str, str]:
    """The method and path a curl command sends (`$URL` is the server)."""
    words = shlex.split(command.replace("\\\n", " "), comments=False)
    method = None
    data = False
    path = None
    for i, word in enumerate(words):
        if word == "-X":
            method = words[i + 1]
        elif word.startswith(("-d", "--data")):
            data = True
        elif word.startswith("$URL/"):
            path = word.removeprefix("$URL").split("?")[0]
    assert path is not None, f"no $URL in: {command}"
    return method or ("POST" if data else "GET"), path


def matches(template: str, path: str) -> bool:
    pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
    return re.fullmatch(pattern, path) is not None


def served(app: FastAPI) -> list[RouteContext]:
    """Every route the app serves, as mounted (its full path), pages and health included."""
    return [r for r in iter_route_contexts(app.routes) if r.methods and r.path]


def route_of(app: FastAPI, method: str, path: str) -> RouteContext:
    """The route that serves `method path`: a literal path before a templated one."""
    candidates = [r for r in served(app) if method in (r.methods or ()) and matches(r.path, path)]
    assert candidates, f"no route serves {method} {path}"
    return min(candidates, key=lambda r: r.path.count("{"))


def unknown_keys(annotation: Any, value: Any, where: str = "") -> list[str]:
    """Keys of `value` that the model it is answered as does not have, by their path."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        return [] if value is None or len(options) != 1 else unknown_keys(options[0], value, where)
    if origin is list and isinstance(value, list):
        (item,) = typing.get_args(annotation)
        return [k for i, v in enumerate(value) for k in unknown_keys(item, v, f"{where}[{i}]")]
    if (
        isinstance(annotation, type)
        and issubclass(annotation, BaseModel)
        and isinstance(value, dict)
    ):
        fields = annotation.model_fields
        out = [f"{where}.{k}".lstrip(".") for k in value if k not in fields]
        for name, field in fields.items():
            if name in value:
                out += unknown_keys(field.annotation, value[name], f"{where}.{name}")
        return out
    return []


def test_every_route_of_the_openapi_document_has_a_section_in_api_md(
    operations: set[tuple[str, str]], sections: list[Section]
) -> None:
    documented = set(route_sections(sections))
    missing = sorted(f"{m} {p}" for m, p in operations - documented)
    assert not missing, (
        "no section (a heading with `METHOD /path`) in docs/api.md for:\n" + "\n".join(missing)
    )


def test_every_route_api_md_names_in_a_heading_is_served(
    app: FastAPI, sections: list[Section]
) -> None:
    routes = {(method, r.path) for r in served(app) for method in r.methods or ()}
    stale = sorted(f"{m} {p}" for m, p in set(route_sections(sections)) - routes)
    assert not stale, "docs/api.md names routes the app does not serve:\n" + "\n".join(stale)


def test_every_route_section_shows_a_curl_of_it_and_an_answer(
    operations: set[tuple[str, str]], sections: list[Section]
) -> None:
    lacking = []
    for (method, path), section in sorted(route_sections(sections).items()):
        if (method, path) not in operations:
            continue  # pages for people (the action links), not the API
        shown = [e for e in examples(section) if e.method == method and matches(path, e.path)]
        if not any(e.answers for e in shown):
            lacking.append(f"{method} {path}")
    assert not lacking, "no curl of the route and its answer in the section of:\n" + "\n".join(
        lacking
    )


def test_every_answer_shown_is_a_status_the_route_declares(
    app: FastAPI, sections: list[Section]
) -> None:
    wrong = []
    paths = app.openapi()["paths"]
    for section in sections:
        for example in examples(section):
            route = route_of(app, example.method, example.path)
            declared = paths.get(route.path, {}).get(example.method.lower(), {}).get("responses")
            for status, _, _ in example.answers:
                if declared is not None and 200 <= status < 300 and str(status) not in declared:
                    wrong.append(
                        f"{example.method} {example.path}: {status} not in {sorted(declared)}"
                    )
    assert not wrong, "\n".join(wrong)


def test_every_json_success_answer_is_what_the_route_answers(
    app: FastAPI, sections: list[Section]
) -> None:
    """Valid for the route's response model, with no field the model does not have."""
    wrong = []
    for section in sections:
        for example in examples(section):
            route = route_of(app, example.method, example.path)
            for status, kind, body in example.answers:
                if kind != "json" or not 200 <= status < 300:
                    continue
                value = json.loads(body)
                model = getattr(route, "response_model", None)
                if model is None:
                    continue
                try:
                    TypeAdapter(model).validate_python(value)
                except ValueError as error:
                    wrong.append(f"{example.method} {example.path}: {error}")
                unknown = unknown_keys(model, value)
                if unknown:
                    wrong.append(f"{example.method} {example.path}: unknown {unknown}")
    assert not wrong, "\n".join(wrong)


def test_every_json_error_answer_has_the_api_error_shape_and_type(sections: list[Section]) -> None:
    wrong = []
    for section in sections:
        for example in examples(section):
            for status, kind, body in example.answers:
                if kind != "json" or status < 400:
                    continue
                error = json.loads(body).get("error", {})
                if not error.get("message") or error.get("type") not in ERROR_TYPES.get(status, ()):
                    wrong.append(f"{example.method} {example.path} {status}: {body[:80]}")
    assert not wrong, "\n".join(wrong)


def test_the_page_states_its_convention() -> None:
    assert "`METHOD /path`" in API_MD.read_text().split("\n## ", 1)[0]
