"""Run an ASGI app on a real loopback socket in a background thread (tests and benchmarks)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serving(app: Any, host: str = "127.0.0.1", port: int | None = None, **options: Any) -> Iterator[str]:
    """Yield the base URL (``http://host:port``) while ``app`` serves in a thread; stop it after."""
    port = port or free_port(host)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"server on port {port} did not start")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
