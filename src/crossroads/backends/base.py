"""The one backend protocol: send an OpenAI request body, get an OpenAI response body or chunk stream.

A backend receives the request body exactly as the client sent it (unknown fields included) with
``model`` already replaced by the upstream model name. It returns OpenAI-shaped dicts. Errors are
raised from the ``crossroads.errors`` tree; a stream raises before its first chunk when it can.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from enum import StrEnum
from typing import Any, Literal, Protocol, runtime_checkable

Body = dict[str, Any]


class Endpoint(StrEnum):
    CHAT = "chat/completions"
    COMPLETIONS = "completions"
    EMBEDDINGS = "embeddings"
    RESPONSES = "responses"  # OpenAI Responses: translated to chat unless a backend speaks it (``formats``)
    MESSAGES = "messages"  # Anthropic Messages: translated to chat unless a backend speaks it (``formats``)


Location = Literal["local", "hosted"]


@runtime_checkable
class Backend(Protocol):
    name: str
    location: Location

    async def start(self) -> None:
        """Load the model or open the connection pool. Called once, before traffic."""

    async def aclose(self) -> None:
        """Release everything ``start`` took."""

    async def ready(self) -> str | None:
        """None when the backend can serve now, else a sentence saying why not."""

    async def send(self, endpoint: Endpoint, body: Body) -> Body:
        """One complete response body."""

    def stream(self, endpoint: Endpoint, body: Body) -> AsyncIterator[Body]:
        """Response chunks (the ``data:`` payloads of an SSE stream, without ``[DONE]``)."""
