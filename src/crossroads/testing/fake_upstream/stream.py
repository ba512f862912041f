"""Sending: timed SSE streams, malformed events and abrupt disconnects.

A disconnect must look like a network failure to the client, not like a clean end. Under uvicorn the
``receive`` callable is bound to the request cycle that owns the socket transport: we close that
transport (the partial body already written is flushed first, the terminating chunk never is), then
wait for uvicorn to notice the disconnect, so it neither logs an error nor answers 500. Where no
transport is reachable (another server, ``httpx.ASGITransport``), ``ConnectionDropped`` is raised
instead: servers then abort the connection, and ``httpx.ASGITransport`` hands it to the client, which
sees what a dropped socket gives it (an ``httpx.RemoteProtocolError``; openai: ``APIConnectionError``).
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from typing import Any

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from crossroads.testing.fake_upstream.faults import Fault
from crossroads.testing.fake_upstream.wire import Event

MALFORMED = b'data: {"id": "chatcmpl-malformed", "choices": [{"delta": {"content": "unterminated\n\n'


try:  # httpx is a test dependency, not a runtime one: the CLI serves the fake without it
    from httpx import RemoteProtocolError as _DroppedBase
except ImportError:  # pragma: no cover
    _DroppedBase = ConnectionError  # type: ignore[assignment,misc]


class ConnectionDropped(_DroppedBase):
    """Raised to abort a response when the socket cannot be closed directly."""


def _transport(receive: Receive) -> asyncio.Transport | None:
    cycle = getattr(receive, "__self__", None)
    transport = getattr(cycle, "transport", None)
    return transport if callable(getattr(transport, "is_closing", None)) else None


async def drop_connection(receive: Receive) -> None:
    """Close the client's connection mid-response, without the end of the HTTP message."""
    transport = _transport(receive)
    if transport is None:
        raise ConnectionDropped("the fake upstream dropped the connection (injected fault)")
    transport.close()
    with suppress(TimeoutError):
        async with asyncio.timeout(2.0):
            while (await receive())["type"] != "http.disconnect":
                pass


class DropResponse(Response):
    """A non-streaming answer that never comes: the connection is closed instead."""

    def __init__(self) -> None:
        self.status_code = 0
        self.background = None
        self.raw_headers = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await drop_connection(receive)


class SSEResponse(Response):
    """``text/event-stream`` of pre-built events, each sent at its due time, with stream faults applied."""

    media_type = "text/event-stream"

    def __init__(self, events: list[Event], fault: Fault | None, headers: dict[str, str]) -> None:
        self.status_code = 200
        self.background = None
        self.init_headers(headers | {"cache-control": "no-cache", "content-type": "text/event-stream; charset=utf-8"})
        self.events = events
        self.fault = fault or Fault()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        if self.fault.disconnect_after is None and self.fault.malformed_after is None and not self.fault.delays:
            await send(
                {"type": "http.response.body", "body": b"".join(e.data for e in self.events), "more_body": False}
            )
            return
        await self._send_timed(receive, send)

    async def _send_timed(self, receive: Receive, send: Send) -> None:
        loop = asyncio.get_running_loop()
        start, transport = loop.time(), _transport(receive)
        last = len(self.events) - 1  # data: [DONE]
        for index, event in enumerate(self.events):
            if await self._interrupted(index, receive, send, at_end=index == last):
                return
            delay = start + event.at - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            if transport is not None and transport.is_closing():
                return  # the client went away: stop generating
            await _body(send, event.data, more=True)
        await _body(send, b"", more=False)

    async def _interrupted(self, sent: int, receive: Receive, send: Send, *, at_end: bool) -> bool:
        """Apply a stream fault due after ``sent`` events; one past the stream's end fires before ``[DONE]``."""
        fault = self.fault
        if fault.disconnect_after is not None and (at_end or sent == fault.disconnect_after):
            await drop_connection(receive)
            return True
        if fault.malformed_after is not None and (at_end or sent == fault.malformed_after):
            await _body(send, MALFORMED, more=False)
            return True
        return False


async def _body(send: Send, data: bytes, *, more: bool) -> None:
    message: Any = {"type": "http.response.body", "body": data, "more_body": more}
    await send(message)
