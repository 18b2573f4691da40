"""`leadflow serve` as a real process, for tests and the benchmark: start it, wait, kill it.

A `Server` runs `python -m leadflow.cli serve` on 127.0.0.1 and a free port with the given
`LEADFLOW_DATABASE_URL`, writes its output to a log file, and is ready when `/healthz` answers.
`kill()` is SIGKILL (a crash: nothing is flushed or closed); `stop()` asks politely first.

PostgreSQL is the machine's (`LEADFLOW_TEST_POSTGRES_URL`, default postgres@127.0.0.1:5432/test).
When it cannot be reached a test is skipped with the reason, except in CI (`CI` set), where it
fails: no test may be skipped in CI for a missing component.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from databases import POSTGRES_URL, require_postgres, reset_postgres

HOST = "127.0.0.1"
KEY = re.compile(r"\blf_[0-9a-f]+_[A-Za-z0-9_-]+")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def environment(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADFLOW_")}
    env.update(LEADFLOW_DATABASE_URL=database_url, **extra)
    return env


def leadflow(database_url: str, *args: str, cwd: Path | None = None) -> str:
    """Run a `leadflow` command on that database; its standard output (it must succeed)."""
    done = subprocess.run(
        [sys.executable, "-m", "leadflow.cli", *args],
        env=environment(database_url),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"leadflow {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def create_key(database_url: str, role: str = "admin") -> str:
    """`leadflow apikey create --role ROLE`: the key it prints."""
    out = leadflow(database_url, "apikey", "create", "--role", role, "--name", f"tests-{role}")
    found = KEY.search(out)
    if found is None:
        raise RuntimeError(f"no key in the output of `leadflow apikey create`:\n{out}")
    return found.group(0)


class Server:
    """One `leadflow serve` process."""

    def __init__(
        self,
        database_url: str,
        log: Path,
        *,
        port: int | None = None,
        module: tuple[str, ...] = ("leadflow.cli", "serve"),
        env: dict[str, str] | None = None,
    ) -> None:
        self.database_url = database_url
        self.port = port or free_port()
        self.log = log
        self.module = module  # what runs as `python -m ...`, before --host and --port
        self.env = environment(database_url, **(env or {}))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, timeout: float = 60.0) -> Server:
        command = [sys.executable, "-m", *self.module, "--host", HOST, "--port", str(self.port)]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                command, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        assert self.process is not None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"leadflow serve exited ({self.process.returncode}):\n{self.tail()}"
                )
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"leadflow serve did not answer /healthz in {timeout}s:\n{self.tail()}")

    def kill(self) -> None:
        """SIGKILL: the process dies at once, mid-request, as in a crash."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not exit within 15 s."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def tail(self, lines: int = 40) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@contextmanager
def serving(database_url: str, log: Path, **env: str) -> Iterator[Server]:
    """A started server, stopped (or killed) when the block ends, whatever happens in it."""
    server = Server(database_url, log, env=env)
    try:
        yield server.start()
    finally:
        server.stop()


def fresh_database(kind: str, directory: Path) -> str:
    """An empty database of that kind (`sqlite` or `postgresql`), migrated by `db upgrade`."""
    if kind == "sqlite":
        url = f"sqlite:///{directory / 'leadflow.sqlite'}"
    else:
        require_postgres()
        reset_postgres()
        url = POSTGRES_URL
    leadflow(url, "db", "upgrade")
    return url


def publish(server: Server, token: str, text: str) -> None:
    """`PUT /api/v1/policy` with the YAML as the body; it must be published."""
    answer = httpx.put(
        f"{server.url}/api/v1/policy",
        content=text.encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "text/yaml"},
        timeout=30,
    )
    if answer.status_code not in (200, 201):
        raise RuntimeError(f"the policy was not published: {answer.status_code} {answer.text}")
