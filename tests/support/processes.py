"""Start real servers as subprocesses for tests and benchmarks, and wait until they answer."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from crossroads.backends.bundled import smollm2_path
from crossroads.procs import stop_process
from crossroads.testing.server import free_port


def wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 180.0) -> None:
    """Wait for ``url`` to answer; the limit is generous because a loaded machine can take a minute to import torch."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {url} answered")
        try:
            if httpx.get(url, timeout=1.0).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


@contextmanager
def running(args: Sequence[str], probe_path: str, port: int, env: dict[str, str] | None = None) -> Iterator[str]:
    """Run ``args`` (which must listen on ``port``); yield its base URL; terminate it after."""
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(list(args), env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_http(base + probe_path, proc)
            yield base
        except RuntimeError as exc:
            log.seek(0)
            raise RuntimeError(f"{exc}\n{log.read()[-4000:].decode(errors='replace')}") from None
        finally:
            stop_process(proc)


@contextmanager
def llama_cpp_server(model: Path | None = None, alias: str = "smollm2", threads: int = 2) -> Iterator[str]:
    """llama.cpp's own OpenAI-compatible server (llama-cpp-python[server]); yields http://127.0.0.1:PORT/v1."""
    port = free_port()
    args = [sys.executable, "-m", "llama_cpp.server", "--model", str(model or smollm2_path())]
    args += ["--model_alias", alias, "--host", "127.0.0.1", "--port", str(port), "--n_threads", str(threads)]
    with running(args, "/v1/models", port) as base:
        yield base + "/v1"


@contextmanager
def crossroads_serve(config: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """``crossroads serve`` as a real process; yields http://127.0.0.1:PORT."""
    port = free_port()
    args = [sys.executable, "-m", "crossroads", "serve", "--config", str(config), "--port", str(port)]
    with running(args, "/health", port, env) as base:
        yield base
