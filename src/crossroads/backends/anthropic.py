"""Anthropic's Messages API as a backend: ``POST {base_url}/v1/messages`` with ``x-api-key`` and
``anthropic-version``.

The gateway hands it Chat Completions bodies (its internal format); they are translated to Messages requests
and the answers and stream events back (``crossroads.formats.anthropic*``). A request that came in as a
Messages request round-trips through that translation to what the client sent (after the guard).
Connection handling (pool, timeouts, readiness probe, upstream errors) is the OpenAI-compatible backend's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp

from crossroads.backends.base import Body, Endpoint
from crossroads.backends.config import AnthropicConfig as Config
from crossroads.backends.openai_compat import Flavor, OpenAICompatBackend, _dumps, _loads_body, _loads_chunk
from crossroads.backends.upstream_errors import from_response, stream_error
from crossroads.errors import BadGateway, Unsupported
from crossroads.formats import anthropic
from crossroads.formats.anthropic_answer import answer_to_chat
from crossroads.formats.anthropic_stream import ChunkReader

FLAVOR = Flavor(
    url=lambda cfg, endpoint, body: f"{cfg.base_url.rstrip('/')}/v1/messages",
    auth=lambda key: {"x-api-key": key},
    probe=lambda cfg: f"{cfg.base_url.rstrip('/')}/v1/models",
)


class AnthropicBackend(OpenAICompatBackend):
    """Messages requests (``Endpoint.MESSAGES``) go upstream as they are; chat requests are translated."""

    native = frozenset({Endpoint.MESSAGES})

    def __init__(self, name: str, config: Config) -> None:
        self.name = name
        self.config = config  # type: ignore[assignment]  # the fields the parent reads are the same
        self.location = config.location
        self.flavor = FLAVOR
        self._session: aiohttp.ClientSession | None = None
        self._headers: dict[str, str] = {}
        self._ready = (0.0, "not started")

    async def start(self) -> None:
        await super().start()
        self._headers["anthropic-version"] = self.config.anthropic_version  # type: ignore[attr-defined]

    def _request(self, endpoint: Endpoint, body: Body) -> Body:
        if endpoint is Endpoint.MESSAGES:
            return dict(body)
        if endpoint is not Endpoint.CHAT:
            raise Unsupported(
                f"Backend '{self.name}' (Anthropic) serves chat and messages requests, not {endpoint.value}."
            )
        return anthropic.from_chat(body, self.config.default_max_tokens)  # type: ignore[attr-defined]

    async def send(self, endpoint: Endpoint, body: Body) -> Body:
        request = self._request(endpoint, body)
        request.pop("stream", None)
        url = self.flavor.url(self.config, endpoint, body)
        try:
            async with self.session().post(url, data=_dumps(request), headers=self._headers) as resp:
                raw = await resp.read()
                if resp.status >= 400:
                    raise from_response(self.name, resp.status, raw, resp.headers)
                answer = _loads_body(self.name, raw)
                return answer if endpoint is Endpoint.MESSAGES else answer_to_chat(answer)
        except TimeoutError:
            raise self._timeout() from None
        except aiohttp.ClientError as exc:
            raise self._unreachable(exc) from None

    async def stream(self, endpoint: Endpoint, body: Body) -> AsyncIterator[Body]:
        request = {**self._request(endpoint, body), "stream": True}
        url = self.flavor.url(self.config, endpoint, body)
        try:
            async with self.session().post(url, data=_dumps(request), headers=self._headers) as resp:
                if resp.status >= 400:
                    raise from_response(self.name, resp.status, await resp.read(), resp.headers)
                events = _whole_usage(_events(self.name, resp))
                if endpoint is Endpoint.MESSAGES:
                    async for event in events:
                        yield event
                    return
                options = body.get("stream_options")
                reader = ChunkReader(include_usage=isinstance(options, dict) and bool(options.get("include_usage")))
                async for event in events:
                    for chunk in reader.event(event):
                        yield chunk
        except TimeoutError:
            raise self._timeout() from None
        except aiohttp.ClientError as exc:
            raise self._unreachable(exc) from None


async def _whole_usage(events: AsyncIterator[Body]) -> AsyncIterator[Body]:
    """``message_delta`` with the whole usage, as Anthropic's API sends it today: an upstream that puts only
    ``output_tokens`` there gets the prompt's counts from ``message_start`` added (the ledger reads the last)."""
    started: Body = {}
    async for event in events:
        if event.get("type") == "message_start" and isinstance(event.get("message"), dict):
            started = dict(event["message"].get("usage") or {})
        elif event.get("type") == "message_delta" and isinstance(event.get("usage"), dict):
            given = {k: v for k, v in event["usage"].items() if v is not None}
            event["usage"] = {**started, **given}
        yield event


async def _events(name: str, resp: aiohttp.ClientResponse) -> AsyncIterator[Body]:
    """The ``data:`` of each event (its ``type`` names it); a stream must end with ``message_stop``."""
    async for line in resp.content:
        if not line.startswith(b"data:"):
            continue
        event = _loads_chunk(name, line[5:].strip())
        if event.get("type") == "error":
            raise stream_error(name, event)
        yield event
        if event.get("type") == "message_stop":
            return
    raise BadGateway(f"Backend '{name}' closed the stream before it finished (no message_stop).")
