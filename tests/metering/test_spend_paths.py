"""Spend on every path through the gateway, exact to the picodollar, against the fake upstream: streamed
and not, n > 1, prompt lists, cached and reasoning tokens, tool calls, an upstream failing mid-stream, a
client leaving mid-stream, retries, fallbacks, cascades (every step), and shadow copies (their own account)."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any

import httpx
import openai
import pytest
from sqlalchemy import Engine

from crossroads.api import create_app
from crossroads.backends import Endpoint
from crossroads.metering import tokens
from crossroads.metering.keys import create_key
from crossroads.testing.server import serving
from tests.metering.conftest import client_for, running
from tests.metering.fake_money import ANSWER, CHEAP, DEAR, HELLO, ledger, on, received, script, settings, spent

BUDGET = Decimal("1")


async def _one(app: Any, key: str, stream: bool, **kw: Any) -> str:
    client = client_for(app, key)
    if not stream:
        reply = await client.chat.completions.create(model="chat", messages=HELLO, **kw)  # type: ignore[arg-type]
        return str(reply.choices[0].message.content)
    chunks = await client.chat.completions.create(model="chat", messages=HELLO, stream=True, **kw)  # type: ignore[arg-type]
    return "".join([c.choices[0].delta.content or "" async for c in chunks if c.choices])


@pytest.mark.parametrize("stream", [False, True], ids=["send", "stream"])
@pytest.mark.parametrize(
    ("fault", "kw", "expected"),
    [
        ({"content": ANSWER}, {}, CHEAP.cost(2, 4)),
        ({"content": ANSWER}, {"n": 3}, CHEAP.cost(2, 12)),
        ({"content": ANSWER, "cached_tokens": 1}, {}, CHEAP.cost(2, 4, cached_tokens=1)),
        ({"content": ANSWER, "reasoning_tokens": 7}, {}, CHEAP.cost(2, 4 + 7)),
    ],
    ids=["plain", "n=3", "cached", "reasoning"],
)
async def test_an_answer_costs_exactly_its_usage(
    up: Any, sqlite_url: str, sqlite_engine: Engine, stream: bool, fault: dict[str, Any], kw: Any, expected: Decimal
) -> None:
    url, state = up
    script(state, fault)
    key, plaintext = create_key(sqlite_engine, "team-a", budget=BUDGET)
    async with running(settings(url, sqlite_url, {"chat": on("cheap")}), None) as (app, _):
        await _one(app, plaintext, stream, **kw)
    [row] = ledger(sqlite_engine)
    assert (row.cost, row.usage_source) == (expected, "upstream")
    assert spent(sqlite_engine, key) == (expected, Decimal(0))


async def test_a_tool_call_costs_its_arguments(up: Any, sqlite_url: str, sqlite_engine: Engine) -> None:
    url, _ = up
    key, plaintext = create_key(sqlite_engine, "team-a", budget=BUDGET)
    tool = {"type": "function", "function": {"name": "weather", "parameters": {"type": "object"}}}
    async with running(settings(url, sqlite_url, {"chat": on("cheap")}), None) as (app, _):
        reply = await client_for(app, plaintext).chat.completions.create(
            model="chat",
            messages=HELLO,  # type: ignore[arg-type]
            tools=[tool],  # type: ignore[list-item]
            tool_choice="required",
        )
    assert reply.choices[0].message.tool_calls and reply.usage is not None
    expected = CHEAP.cost(2, reply.usage.completion_tokens)
    assert reply.usage.completion_tokens > 0 and spent(sqlite_engine, key) == (expected, Decimal(0))


async def test_a_prompt_list_costs_every_answer(up: Any, sqlite_url: str, sqlite_engine: Engine) -> None:
    url, state = up
    script(state, {"content": ANSWER})
    key, plaintext = create_key(sqlite_engine, "team-a", budget=BUDGET)
    prompts = ["first prompt here", "second one"]  # 3 + 2 prompt tokens; 4 answer tokens each, twice (n=2)
    async with running(settings(url, sqlite_url, {"chat": on("cheap")}), None) as (app, _):
        await client_for(app, plaintext).completions.create(model="chat", prompt=prompts, n=2)
    assert spent(sqlite_engine, key) == (CHEAP.cost(5, 16), Decimal(0))


async def test_a_stream_failing_midway_charges_what_was_produced(
    up: Any, sqlite_url: str, sqlite_engine: Engine
) -> None:
    """The upstream drops the connection after 3 events (role + two words): no usage arrives, so the gateway
    charges the prompt and the words that reached it, counted itself."""
    url, state = up
    script(state, {"content": "alpha beta gamma delta epsilon", "disconnect_after": 3})
    key, plaintext = create_key(sqlite_engine, "team-a", budget=BUDGET)
    async with running(settings(url, sqlite_url, {"chat": on("cheap")}), None) as (app, _):
        with pytest.raises(openai.APIError):
            await _one(app, plaintext, True)
    [row] = ledger(sqlite_engine)
    body = {"model": "chat", "messages": HELLO}
    prompt, completion = tokens.count_prompt("m-cheap", body), tokens.count_text("m-cheap", "alpha beta")
    assert (row.status, row.usage_source, row.prompt_tokens, row.completion_tokens) == (
        502,
        "counted",
        prompt,
        completion,
    )
    assert spent(sqlite_engine, key) == (CHEAP.cost(prompt, completion), Decimal(0))


async def test_a_client_leaving_midway_pays_the_prompt_and_what_was_sent(
    up: Any, sqlite_url: str, sqlite_engine: Engine
) -> None:
    url, state = up
    script(state, {"tokens": 200, "token_delay_ms": 5})
    key, plaintext = create_key(sqlite_engine, "team-a", budget=BUDGET)
    async with running(settings(url, sqlite_url, {"chat": on("cheap")}), None) as (_, gateway):
        body = {"model": "chat", "messages": HELLO, "stream": True}
        call = gateway.new_call(Endpoint.CHAT, body, {"authorization": f"Bearer {plaintext}"})
        chunks = await gateway.run_stream(call)
        seen = [await anext(chunks) for _ in range(6)]
        await chunks.aclose()  # what the server does when the client disconnects
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in seen)
    [row] = ledger(sqlite_engine)
    prompt, completion = tokens.count_prompt("m-cheap", body), tokens.count_text("m-cheap", text)
    assert (row.status, row.prompt_tokens, row.completion_tokens) == (499, prompt, completion) and completion >= 5
    assert spent(sqlite_engine, key) == (CHEAP.cost(prompt, completion), Decimal(0))


@pytest.mark.parametrize("stream", [False, True], ids=["send", "stream"])
@pytest.mark.parametrize(
    ("faults", "went", "answered"),
    [
        ([{"status": 503}, {"status": 503}], ["m-cheap", "m-dear", "m-cheap"], CHEAP),  # a retry round: cheap
        ([{"status": 503}], ["m-cheap", "m-dear"], DEAR),  # the fallback answers
    ],
    ids=["retry", "fallback"],
)
async def test_retries_and_fallbacks_cost_the_attempt_that_answered(
    up: Any, sqlite_url: str, sqlite_engine: Engine, stream: bool, faults: Any, went: list[str], answered: Any
) -> None:
    """Failed attempts produced nothing and cost nothing; the answer costs its deployment's own price."""
    url, state = up
    script(state, *faults, {"content": ANSWER})
    key, plaintext = create_key(sqlite_engine, "team-a", budget=BUDGET)
    models = {"chat": on("cheap", fallbacks=["backup"]), "backup": on("dear")}
    routing = {"retry": {"retries": 1, "backoff": 0.01, "max_backoff": 0.02}, "breaker": {"failures": 10}}
    async with running(settings(url, sqlite_url, models, routing), None) as (app, _):
        assert await _one(app, plaintext, stream) == ANSWER
    assert [b["model"] for b in received(state)] == went
    [row] = ledger(sqlite_engine)
    assert row.cost == answered.cost(2, 4) and spent(sqlite_engine, key) == (answered.cost(2, 4), Decimal(0))


@pytest.mark.parametrize("stream", [False, True], ids=["send", "stream"])
async def test_a_cascade_charges_every_step_it_took(
    up: Any, sqlite_url: str, sqlite_engine: Engine, stream: bool
) -> None:
    url, state = up
    script(state, {"content": ANSWER}, {"content": ANSWER + " five six"})
    key, plaintext = create_key(sqlite_engine, "team-a", budget=BUDGET)
    steps = [*on("cheap")["deployments"], *on("dear")["deployments"]]
    cascade = {"validators": [{"type": "min_length", "chars": 25}]}  # the 18-character cheap answer fails
    models = {"chat": {"deployments": steps, "cascade": cascade}}
    async with running(settings(url, sqlite_url, models), None) as (app, _):
        assert await _one(app, plaintext, stream) == ANSWER + " five six"
    rows = ledger(sqlite_engine)
    assert [(r.backend, r.cost) for r in rows] == [("dear", DEAR.cost(2, 6)), ("cheap", CHEAP.cost(2, 4))]
    assert rows[1].route_reason == f"cascade step turned down for {rows[0].id}"
    assert spent(sqlite_engine, key) == (DEAR.cost(2, 6) + CHEAP.cost(2, 4), Decimal(0))


async def test_a_shadow_copy_is_charged_to_its_own_account(up: Any, sqlite_url: str, sqlite_engine: Engine) -> None:
    url, state = up
    script(state, {"content": ANSWER}, {"content": ANSWER + " five"})
    key, plaintext = create_key(sqlite_engine, "team-a", budget=BUDGET)
    shadow = [{"backend": "dear", "upstream_model": "m-dear", "sample": 1.0, "price": {"input": 10, "output": 30}}]
    models = {"chat": on("cheap", shadow=shadow)}
    routing = {"shadow_log": str(sqlite_url.removeprefix("sqlite:///")) + ".shadow.jsonl"}
    async with running(settings(url, sqlite_url, models, routing), None) as (app, _):
        await _one(app, plaintext, False)
    rows = {r.key_id: r for r in ledger(sqlite_engine)}
    assert rows["shadow"].cost == DEAR.cost(2, 5) and rows["shadow"].backend == "dear"
    assert rows[key.id].cost == CHEAP.cost(2, 4)
    assert spent(sqlite_engine, key) == (CHEAP.cost(2, 4), Decimal(0))  # never the client's budget


async def test_a_judge_call_is_charged_to_the_request_it_judged(
    up: Any, sqlite_url: str, sqlite_engine: Engine
) -> None:
    """A cascade with a judge: the cheap answer, then the judge's call (at the judge's own price) — both paid."""
    url, state = up
    script(state, {"content": ANSWER}, {"content": "9"})
    key, plaintext = create_key(sqlite_engine, "team-a", budget=BUDGET)
    steps = [*on("cheap")["deployments"], *on("dear")["deployments"]]
    cascade = {"validators": [{"type": "judge", "model": "judge", "threshold": 7}]}
    models = {"chat": {"deployments": steps, "cascade": cascade}, "judge": on("dear")}
    async with running(settings(url, sqlite_url, models), None) as (app, _):
        assert await _one(app, plaintext, False) == ANSWER  # the judge accepted the cheap answer
    judged = received(state)[1]
    judge_prompt = sum(len(str(m["content"]).split()) for m in judged["messages"])  # the fake's own count
    rows = ledger(sqlite_engine)
    assert [(r.backend, r.route_reason) for r in rows] == [
        ("cheap", rows[0].route_reason),
        ("dear", f"judge call for {rows[0].id}"),
    ]
    expected = CHEAP.cost(2, 4) + DEAR.cost(judge_prompt, 1)
    assert spent(sqlite_engine, key) == (expected, Decimal(0))


async def test_a_client_closing_a_stream_on_a_real_socket_pays_what_reached_the_gateway(
    up: Any, sqlite_url: str, sqlite_engine: Engine
) -> None:
    url, state = up
    script(state, {"tokens": 2000, "token_delay_ms": 1})
    key, plaintext = create_key(sqlite_engine, "team-a", budget=BUDGET)
    app = create_app(settings(url, sqlite_url, {"chat": on("cheap")}))
    received_text = ""
    with serving(app) as gw:
        body = {"model": "chat", "messages": HELLO, "stream": True}
        headers = {"authorization": f"Bearer {plaintext}"}
        with httpx.stream("POST", f"{gw}/v1/chat/completions", json=body, headers=headers, timeout=30) as r:
            for line in r.iter_lines():
                if line.startswith("data: {"):
                    received_text += json.loads(line[6:])["choices"][0]["delta"].get("content") or ""
                if len(received_text.split()) >= 100:
                    break  # the client goes away long before the 2,000th token
        deadline = time.monotonic() + 10
        while not ledger(sqlite_engine) and time.monotonic() < deadline:
            time.sleep(0.05)
    [row] = ledger(sqlite_engine)
    sent = tokens.count_text("m-cheap", received_text)
    assert row.status == 499 and sent <= row.completion_tokens < tokens.count_text("m-cheap", "tok " * 2000)
    assert row.cost == CHEAP.cost(row.prompt_tokens, row.completion_tokens) > 0
    assert spent(sqlite_engine, key) == (row.cost, Decimal(0))
