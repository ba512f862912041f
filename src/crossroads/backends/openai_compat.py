"""Any OpenAI-compatible server: OpenAI, Azure OpenAI, vLLM, llama.cpp's server, Ollama.

How to talk (this module) is separate from where to connect (``base_url``, key) and from the
flavor's quirks (``FLAVORS``: URL shape and auth header). One pooled aiohttp session per backend;
the request body goes upstream as the client sent it, and stream chunks come back one by one. What an
upstream leaves out of the spec (``refusal``, ``usage``, the usage chunk) is filled in by ``spec``.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson

from crossroads.backends.base import Body, Endpoint
from crossroads.backends.config import OpenAICompatConfig as Config
from crossroads.backends.spec import StreamFiller, fill_answer
from crossroads.backends.upstream_errors import from_response, stream_error
from crossroads.errors import BadGateway, GatewayTimeout, ServiceUnavailable
from crossroads.urls import safe_url, scrub


@dataclass(frozen=True, slots=True)
class Flavor:
    url: Callable[[Config, Endpoint, Body], str]
    auth: Callable[[str], dict[str, str]]
    probe: Callable[[Config], str]


def _openai_url(cfg: Config, endpoint: Endpoint, body: Body) -> str:
    return f"{cfg.base_url.rstrip('/')}/{endpoint.value}"


def _azure_url(cfg: Config, endpoint: Endpoint, body: Body) -> str:
    base = cfg.base_url.rstrip("/")
    return f"{base}/openai/deployments/{body['model']}/{endpoint.value}?api-version={cfg.api_version}"


FLAVORS: dict[str, Flavor] = {
    "openai": Flavor(
        url=_openai_url,
        auth=lambda key: {"Authorization": f"Bearer {key}"},
        probe=lambda cfg: f"{cfg.base_url.rstrip('/')}/models",
    ),
    "azure": Flavor(
        url=_azure_url,
        auth=lambda key: {"api-key": key},
        probe=lambda cfg: f"{cfg.base_url.rstrip('/')}/openai/models?api-version={cfg.api_version}",
    ),
}

READY_TTL = 5.0
FINISHED = frozenset({"response.completed", "response.incomplete", "response.failed"})  # a Responses stream's end


class OpenAICompatBackend:
    def __init__(self, name: str, config: Config) -> None:
        self.name = name
        self.config = config
        self.location = config.location
        self.flavor = FLAVORS[config.flavor]
        self.native = frozenset({Endpoint.RESPONSES}) if config.responses == "native" else frozenset()
        self._session: aiohttp.ClientSession | None = None
        self._headers: dict[str, str] = {}
        self._ready: tuple[float, str | None] = (0.0, "not started")

    async def start(self) -> None:
        cfg = self.config
        from_env = {name: os.environ[var] for name, var in cfg.headers_env.items() if var in os.environ}
        self._headers = {"Content-Type": "application/json", **cfg.headers, **from_env}
        key = os.environ.get(cfg.api_key_env) if cfg.api_key_env else None
        if key:
            self._headers.update(self.flavor.auth(key))
        timeout = aiohttp.ClientTimeout(
            total=cfg.timeout.total, sock_connect=cfg.timeout.connect, sock_read=cfg.timeout.read
        )
        connector = aiohttp.TCPConnector(
            limit=cfg.max_connections, ttl_dns_cache=300, keepalive_timeout=cfg.keepalive_seconds
        )
        self._session = aiohttp.ClientSession(timeout=timeout, connector=connector)
        self._ready = (0.0, None)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _missing_key(self) -> str | None:
        env = self.config.api_key_env
        if env and not os.environ.get(env):
            return f"No key for backend '{self.name}': set {env} in the environment."
        return None

    def session(self) -> aiohttp.ClientSession:
        why = self._missing_key()
        if why:
            raise ServiceUnavailable(why, code="missing_api_key")
        if self._session is None:
            raise ServiceUnavailable(f"Backend '{self.name}' is not started.")
        return self._session

    async def ready(self) -> str | None:
        checked, why = self._ready
        if time.monotonic() - checked < READY_TTL:
            return why
        why = self._missing_key() or await self._probe()
        self._ready = (time.monotonic(), why)
        return why

    async def _probe(self) -> str | None:
        if self._session is None:
            return "not started"
        try:
            timeout = aiohttp.ClientTimeout(total=min(3.0, self.config.timeout.total))
            async with self._session.get(self.flavor.probe(self.config), headers=self._headers, timeout=timeout) as r:
                if r.status in (401, 403):
                    return f"{self._where} rejected the key (HTTP {r.status}); check {self.config.api_key_env}"
                return None if r.status < 500 else f"{self._where} answered HTTP {r.status}"
        except aiohttp.ClientConnectorError as exc:
            return f"cannot reach {self._where} ({exc.os_error.strerror or exc.os_error})"
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return scrub(f"cannot reach {self._where} ({exc.__class__.__name__}: {exc})")

    @property
    def _where(self) -> str:
        return safe_url(self.config.base_url)

    async def send(self, endpoint: Endpoint, body: Body) -> Body:
        url = self.flavor.url(self.config, endpoint, body)
        try:
            async with self.session().post(url, data=_dumps(body), headers=self._headers) as resp:
                raw = await resp.read()
                if resp.status >= 400:
                    raise from_response(self.name, resp.status, raw, resp.headers)
                answer = _loads_body(self.name, raw)
                return answer if endpoint in self.native else fill_answer(endpoint, body, answer)
        except TimeoutError:
            raise self._timeout() from None
        except aiohttp.ClientError as exc:
            raise self._unreachable(exc) from None

    async def stream(self, endpoint: Endpoint, body: Body) -> AsyncIterator[Body]:
        url = self.flavor.url(self.config, endpoint, body)
        try:
            async with self.session().post(url, data=_dumps(body), headers=self._headers) as resp:
                if resp.status >= 400:
                    raise from_response(self.name, resp.status, await resp.read(), resp.headers)
                if endpoint in self.native:
                    async for event in _typed_events(self.name, resp):
                        yield event
                    return
                filler = StreamFiller(endpoint, body)
                async for chunk in _sse_events(self.name, resp):
                    yield filler.fill(chunk)
                if (last := filler.last()) is not None:
                    yield last
        except TimeoutError:
            raise self._timeout() from None
        except aiohttp.ClientError as exc:
            raise self._unreachable(exc) from None

    def _timeout(self) -> GatewayTimeout:
        t = self.config.timeout
        return GatewayTimeout(
            f"Backend '{self.name}' did not answer in time (connect {t.connect}s, read {t.read}s, total {t.total}s)."
        )

    def _unreachable(self, exc: aiohttp.ClientError) -> BadGateway:
        return BadGateway(scrub(f"Backend '{self.name}' failed: {exc.__class__.__name__}: {exc}".rstrip(": ")))


async def _sse_events(name: str, resp: aiohttp.ClientResponse) -> AsyncIterator[Body]:
    """Parse ``data:`` lines as they arrive; a stream must end with ``[DONE]``."""
    async for line in resp.content:
        if not line.startswith(b"data:"):
            continue
        data = line[5:].strip()
        if data == b"[DONE]":
            return
        chunk = _loads_chunk(name, data)
        if "error" in chunk:
            raise stream_error(name, chunk)
        yield chunk
    raise BadGateway(f"Backend '{name}' closed the stream before it finished (no [DONE]).")


async def _typed_events(name: str, resp: aiohttp.ClientResponse) -> AsyncIterator[Body]:
    """A Responses API stream (``event:`` lines, no ``[DONE]``): it ends with its ``response.completed``,
    ``response.incomplete`` or ``response.failed`` event; an ``error`` event fails it."""
    async for line in resp.content:
        if not line.startswith(b"data:"):
            continue
        event = _loads_chunk(name, line[5:].strip())
        if event.get("type") == "error":
            raise BadGateway(f"Backend '{name}' failed mid-stream: {event.get('message') or event.get('code')}")
        yield event
        if event.get("type") in FINISHED:
            return
    raise BadGateway(f"Backend '{name}' closed the stream before it finished (no response.completed).")


def _loads_chunk(name: str, data: bytes) -> Body:
    try:
        chunk = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise BadGateway(f"Backend '{name}' sent a malformed stream chunk: {data[:120]!r}") from None
    if not isinstance(chunk, dict):
        raise BadGateway(f"Backend '{name}' sent a stream chunk that is not a JSON object.")
    return chunk


def _loads_body(name: str, raw: bytes) -> Body:
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise BadGateway(f"Backend '{name}' returned a body that is not JSON: {raw[:120]!r}") from None
    if not isinstance(body, dict):
        raise BadGateway(f"Backend '{name}' returned JSON that is not an object.")
    return body


def _dumps(obj: Any) -> bytes:
    return orjson.dumps(obj)
