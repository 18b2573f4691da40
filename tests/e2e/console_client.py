"""Helpers of the console's browser tests for what a browser does not need to do: a page
fetched by a plain HTTP client signed in through the form, and waiting for the worker."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import httpx
from browser import PASSWORD, Console

T = TypeVar("T")


def signed_in_client(console: Console, email: str) -> httpx.Client:
    """An HTTP client with a session of `email`: close it when done."""
    client = httpx.Client(base_url=console.url, follow_redirects=False, timeout=30)
    client.get("/login")
    form = {"email": email, "password": PASSWORD, "csrf_token": client.cookies["lf_login_csrf"]}
    answer = client.post("/login", data=form)
    assert answer.status_code == 303, f"{email} could not sign in: {answer.status_code}"
    return client


def status_of(console: Console, email: str, path: str) -> int:
    """The status a GET of `path` answers to `email`."""
    client = signed_in_client(console, email)
    try:
        return client.get(path).status_code
    finally:
        client.close()


def wait_for(check: Callable[[], T], seconds: float = 15.0) -> T:
    """Poll `check` until it answers something true: the worker acts on its own time."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"not true within {seconds} s")
