"""Where a price comes from, what a budget reserves and what it lets the upstream write — against the
fake upstream on a real socket (``fake_money``), with exact Decimals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import openai
import pytest
from sqlalchemy import Engine

from crossroads.catalog import ModelPrice
from crossroads.metering import tokens
from crossroads.metering.keys import create_key
from tests.metering.conftest import client_for, running
from tests.metering.fake_money import (
    ANSWER,
    CHEAP,
    DEAR,
    HELLO,
    ledger,
    on,
    received,
    script,
    settings,
    spent,
)

# ---- where a price comes from ------------------------------------------------------------------


async def test_a_deployment_price_wins_over_the_catalog(up: Any, sqlite_url: str, sqlite_engine: Engine) -> None:
    url, state = up
    script(state, {"content": ANSWER})
    models = {"gpt-4o": {"deployments": [{"backend": "cheap", "price": {"input": "1000", "output": "1000"}}]}}
    async with running(settings(url, sqlite_url, models), None) as (app, _):
        await client_for(app).chat.completions.create(model="gpt-4o", messages=HELLO)  # type: ignore[arg-type]
    [row] = ledger(sqlite_engine)
    assert (row.price_model, row.cost) == ("config/cheap:gpt-4o", Decimal(6 * 1000) / 1_000_000)


async def test_a_budgeted_key_may_not_use_an_unpriced_model(up: Any, sqlite_url: str, sqlite_engine: Engine) -> None:
    url, state = up
    models = {"mystery": {"backend": "cheap", "upstream_model": "no-such-model-in-any-catalog"}}
    _, budgeted = create_key(sqlite_engine, "team-a", budget=Decimal("0.50"))
    _, free = create_key(sqlite_engine, "team-b")
    async with running(settings(url, sqlite_url, models), None) as (app, _):
        with pytest.raises(openai.PermissionDeniedError) as refused:
            await client_for(app, budgeted).chat.completions.create(model="mystery", messages=HELLO)  # type: ignore[arg-type]
        await client_for(app, free).chat.completions.create(model="mystery", messages=HELLO)  # type: ignore[arg-type]
    assert refused.value.code == "model_not_priced"
    assert "cheap:no-such-model-in-any-catalog" in refused.value.message and "price:" in refused.value.message
    assert len(received(state)) == 1  # only the unbudgeted key's request went upstream
    assert [r.cost for r in ledger(sqlite_engine) if r.status == 200] == [None]


async def test_unpriced_allow_lets_budgeted_keys_through(up: Any, sqlite_url: str, sqlite_engine: Engine) -> None:
    url, _ = up
    models = {"mystery": {"backend": "cheap", "upstream_model": "no-such-model-in-any-catalog"}}
    _, budgeted = create_key(sqlite_engine, "team-a", budget=Decimal("0.50"))
    async with running(settings(url, sqlite_url, models, unpriced="allow"), None) as (app, _):
        reply = await client_for(app, budgeted).chat.completions.create(model="mystery", messages=HELLO)  # type: ignore[arg-type]
    assert reply.choices[0].message.content


async def test_max_tokens_beyond_the_bound_is_a_400(up: Any, sqlite_url: str, sqlite_engine: Engine) -> None:
    url, state = up
    _, plaintext = create_key(sqlite_engine, "team-a", budget=Decimal("0.50"))
    async with running(settings(url, sqlite_url, {"cheap": on("cheap")}), None) as (app, _):
        with pytest.raises(openai.BadRequestError) as caught:
            await client_for(app, plaintext).chat.completions.create(
                model="cheap",
                messages=HELLO,  # type: ignore[arg-type]
                max_tokens=10**12,
            )
    assert (caught.value.code, caught.value.param) == ("integer_above_max_value", "max_tokens")
    assert "server.max_tokens" in caught.value.message and received(state) == []


# ---- what a budget reserves, and what it lets the upstream write --------------------------------


@pytest.mark.parametrize("stream", [False, True], ids=["send", "stream"])
async def test_the_reservation_caps_the_upstream_output(
    up: Any, sqlite_url: str, sqlite_engine: Engine, stream: bool
) -> None:
    url, state = up
    script(state, {"tokens": 50}, {"tokens": 50}, {"tokens": 50})
    key, plaintext = create_key(sqlite_engine, "team-a", budget=Decimal("1"))
    _, unbudgeted = create_key(sqlite_engine, "team-b")
    config = settings(url, sqlite_url, {"cheap": on("cheap")}, completion_estimate=10)
    async with running(config, None) as (app, _):
        budgeted, own_limit, free = [
            await _chat(client_for(app, k), stream, **kw)
            for k, kw in ((plaintext, {}), (plaintext, {"max_tokens": 5}), (unbudgeted, {}))
        ]
    sent = received(state)
    assert [b.get("max_tokens") for b in sent] == [10, 5, None]  # the client's own lower limit wins
    assert (budgeted, own_limit, free) == (("length", 10), ("length", 5), ("stop", 50))
    assert spent(sqlite_engine, key) == (CHEAP.cost(2, 10) + CHEAP.cost(2, 5), Decimal(0))


async def _chat(client: openai.AsyncOpenAI, stream: bool, **kw: Any) -> tuple[str, int]:
    """(finish_reason, completion tokens) as the client saw them."""
    if not stream:
        reply = await client.chat.completions.create(model="cheap", messages=HELLO, **kw)  # type: ignore[arg-type]
        assert reply.usage is not None
        return reply.choices[0].finish_reason, reply.usage.completion_tokens
    chunks = await client.chat.completions.create(
        model="cheap",
        messages=HELLO,  # type: ignore[arg-type]
        stream=True,
        stream_options={"include_usage": True},
        **kw,
    )
    finish, used = "", -1
    async for chunk in chunks:
        finish = next((c.finish_reason for c in chunk.choices if c.finish_reason), finish)
        used = chunk.usage.completion_tokens if chunk.usage else used
    return finish, used


def _reservation(price: ModelPrice, completion: int, body: dict[str, Any], model: str = "cheap") -> Decimal:
    return price.cost(tokens.count_prompt(model, body), completion)


async def _refused_or_ok(client: openai.AsyncOpenAI, **kw: Any) -> str:
    try:
        await client.chat.completions.create(messages=HELLO, **kw)  # type: ignore[arg-type]
    except openai.RateLimitError as exc:
        assert exc.code == "insufficient_quota"
        return "refused"
    return "ok"


async def test_the_reservation_is_priced_where_a_rule_may_send_the_request(
    up: Any, sqlite_url: str, sqlite_engine: Engine
) -> None:
    """A rule sends 'cheap' to the dear model: a budget that covers only the cheap model is not enough."""
    url, state = up
    body = {"model": "cheap", "messages": HELLO}
    dear_reserve = _reservation(DEAR, 10, body)
    _, short = create_key(sqlite_engine, "short", budget=dear_reserve - Decimal("1e-12"), period="total")
    _, exact = create_key(sqlite_engine, "exact", budget=dear_reserve, period="total")
    routing = {"rules": [{"when": {"model": ["cheap"]}, "use": "dear"}]}
    models = {"cheap": on("cheap"), "dear": on("dear")}
    async with running(settings(url, sqlite_url, models, routing, completion_estimate=10), None) as (app, _):
        outcomes = [await _refused_or_ok(client_for(app, k), model="cheap") for k in (short, exact)]
    assert outcomes == ["refused", "ok"]
    assert [b["model"] for b in received(state)] == ["m-dear"]


@pytest.mark.parametrize(
    ("route", "bound"),
    [
        ({"fallbacks": ["dear"]}, lambda p, c: DEAR.cost(p, c)),  # the dearest candidate
        ({"cascade": {"validators": [{"type": "min_length", "chars": 1}]}}, None),  # every step may be billed
    ],
    ids=["fallback", "cascade"],
)
async def test_the_reservation_covers_fallbacks_and_cascades(
    up: Any, sqlite_url: str, sqlite_engine: Engine, route: dict[str, Any], bound: Any
) -> None:
    url, _ = up
    body = {"model": "chat", "messages": HELLO}
    prompt = tokens.count_prompt("chat", body)
    models = {"chat": on("cheap", **route), "dear": on("dear")}
    if bound is None:  # cascade over cheap then dear
        models["chat"] = {"deployments": [*on("cheap")["deployments"], *on("dear")["deployments"]], **route}
        bound = lambda p, c: CHEAP.cost(p, c) + DEAR.cost(p, c)  # noqa: E731
    need = bound(prompt, 10)
    _, short = create_key(sqlite_engine, "short", budget=need - Decimal("1e-12"), period="total")
    _, exact = create_key(sqlite_engine, "exact", budget=need, period="total")
    async with running(settings(url, sqlite_url, models, completion_estimate=10), None) as (app, _):
        outcomes = [await _refused_or_ok(client_for(app, k), model="chat") for k in (short, exact)]
    assert outcomes == ["refused", "ok"]


async def test_the_reservation_multiplies_by_n_and_by_prompts(up: Any, sqlite_url: str, sqlite_engine: Engine) -> None:
    url, _ = up
    prompts = [f"prompt number {i}" for i in range(20)]
    per_n = _reservation(CHEAP, 10 * 3, {"messages": HELLO})
    per_prompts = CHEAP.cost(tokens.count_prompt("cheap", {"prompt": prompts}), 10 * 20)
    keys = {
        name: create_key(sqlite_engine, name, budget=amount, period="total")[1]
        for name, amount in (
            ("n-short", per_n - Decimal("1e-12")),
            ("n-exact", per_n),
            ("p-short", per_prompts - Decimal("1e-12")),
            ("p-exact", per_prompts),
        )
    }
    async with running(settings(url, sqlite_url, {"cheap": on("cheap")}, completion_estimate=10), None) as (app, _):
        n = [await _refused_or_ok(client_for(app, keys[k]), model="cheap", n=3) for k in ("n-short", "n-exact")]
        listed = []
        for name in ("p-short", "p-exact"):
            try:
                await client_for(app, keys[name]).completions.create(model="cheap", prompt=prompts)
                listed.append("ok")
            except openai.RateLimitError:
                listed.append("refused")
    assert (n, listed) == (["refused", "ok"], ["refused", "ok"])


async def test_a_request_that_could_cost_more_than_the_budget_is_refused_before_the_database(
    up: Any, sqlite_url: str, sqlite_engine: Engine
) -> None:
    """2,048 prompts × n=128 × 1M tokens at $1,000 per 1M (2.6e8 USD: past what a picodollar column holds)
    is answered 429, not 500."""
    url, state = up
    _, plaintext = create_key(sqlite_engine, "team-a", budget=Decimal("100"))
    price = {"input": "1000", "output": "1000"}
    models = {"dear": {"deployments": [{"backend": "dear", "upstream_model": "m-dear", "price": price}]}}
    async with running(settings(url, sqlite_url, models), None) as (app, _):
        with pytest.raises(openai.RateLimitError) as caught:
            await client_for(app, plaintext).completions.create(
                model="dear", prompt=["x"] * 2048, n=128, max_tokens=1_000_000
            )
    assert caught.value.code == "insufficient_quota" and received(state) == []
