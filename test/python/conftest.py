"""Prism mocks of the two specs for the generated Python clients' tests.

Each mock is started once per test session on a free 127.0.0.1 port, waited for until it
answers HTTP, and killed (with its whole process group: npx starts node children) at the end.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parents[2]
STARTUP_DEADLINE_S = float(os.environ.get("PRISM_STARTUP_TIMEOUT", "90"))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1):
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP answer means Prism is serving
    except OSError:
        return False


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def _prism(spec: str, probe_path: str) -> Iterator[str]:
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            ["npx", "--no-install", "prism", "mock", "--host", "127.0.0.1", "--port", str(port),
             str(ROOT / "generated" / "openapi" / spec)],
            cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + STARTUP_DEADLINE_S
            while not _answers(base_url + probe_path):
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    output = log.read().decode(errors="replace")[-3000:]
                    pytest.fail(f"Prism mock of {spec} did not start on {base_url}:\n{output}")
                time.sleep(0.1)
            yield base_url
        finally:
            _stop(proc)


@pytest.fixture(scope="session")
def agentkit_mock_url() -> Iterator[str]:
    yield from _prism("agentkit.yaml", "/healthz")


@pytest.fixture(scope="session")
def opscore_mock_url() -> Iterator[str]:
    yield from _prism("opscore.yaml", "/health")
