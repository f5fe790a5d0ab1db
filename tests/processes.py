"""Real servers in tests: a free loopback port, a process group of their own, a bounded wait.

A server such as ``mlflow server`` or ``mlflow models serve`` starts children (uvicorn
workers), so it runs in a new session and the whole group is stopped afterwards, also when
the test fails. The server's output goes to a log file that a failure quotes.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(log: Path, chars: int = 3000) -> str:
    return log.read_text(encoding="utf-8", errors="replace")[-chars:]


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def stop_group(process: subprocess.Popen, grace: float = 20.0) -> None:
    """SIGTERM the process's whole group; SIGKILL whatever is left after ``grace`` seconds."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        process.poll()  # reap the leader, or the group never looks empty
        if not _group_alive(process.pid):
            break
        time.sleep(0.2)
    else:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def wait_until_up(process: subprocess.Popen, url: str, log: Path, timeout: float) -> None:
    """Poll ``url`` until it answers 200; fail with the server's log if it exits or is late."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            pytest.fail(f"server exited with code {process.returncode}:\n{_tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"server did not answer {url} within {timeout:.0f} s:\n{_tail(log)}")
        time.sleep(0.5)


@contextmanager
def running_server(
    command: Sequence[str],
    ready_url: str,
    log: Path,
    env: Mapping[str, str],
    timeout: float = 120.0,
) -> Iterator[subprocess.Popen]:
    """Start ``command`` in its own process group, wait for ``ready_url``, stop the group after."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            list(command),
            env=dict(env),
            cwd=log.parent,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_until_up(process, ready_url, log, timeout)
            yield process
        finally:
            stop_group(process)
