"""``bench run --serve``: start ``crossroads serve`` for the run and load-test models through it."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from crossroads.lab.bench.errors import BenchError
from crossroads.procs import stop_process

READY_TIMEOUT = 120.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def gateway(config_path: str | None) -> Iterator[str]:
    """Yield the base URL of a gateway subprocess once ``/ready`` answers 200; stop it after."""
    port = _free_port()
    args = [sys.executable, "-m", "crossroads", "serve", "--port", str(port), "--log-level", "warning"]
    args += ["--config", config_path] if config_path else []
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_ready(base + "/ready", proc, log)
            yield base
        finally:
            stop_process(proc)


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log: IO[bytes]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            tail = log.read()[-2000:].decode(errors="replace").strip()
            raise BenchError(f"the gateway started for --serve exited ({proc.returncode}):\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    raise BenchError(f"the gateway started for --serve was not ready within {READY_TIMEOUT:.0f} s ({url})")
