"""Where the load goes: an OpenAI-compatible URL, a model of crossroads.yaml, or the gateway itself.

``preflight`` contacts the target once before any load: an unreachable URL, refused credentials or an
unknown model become a ``BenchError`` that says what to change.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from crossroads.backends.config import EmbeddedConfig, OpenAICompatConfig
from crossroads.config import Settings
from crossroads.lab.bench.errors import BenchError


@dataclass(frozen=True, slots=True)
class Endpoint:
    url: str  # base URL ending in /v1 (or the API's equivalent)
    model: str  # the name sent in requests
    headers: dict[str, str] = field(default_factory=dict)
    location: str | None = None  # local | hosted
    via: str = "url"
    model_file: Path | None = None  # a GGUF whose size is the bytes read per token


def check_url(url: str) -> str:
    if not url.startswith(("http://", "https://")):
        raise BenchError(f"--url '{url}' is not an http(s) URL — e.g. --url http://127.0.0.1:8000/v1")
    return url.rstrip("/")


def api_headers(api_key_env: str | None, source: str = "--api-key-env") -> dict[str, str]:
    if not api_key_env:
        return {}
    key = os.environ.get(api_key_env)
    if not key:
        raise BenchError(f"{source} {api_key_env}: the variable is not set — export {api_key_env}=<your key>")
    return {"authorization": f"Bearer {key}"}


def from_url(url: str, model: str, api_key_env: str | None, headers: dict[str, str]) -> Endpoint:
    return Endpoint(check_url(url), model, api_headers(api_key_env) | headers)


def from_config(settings: Settings, name: str, headers: dict[str, str]) -> Endpoint:
    """A model of the config, benchmarked straight at its backend (openai_compat backends only)."""
    public = _public(settings, name)
    backend_name = settings.models[public].backend
    backend = settings.backends[backend_name]
    if not isinstance(backend, OpenAICompatConfig) or backend.flavor != "openai":
        raise BenchError(
            f"model '{public}' runs on backend '{backend_name}' ({backend.type}), which has no URL to load-test "
            "directly — add --serve to benchmark it through a gateway started for the run, or pass --url"
        )
    base = api_headers(backend.api_key_env, f"backends.{backend_name}.api_key_env") | backend.headers
    model = settings.upstream_name(public)
    return Endpoint(check_url(backend.base_url), model, base | headers, backend.location, "config")


def through_gateway(settings: Settings, name: str, base_url: str, headers: dict[str, str]) -> Endpoint:
    """A model of the config, benchmarked through a running gateway at ``base_url``."""
    public = _public(settings, name)
    backend = settings.backends[settings.models[public].backend]
    model_file = None
    if isinstance(backend, EmbeddedConfig):
        from crossroads.backends.bundled import smollm2_path

        model_file = Path(backend.model_path) if backend.model_path else smollm2_path()
    return Endpoint(base_url.rstrip("/") + "/v1", public, headers, backend.location, "gateway", model_file)


def _public(settings: Settings, name: str) -> str:
    public = settings.resolve(name)
    if public is None:
        known = ", ".join(settings.models) or "none"
        raise BenchError(f"unknown model '{name}' in {settings.source} (models: {known}) — pass one with --model")
    return public


async def preflight(target: Endpoint, timeout: float = 10.0) -> list[str]:
    """Check the target answers and knows the model; return warnings for what could not be checked."""
    url = target.url + "/models"
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout), headers=target.headers) as session,
            session.get(url) as resp,
        ):
            body = await resp.json(content_type=None) if resp.status == 200 else None
            status = resp.status
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        reason = str(exc) or type(exc).__name__
        raise BenchError(f"cannot reach {target.url} ({reason}) — start the server or fix --url") from None
    if status in (401, 403):
        raise BenchError(f"{target.url} refused the credentials (HTTP {status}) — check the key (--api-key-env)")
    if status != 200 or not isinstance(body, dict):
        return [f"{url} answered HTTP {status}; the model name was not checked (is the base URL missing /v1?)"]
    return _check_model(target, body)


def _check_model(target: Endpoint, body: dict[str, object]) -> list[str]:
    data = body.get("data")
    ids = [m.get("id") for m in data if isinstance(m, dict)] if isinstance(data, list) else []
    if target.model in ids:
        return []
    if not ids:
        return [f"{target.url}/models lists no models; the model name was not checked"]
    known = ", ".join(str(i) for i in ids[:20])
    raise BenchError(f"unknown model '{target.model}' at {target.url} (available: {known}) — pass one with --model")
