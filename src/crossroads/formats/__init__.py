"""Wire formats other than Chat Completions, translated to and from it (the gateway's internal format).

The OpenAI Responses API (``responses*``) and Anthropic's Messages API (``anthropic*``) keep their client's
format through the whole pipeline: the guard reads that body (every field), the metering and routing stages
see that format's answers. Only at the backend's edge, attempt by attempt, is it translated — unless the
backend speaks the format itself (OpenAI for Responses, the ``anthropic`` backend type for Messages)::

    route ─► Call(endpoint, body in its own format) ─► stages ─► dispatcher ─► attempt on one deployment
                                                                                 │
        endpoint in backend.native?  yes: backend.send(endpoint, body)           │
                                     no:  from_chat(backend.send(CHAT, to_chat(body)))

So a group may mix a deployment that speaks the format natively with one that does not (a fallback from a
hosted API to the embedded model), and each attempt is sent in what its backend speaks.

A ``Format`` is a few pure functions over plain dicts, registered by endpoint in ``FORMATS``. The stages ask
``format_for(call.endpoint)`` (None for Chat Completions and the other OpenAI endpoints) where an answer of
that format keeps its usage, its text and its output limit, and how to restore placeholders in it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from functools import cache
from importlib import import_module
from typing import Any, Protocol

from crossroads.backends.base import Backend, Body, Endpoint
from crossroads.errors import CrossroadsError

Fix = Callable[[str, bool], str]  # (text, is_json) -> the text with placeholders restored
Usage = dict[str, Any]  # Chat Completions' usage shape: prompt_tokens, completion_tokens, *_details

FORMATS: dict[Endpoint, str] = {
    Endpoint.RESPONSES: "crossroads.formats.responses:FORMAT",
    Endpoint.MESSAGES: "crossroads.formats.anthropic_format:FORMAT",
}


class EventRestorer(Protocol):
    """Restores placeholders in one stream's events, holding back a placeholder split across deltas."""

    def event(self, event: Body) -> list[Body]:
        """The events to send for ``event`` (held text may come out as an extra delta before a ``done``)."""

    def leftover(self) -> list[Body]:
        """Events carrying what is still held when the stream ends early."""


class Format(Protocol):
    endpoint: Endpoint
    output_limits: tuple[str, ...]  # request fields that cap the answer's length; budgets set the first

    def to_chat(self, body: Body) -> Body:
        """The Chat Completions request for ``body`` (raises ``InvalidRequest`` for what chat cannot carry)."""

    def native(self, body: Body) -> Body:
        """What a backend that speaks this format gets: ``body`` less the fields the gateway answers itself."""

    def from_chat(self, answer: Body, request: Body) -> Body:
        """The answer in this format for a Chat Completions ``answer`` to ``request``."""

    def stream_from_chat(self, chunks: AsyncIterator[Body], request: Body) -> AsyncIterator[Body]:
        """This format's stream events for a chat chunk stream; nothing is yielded before its first chunk."""

    def usage(self, answer: Body) -> Usage | None:
        """A whole answer's usage in Chat Completions' shape."""

    def event_usage(self, event: Body) -> Usage | None:
        """The usage a stream event carries (Chat Completions' shape), if any."""

    def answer_text(self, answer: Body) -> str:
        """The text a whole answer generated (tool-call arguments included)."""

    def event_text(self, event: Body) -> str:
        """The generated text a stream event adds."""

    def json_answer(self, request: Body) -> bool:
        """The request asks for a JSON answer (restored values are JSON-escaped in its text)."""

    def restore_answer(self, answer: Body, fix: Fix, json_content: bool) -> Body:
        """Restore placeholders in place in every text a whole answer carries."""

    def restorer(self, reverse: Mapping[str, str], json_content: bool) -> EventRestorer:
        """A restorer for one stream of this format's events."""


@cache
def format_for(endpoint: Endpoint) -> Format | None:
    """The endpoint's format, or None when it is Chat Completions' own family (no translation)."""
    target = FORMATS.get(endpoint)
    if target is None:
        return None
    module, _, attr = target.partition(":")
    found: Format = getattr(import_module(module), attr)
    return found


def speaks(backend: Backend, endpoint: Endpoint) -> bool:
    """The backend takes ``endpoint``'s format as it is (its ``native`` set), so nothing is translated."""
    return endpoint in getattr(backend, "native", ())


async def send(backend: Backend, endpoint: Endpoint, body: Body) -> Body:
    """One answer in ``endpoint``'s format from ``backend``, translated through chat when it must be."""
    fmt = format_for(endpoint)
    if fmt is None:
        return await backend.send(endpoint, body)
    if speaks(backend, endpoint):
        return await backend.send(endpoint, fmt.native(body))
    return fmt.from_chat(await backend.send(Endpoint.CHAT, fmt.to_chat(body)), body)


def stream(backend: Backend, endpoint: Endpoint, body: Body) -> AsyncIterator[Body]:
    """The stream in ``endpoint``'s format from ``backend``, translated through chat when it must be."""
    fmt = format_for(endpoint)
    if fmt is None:
        return backend.stream(endpoint, body)
    if speaks(backend, endpoint):
        return backend.stream(endpoint, fmt.native(body))
    try:
        chat = fmt.to_chat(body)
    except CrossroadsError as exc:
        return _failing(exc)  # raised where the attempt awaits the first event, like the backend's own errors
    return fmt.stream_from_chat(backend.stream(Endpoint.CHAT, chat), body)


async def _failing(exc: CrossroadsError) -> AsyncIterator[Body]:
    raise exc
    yield {}  # an async generator (never reached)


def answer_usage(endpoint: Endpoint, answer: Body) -> Usage | None:
    """A whole answer's usage in Chat Completions' shape, whatever its format."""
    fmt = format_for(endpoint)
    usage = answer.get("usage") if fmt is None else fmt.usage(answer)
    return usage if isinstance(usage, dict) else None


def chunk_usage(endpoint: Endpoint, chunk: Body) -> Usage | None:
    """The usage one stream chunk or event carries, in Chat Completions' shape."""
    fmt = format_for(endpoint)
    usage = chunk.get("usage") if fmt is None else fmt.event_usage(chunk)
    return usage if isinstance(usage, dict) and usage else None
