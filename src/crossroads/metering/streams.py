"""Metering a stream as it passes: capture usage, model and text; hide the usage chunk we asked for."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from crossroads.backends.base import Body
from crossroads.errors import CrossroadsError
from crossroads.formats import Format

CLIENT_CLOSED = CrossroadsError("The client went away before the answer ended.", code="client_closed", status=499)


def as_error(exc: BaseException) -> CrossroadsError:
    """What the ledger records for a call that ended with ``exc``."""
    if isinstance(exc, CrossroadsError):
        return exc
    if isinstance(exc, asyncio.CancelledError | GeneratorExit):
        return CLIENT_CLOSED
    return CrossroadsError("The request failed inside the gateway.", code="internal_error")


class UsageStream:
    """Wraps a chunk iterator. ``keep_usage`` False: the client did not ask for usage, so the
    usage-only chunk is dropped and ``usage: null`` fields are removed. ``done`` runs once at the end,
    whatever the end (finished, failed, or the client went away). ``fmt``: the events are in that format
    (``crossroads.formats``), which says where their usage and text are; they all pass."""

    def __init__(
        self,
        chunks: AsyncIterator[Body],
        keep_usage: bool,
        done: Callable[[UsageStream], Awaitable[None]],
        fmt: Format | None = None,
    ) -> None:
        self.chunks = chunks
        self.keep_usage = keep_usage
        self.fmt = fmt
        self.done = done
        self.usage: dict[str, Any] | None = None
        self.model: str | None = None
        self.parts: list[str] = []
        self.error: CrossroadsError | None = CLIENT_CLOSED

    @property
    def text(self) -> str:
        return "".join(self.parts)

    async def run(self) -> AsyncIterator[Body]:
        try:
            async for chunk in self.chunks:
                if self._observe(chunk):
                    yield chunk
            self.error = None
        except Exception as exc:
            self.error = as_error(exc)
            raise
        finally:
            await self._close()

    async def _close(self) -> None:
        try:
            aclose = getattr(self.chunks, "aclose", None)
            if aclose is not None:
                await aclose()
        finally:
            await self.done(self)

    def _observe(self, chunk: Body) -> bool:
        """Note what the chunk says; False when the client must not see it."""
        if self.fmt is not None:
            return self._observe_event(self.fmt, chunk)
        self.model = self.model or chunk.get("model")
        usage = chunk.get("usage")
        if usage:
            self.usage = usage
        for choice in chunk.get("choices") or ():
            piece = (choice.get("delta") or {}).get("content") if "delta" in choice else choice.get("text")
            if piece:
                self.parts.append(piece)
        if self.keep_usage:
            return True
        if usage and not chunk.get("choices"):
            return False
        if "usage" in chunk:
            del chunk["usage"]
        return True

    def _observe_event(self, fmt: Format, event: Body) -> bool:
        usage = fmt.event_usage(event)
        if usage:
            self.usage = usage
            answer = event.get("response") or event.get("message")  # Responses' or Messages' answer in the event
            self.model = self.model or (answer.get("model") if isinstance(answer, dict) else None)
        piece = fmt.event_text(event)
        if piece:
            self.parts.append(piece)
        return True
