"""JSON and SSE responses, and the one place errors become OpenAI error JSON."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Send

from crossroads.errors import CrossroadsError

log = logging.getLogger("crossroads.api")

SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}
DONE = b"data: [DONE]\n\n"


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json", headers=headers)


def error_response(exc: CrossroadsError) -> Response:
    return json_response(exc.to_dict(), status=exc.status, headers=exc.headers or None)


def sse_response(chunks: AsyncIterator[dict[str, Any]], headers: dict[str, str] | None = None) -> StreamingResponse:
    return EventStream(_sse(chunks), media_type="text/event-stream", headers={**SSE_HEADERS, **(headers or {})})


class EventStream(StreamingResponse):
    """A stream whose events leave in small bursts: events that are ready together share a write.

    This task reads the events, as a plain ``StreamingResponse`` does (so a client going away cancels
    the read, and the upstream call, right here); a writer task sends what has been read each time this
    task stops to wait, or has read ``_BurstWriter.MAX`` events. A slow upstream still gets one write per
    event; a burst (a fast model, or a busy gateway catching up) a third of the writes, and its first
    event waits for at most two more to be read. Nothing waits for events that have not arrived.
    """

    async def stream_response(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        writer = _BurstWriter(send)
        try:
            async for part in self.body_iterator:
                await writer.add(part)
            await writer.end()
        finally:
            writer.task.cancel()


class _BurstWriter:
    # Events per write at most. Bigger bursts save more writes (1 in 20 for a 20-event burst) but make
    # the burst's first event, and other streams, wait: at 3, time to first token stays that of one write
    # per event, and falls under load. Also the bound on events read ahead of a slow client.
    MAX = 3

    def __init__(self, send: Send) -> None:
        self.send = send
        self.parts: list[bytes] = []
        self.ending = False
        self.added, self.taken = asyncio.Event(), asyncio.Event()
        self.task = asyncio.create_task(self._run())

    async def add(self, part: Any) -> None:
        if self.task.done():
            await self.task  # the writer failed: raise its error here rather than wait for it
        self.parts.append(part)
        self.added.set()
        if len(self.parts) >= self.MAX:
            self.taken.clear()
            await self.taken.wait()

    async def end(self) -> None:
        self.ending = True
        self.added.set()
        await self.task

    async def _run(self) -> None:
        more = True
        try:
            while more:
                await self.added.wait()
                self.added.clear()
                more = not self.ending
                body, self.parts = b"".join(self.parts), []
                self.taken.set()
                await self.send({"type": "http.response.body", "body": body, "more_body": more})
        finally:
            self.taken.set()  # never leave the reader waiting on a writer that has stopped


async def _sse(chunks: AsyncIterator[dict[str, Any]]) -> AsyncIterator[bytes]:
    try:
        async for chunk in chunks:
            yield b"data: " + orjson.dumps(chunk) + b"\n\n"
    except CrossroadsError as exc:
        log.warning("stream ended by error: %s", exc.message)
        yield b"data: " + orjson.dumps(exc.to_dict()) + b"\n\n"
        return
    except Exception:
        log.exception("stream failed")
        yield b"data: " + orjson.dumps(_internal().to_dict()) + b"\n\n"
        return
    yield DONE


def _internal() -> CrossroadsError:
    return CrossroadsError("The server had an error while processing your request. It has been logged.")


_HTTP_TYPES = {404: "invalid_request_error", 405: "invalid_request_error"}


async def handle_crossroads_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CrossroadsError)
    return error_response(exc)


async def handle_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = {404: f"Unknown request URL: {request.method} {request.url.path}.", 405: "Method not allowed."}
    err = CrossroadsError(
        message.get(exc.status_code, str(exc.detail)), status=exc.status_code, headers=dict(exc.headers or {})
    )
    err.type = _HTTP_TYPES.get(exc.status_code, "invalid_request_error")
    return error_response(err)


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(_internal())
