"""Bounds on what a client may send: body read time (408), a client leaving mid-body (no traceback),
output tokens, messages and nesting depth (400), and 405 with ``Allow`` — on a real socket where it matters."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from crossroads.api import create_app
from crossroads.config import parse_settings
from crossroads.gateway import Gateway
from crossroads.testing.server import serving
from tests.support.scripted import ScriptedBackend

HELLO = [{"role": "user", "content": "Hello"}]
LIMITS = {"body_timeout_seconds": 0.5, "max_tokens": 4096, "max_messages": 3, "max_json_depth": 8}


def _settings() -> Any:
    raw = {"server": LIMITS, "backends": {"local": {"type": "embedded"}}, "models": {"small": {"backend": "local"}}}
    return parse_settings(raw, "test")


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    app = create_app(gateway=Gateway(_settings(), backends={"local": ScriptedBackend("local")}))
    with serving(app) as base:
        yield base


def _raw(base: str, data: bytes, close_after: bool = False, wait: float = 5.0) -> bytes:
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=wait) as sock:
        sock.sendall(data)
        if close_after:
            return b""
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
            if b"\r\n\r\n" in b"".join(chunks) and b"}" in chunk:
                break
        return b"".join(chunks)


def _post(length: int, body: bytes) -> bytes:
    head = (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nContent-Length: {length}"
    )
    return head.encode() + b"\r\n\r\n" + body


def test_a_body_shorter_than_its_length_gets_408(url: str) -> None:
    began = time.perf_counter()
    answer = _raw(url, _post(100, b'{"model": "small"'))
    assert answer.startswith(b"HTTP/1.1 408") and b'"code":"request_timeout"' in answer
    assert time.perf_counter() - began < 4  # the configured 0.5 s, not the client's patience


def test_a_client_leaving_mid_body_logs_no_traceback(url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    _raw(url, _post(100, b'{"model": "small"'), close_after=True)
    time.sleep(0.3)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    assert any("went away while sending the body" in r.getMessage() for r in caplog.records)


def test_405_names_the_allowed_methods(url: str) -> None:
    answer = _raw(url, b"GET /v1/chat/completions HTTP/1.1\r\nHost: gw\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 405") and b"\r\nallow: post\r\n" in answer.lower()


@pytest.mark.parametrize(
    ("extra", "param", "code"),
    [
        ({"max_tokens": 4097}, "max_tokens", "integer_above_max_value"),
        ({"max_completion_tokens": 10**12}, "max_completion_tokens", "integer_above_max_value"),
        ({"messages": HELLO * 4}, "messages", "array_above_max_length"),
        ({"metadata": {"a": [[[[[[[[{"deep": 1}]]]]]]]]}}, None, "json_too_deep"),
    ],
    ids=["max_tokens", "max_completion_tokens", "messages", "depth"],
)
async def test_bounds_answer_400(url: str, extra: dict[str, Any], param: str | None, code: str) -> None:
    async with openai.AsyncOpenAI(base_url=f"{url}/v1", api_key="k", max_retries=0) as client:
        body = {"messages": HELLO, **extra}
        with pytest.raises(openai.BadRequestError) as caught:
            await client.chat.completions.create(model="small", **body)
        ok = await client.chat.completions.create(model="small", messages=HELLO * 3, max_tokens=4096)
    assert (caught.value.code, caught.value.param) == (code, param)
    assert ok.choices[0].message.content
