"""A real ``vardterm`` server process for tests: a free port on 127.0.0.1, started and waited for until
``/health`` answers, stopped when the test is done."""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from scripts.bench import free_port, wait_for

VARDTERM = str(Path(sys.executable).parent / "vardterm")


def wait_for_answer(url: str, proc: subprocess.Popen, *, timeout: float, output: Path | None = None) -> None:
    """Return once ``url`` answers 200 (:func:`scripts.bench.wait_for`); fail the test with the process's output
    when it exits or ``timeout`` passes."""
    try:
        wait_for(url, proc, timeout=timeout, interval=0.1)
    except RuntimeError as exc:
        pytest.fail(f"{exc}: " + (output.read_text() if output else proc.stdout.read() if proc.stdout else ""))


@contextmanager
def vardterm_server(args: list[str], *, cwd: Path, log: Path | None = None, timeout: float = 60,
                    env: dict[str, str] | None = None):
    """Run ``vardterm <args> --port N`` in ``cwd`` and yield its base URL once ``/health`` answers (its
    ``status`` is ``empty`` before anything is loaded). Output goes to ``log`` when given (else a pipe); a
    server that exits or never answers fails with its output. ``env``: variables added to this process's."""
    port = free_port()
    out = open(log, "w") if log else subprocess.PIPE
    proc = subprocess.Popen([VARDTERM, *args, "--port", str(port)], cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                            text=True, env={**os.environ, **(env or {})})
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_answer(f"{base}/health", proc, timeout=timeout, output=log)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(30)  # several workers on a busy machine take a while to stop
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        if log:
            out.close()
