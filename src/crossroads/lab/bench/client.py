"""One benchmark request over HTTP: send a pre-built body, time every content chunk, classify failures.

A ``Record`` keeps what the metrics need and nothing else. Times are ``time.perf_counter()`` seconds.
TTFT is the arrival of the first chunk carrying content (a role-only chunk does not count); ITLs are
the gaps between content chunks; the client's token count is the number of content chunks, checked
later against the server's ``usage``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson

PATHS = {"chat": "/chat/completions", "completions": "/completions", "embeddings": "/embeddings"}


@dataclass(slots=True)
class Record:
    start: float
    end: float = 0.0
    error: str | None = None
    ttft: float | None = None
    itls: list[float] = field(default_factory=list)
    prompt_tokens: int | None = None
    output_tokens: int | None = None  # the server's usage
    chunks: int | None = None  # content chunks seen (streams only)

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def e2e(self) -> float:
        return self.end - self.start


class StreamFailed(Exception):
    """An error event inside an SSE stream."""


class BenchClient:
    """A pooled aiohttp session posting to one endpoint; ``send(body)`` never raises for a failed request."""

    def __init__(self, base_url: str, endpoint: str, stream: bool, *, headers: dict[str, str], timeout: float) -> None:
        self.url = base_url.rstrip("/") + PATHS[endpoint]
        self.stream = stream and endpoint != "embeddings"
        self.text_key = "text" if endpoint == "completions" else None
        self.headers = {"content-type": "application/json", **headers}
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> BenchClient:
        connector = aiohttp.TCPConnector(limit=0, ttl_dns_cache=None)
        self.session = aiohttp.ClientSession(connector=connector, timeout=self.timeout, headers=self.headers)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.session is not None:
            await self.session.close()

    async def send(self, body: bytes) -> Record:
        assert self.session is not None, "use BenchClient as an async context manager"
        record = Record(time.perf_counter())
        try:
            async with self.session.post(self.url, data=body) as resp:
                if resp.status >= 400:
                    await resp.read()
                    record.error = f"http_{resp.status}"
                elif self.stream:
                    await self._read_stream(resp, record)
                else:
                    _usage(record, orjson.loads(await resp.read()).get("usage"))
        except TimeoutError:
            record.error = "timeout"
        except (aiohttp.ClientError, ConnectionError) as exc:
            record.error = "malformed" if isinstance(exc, aiohttp.ContentTypeError) else "connection"
        except (orjson.JSONDecodeError, AttributeError, TypeError, KeyError, IndexError):
            record.error = "malformed"
        except StreamFailed:
            record.error = "stream_error"
        record.end = time.perf_counter()
        return record

    async def _read_stream(self, resp: aiohttp.ClientResponse, record: Record) -> None:
        last, chunks, done = 0.0, 0, False
        async for line in resp.content:
            if not line.startswith(b"data:"):
                continue
            data = line[5:].strip()
            if data == b"[DONE]":
                done = True
                break
            event = orjson.loads(data)
            if "error" in event:
                raise StreamFailed(str(event["error"]))
            if _has_content(event, self.text_key):
                now = time.perf_counter()
                if chunks:
                    record.itls.append(now - last)
                else:
                    record.ttft = now - record.start
                last, chunks = now, chunks + 1
            _usage(record, event.get("usage"))
        if not done:
            raise aiohttp.ClientPayloadError("the stream ended without data: [DONE]")
        record.chunks = chunks


def _has_content(event: dict[str, Any], text_key: str | None) -> bool:
    for choice in event.get("choices") or ():
        if text_key is not None:
            if choice.get(text_key):
                return True
            continue
        delta = choice.get("delta") or {}
        if delta.get("content") or delta.get("tool_calls") or delta.get("reasoning_content"):
            return True
    return False


def _usage(record: Record, usage: Any) -> None:
    if isinstance(usage, dict):
        record.prompt_tokens = usage.get("prompt_tokens")
        record.output_tokens = usage.get("completion_tokens")
