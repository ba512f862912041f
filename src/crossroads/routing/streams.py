"""Small helpers over chunk streams: read one whole, replay it, watch it to its end."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from crossroads import formats
from crossroads.backends.base import Body, Endpoint


async def drain(chunks: AsyncIterator[Body]) -> list[Body]:
    return [chunk async for chunk in chunks]


async def replay(chunks: list[Body]) -> AsyncIterator[Body]:
    for chunk in chunks:
        yield chunk


def chunk_text(chunk: Body, endpoint: Endpoint = Endpoint.CHAT) -> str:
    fmt = formats.format_for(endpoint)
    if fmt is not None:
        return fmt.event_text(chunk)
    choices = chunk.get("choices") or ()
    if not choices or not isinstance(choices[0], dict):
        return ""
    choice: dict[str, Any] = choices[0]
    delta = choice.get("delta")
    if isinstance(delta, dict):
        return str(delta.get("content") or "")
    return str(choice.get("text") or "")


def chunks_text(chunks: list[Body], endpoint: Endpoint = Endpoint.CHAT) -> str:
    return "".join(chunk_text(c, endpoint) for c in chunks)


async def watched(
    chunks: AsyncIterator[Body], on_end: Callable[[str], None], endpoint: Endpoint = Endpoint.CHAT
) -> AsyncIterator[Body]:
    """Pass every chunk on; when the stream ends cleanly, call ``on_end`` with its text."""
    parts: list[str] = []
    async for chunk in chunks:
        parts.append(chunk_text(chunk, endpoint))
        yield chunk
    on_end("".join(parts))
