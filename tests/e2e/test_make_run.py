"""`make run` on another port: PORT (and HOST) reach the server and the links it prints."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
from serverproc import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_make_run_listens_on_the_port_it_is_given(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADFLOW_")}
    env["LEADFLOW_DATABASE_URL"] = f"sqlite:///{tmp_path / 'run.sqlite'}"
    log = tmp_path / "make-run.log"
    with log.open("w") as out:
        run = subprocess.Popen(
            ["make", "--no-print-directory", "run", f"PORT={port}"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 90
        answer = None
        while time.monotonic() < deadline and run.poll() is None:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.3)
        printed = log.read_text()
        assert answer is not None and answer.status_code == 200, printed
        assert f"http://127.0.0.1:{port}/login" in printed
        assert ":8000" not in printed
    finally:
        os.killpg(run.pid, signal.SIGTERM)
        run.wait(timeout=30)
