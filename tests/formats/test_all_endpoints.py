"""Privacy, metering and routing — one set of checks run on every generation endpoint the gateway speaks.

``ENDPOINTS`` is a table of adapters (how to ask an endpoint a question with a given text, how to read the
answer's text, whole or streamed): adding a wire format is one row. The upstream is the fake OpenAI upstream
over a socket; what it received is asserted, never what the gateway says it did.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from crossroads.config import parse_settings
from crossroads.metering.keys import create_key
from crossroads.store import make_engine, upgrade
from crossroads.store.models import LedgerRow
from tests.formats.conftest import gateway_client, received

Body = dict[str, Any]
EMAIL = "john.smith@example.com"


@dataclass(frozen=True)
class Adapter:
    path: str
    ask: Callable[[str, str], Body]  # (model, text) -> request body
    text: Callable[[Body], str]  # a whole answer -> its text
    delta: Callable[[Body], str]  # one stream event or chunk -> the text it adds
    headers: dict[str, str] = field(default_factory=dict)


def _chat_delta(chunk: Body) -> str:
    return "".join((c.get("delta") or {}).get("content") or "" for c in chunk.get("choices") or ())


def _output_text(answer: Body) -> str:
    return "".join(p.get("text", "") for item in answer["output"] for p in item.get("content") or ())


def _text_delta(event: Body) -> str:
    delta = event.get("delta") if event.get("type") == "content_block_delta" else None
    return str(delta.get("text", "")) if isinstance(delta, dict) else ""


ENDPOINTS: dict[str, Adapter] = {
    "chat": Adapter(
        "/v1/chat/completions",
        lambda model, text: {"model": model, "messages": [{"role": "user", "content": text}]},
        lambda answer: answer["choices"][0]["message"]["content"],
        _chat_delta,
    ),
    "responses": Adapter(
        "/v1/responses",
        lambda model, text: {"model": model, "input": text},
        _output_text,
        lambda event: event.get("delta", "") if event.get("type") == "response.output_text.delta" else "",
    ),
    "messages": Adapter(
        "/v1/messages",
        lambda model, text: {"model": model, "max_tokens": 64, "messages": [{"role": "user", "content": text}]},
        lambda answer: "".join(block.get("text", "") for block in answer["content"]),
        _text_delta,
        {"anthropic-version": "2023-06-01"},
    ),
}


async def ask(http: httpx.AsyncClient, endpoint: str, model: str, text: str, stream: bool,
              headers: dict[str, str] | None = None) -> tuple[int, str, httpx.Headers]:  # fmt: skip
    """(status, answer text, response headers) of one request, streamed or not."""
    adapter = ENDPOINTS[endpoint]
    body = {**adapter.ask(model, text), **({"stream": True} if stream else {})}
    headers = {**adapter.headers, **(headers or {})}
    if not stream:
        reply = await http.post(adapter.path, json=body, headers=headers)
        return reply.status_code, adapter.text(reply.json()) if reply.status_code == 200 else "", reply.headers
    async with http.stream("POST", adapter.path, json=body, headers=headers) as reply:
        lines = [line async for line in reply.aiter_lines()]
    events = [json.loads(line[6:]) for line in lines if line.startswith("data: ") and line != "data: [DONE]"]
    return reply.status_code, "".join(adapter.delta(e) for e in events), reply.headers


def settings(upstream: str, **extra: Any) -> Any:
    fake = {"type": "openai_compat", "base_url": f"{upstream}/v1"}
    raw = {
        "backends": {"a": fake, "b": fake},
        "models": {
            "solo": {"backend": "a", "upstream_model": "gpt-4o-mini"},
            "pair": {"deployments": [{"backend": "a", "upstream_model": "gpt-4o-mini"},
                                     {"backend": "b", "upstream_model": "gpt-4o-mini"}]},
        },
        **extra,
    }  # fmt: skip
    return parse_settings(raw, "test")


STREAM = [pytest.param(False, id="whole"), pytest.param(True, id="stream")]


@pytest.mark.parametrize("stream", STREAM)
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
async def test_privacy_a_value_never_leaves_and_comes_back_restored(fresh: str, endpoint: str, stream: bool) -> None:
    guarded = settings(fresh, privacy={"default": {"EMAIL_ADDRESS": "pseudonymize"}})
    async with gateway_client(guarded) as (_, http):
        status, text, headers = await ask(http, endpoint, "solo", f"Write to {EMAIL} now", stream)
    assert status == 200 and text.endswith(f"Write to {EMAIL} now")  # the fake echoes the question
    sent = json.dumps([r["json"] for r in received(fresh)])
    assert EMAIL not in sent and "<EMAIL_ADDRESS_" in sent
    assert "EMAIL_ADDRESS" in headers["x-crossroads-privacy"]


@pytest.mark.parametrize("stream", STREAM)
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
async def test_metering_ledger_and_budget_output_cap(fresh: str, tmp_path: Path, endpoint: str, stream: bool) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    engine = make_engine(url)
    upgrade(engine)
    _, key = create_key(engine, "team", budget=Decimal("5"))
    metered = settings(fresh, metering={"enabled": True, "database_url": url, "ledger": {"flush_ms": 5},
                                        "completion_estimate": 64})  # fmt: skip
    async with gateway_client(metered) as (_, http):
        status, text, _ = await ask(http, endpoint, "solo", "Count these five words", stream,
                                    {"authorization": f"Bearer {key}"})  # fmt: skip
        refused, _, _ = await ask(http, endpoint, "solo", "hello", stream, {"authorization": "Bearer sk-wrong"})
        row = await _ledger_row(engine)
    assert status == 200 and refused == 401
    assert received(fresh)[0]["json"]["max_tokens"] == 64  # the budget's reservation caps the answer upstream
    assert row.endpoint == ENDPOINTS[endpoint].path.removeprefix("/v1/") and row.stream is stream
    assert row.prompt_tokens > 0 and row.completion_tokens == len(text.split()) and row.usage_source == "upstream"
    assert row.cost is not None and row.cost > 0 and row.key_id is not None


async def _ledger_row(engine: Any) -> LedgerRow:
    for _ in range(200):
        with Session(engine) as db:
            row = db.scalars(select(LedgerRow).where(LedgerRow.status == 200)).first()
        if row is not None:
            return row
        await asyncio.sleep(0.02)
    raise AssertionError("no ledger row written")


@pytest.mark.parametrize("stream", STREAM)
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
async def test_routing_falls_back_to_the_next_deployment(fresh: str, endpoint: str, stream: bool) -> None:
    httpx.post(f"{fresh}/_fake/faults", json=[{"status": 500}])
    async with gateway_client(settings(fresh, routing={"reason_header": "full"})) as (_, http):
        status, text, headers = await ask(http, endpoint, "pair", "Hello there", stream)
    assert status == 200 and text == "This is a fake answer to: Hello there"
    assert headers["x-crossroads-backend"] == "b" and "after a:gpt-4o-mini 502" in headers["x-crossroads-route-reason"]
    assert len(received(fresh)) == 2


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
async def test_an_unknown_model_is_404_in_the_endpoints_error_shape(fresh: str, endpoint: str) -> None:
    async with gateway_client(settings(fresh)) as (_, http):
        status, _, _ = await ask(http, endpoint, "nope", "hi", False)
    assert status == 404 and received(fresh) == []


CHECK = {"type": "regex", "pattern": "fake answer"}


def _routed(upstream: str, tmp_path: Path) -> Any:
    fake = {"type": "openai_compat", "base_url": f"{upstream}/v1"}
    a, b = ({"backend": n, "upstream_model": "gpt-4o-mini"} for n in ("a", "b"))
    raw = {
        "backends": {"a": fake, "b": fake},
        "models": {
            "careful": {
                "deployments": [a, b],
                "cascade": {"validators": [{"type": "regex", "pattern": "fake answer"}]},
            },
            "mirrored": {**a, "shadow": [{"backend": "b", "upstream_model": "gpt-4o", "sample": 1.0}]},
        },
        "routing": {"shadow_log": str(tmp_path / "shadow.jsonl")},
    }
    return parse_settings(raw, "test")


@pytest.mark.parametrize("stream", STREAM)
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
async def test_cascade_and_shadow(fresh: str, tmp_path: Path, endpoint: str, stream: bool) -> None:
    """A cascade turns down the first deployment's answer (it fails the check) for the next one's; a shadow
    deployment gets a copy of the request."""
    httpx.post(f"{fresh}/_fake/faults", json=[{"content": "no idea"}])
    async with gateway_client(_routed(fresh, tmp_path)) as (_, http):
        status, text, _ = await ask(http, endpoint, "careful", "Hello there", stream)
        assert status == 200 and text == "This is a fake answer to: Hello there" and len(received(fresh)) == 2
        httpx.delete(f"{fresh}/_fake/requests")
        status, text, _ = await ask(http, endpoint, "mirrored", "Hello again", stream)
        for _ in range(200):
            if len(received(fresh)) == 2:
                break
            await asyncio.sleep(0.02)
    models = sorted(r["json"]["model"] for r in received(fresh))
    assert status == 200 and text == "This is a fake answer to: Hello again" and models == ["gpt-4o", "gpt-4o-mini"]


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
async def test_metering_a_rate_limit_is_429_before_the_upstream(fresh: str, tmp_path: Path, endpoint: str) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    engine = make_engine(url)
    upgrade(engine)
    _, key = create_key(engine, "team", rpm=1)
    metered = settings(fresh, metering={"enabled": True, "database_url": url})
    auth = {"authorization": f"Bearer {key}"}
    async with gateway_client(metered) as (_, http):
        first, _, _ = await ask(http, endpoint, "solo", "one", False, auth)
        second, _, headers = await ask(http, endpoint, "solo", "two", False, auth)
    assert (first, second) == (200, 429) and int(headers["retry-after"]) >= 1
    assert len(received(fresh)) == 1
