"""Budgets under concurrency: 200 requests at once against a budget for 50, in one gateway and across two."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import openai
import pytest
from sqlalchemy import Engine, func, select

from crossroads.catalog import load_catalog
from crossroads.metering import tokens
from crossroads.metering.budget import Budgets, settle, sweep
from crossroads.metering.keys import KeyRecord, create_key, list_keys, utcnow
from crossroads.store import make_engine, upgrade
from crossroads.store.models import BudgetReservation
from tests.metering.backends import UsageBackend
from tests.metering.conftest import REDIS_URL, client_for, metered_settings, running

HELLO = [{"role": "user", "content": "Write a haiku about budgets."}]
MAX_TOKENS = 500
PROMPT = tokens.count_prompt("gpt-4o", {"messages": HELLO})
PER_REQUEST = load_catalog().require("gpt-4o").cost(PROMPT, MAX_TOKENS)


def backends() -> dict[str, Any]:
    """The upstream uses exactly what the gateway estimates, so the budget allows exactly 50 requests."""
    return {
        "openai": UsageBackend("openai", prompt_tokens=PROMPT, completion_tokens=MAX_TOKENS, delay=0.01),
        "local": UsageBackend("local", location="local"),
    }


async def _one(client: openai.AsyncOpenAI) -> str:
    try:
        await client.chat.completions.create(model="gpt-4o", messages=HELLO, max_tokens=MAX_TOKENS)
    except openai.RateLimitError as exc:
        assert exc.code == "insufficient_quota"
        assert exc.body["type"] == "insufficient_quota"  # type: ignore[index]
        return "refused"
    return "ok"


def _spent(engine: Engine, key: KeyRecord) -> tuple[Decimal, Decimal]:
    [fresh] = [k for k in list_keys(engine) if k.id == key.id]
    return Budgets(engine).usage(fresh)


async def test_200_concurrent_requests_never_overspend_a_budget_for_50(sqlite_url: str, sqlite_engine: Engine) -> None:
    key, plaintext = create_key(sqlite_engine, "team-a", budget=PER_REQUEST * 50, period="month")
    async with running(metered_settings(sqlite_url), backends()) as (app, _):
        client = client_for(app, key=plaintext)
        outcomes = await asyncio.gather(*(_one(client) for _ in range(200)))
    assert outcomes.count("ok") == 50 and outcomes.count("refused") == 150
    assert _spent(sqlite_engine, key) == (PER_REQUEST * 50, Decimal(0))


async def test_two_gateways_sharing_postgresql_and_redis_never_overspend(pg_url: str, redis_prefix: str) -> None:
    engine = make_engine(pg_url)
    upgrade(engine)
    key, plaintext = create_key(engine, "team-a", budget=PER_REQUEST * 50, period="day", rpm=10_000)
    settings = metered_settings(pg_url, redis_url=REDIS_URL, redis_prefix=redis_prefix, migrate_on_start=False)
    async with running(settings, backends()) as (app_a, _), running(settings, backends()) as (app_b, _):
        clients = [client_for(app_a, key=plaintext), client_for(app_b, key=plaintext)]
        outcomes = await asyncio.gather(*(_one(clients[i % 2]) for i in range(200)))
    assert outcomes.count("ok") == 50
    assert _spent(engine, key) == (PER_REQUEST * 50, Decimal(0))
    engine.dispose()


async def test_estimates_over_actual_are_given_back(sqlite_url: str, sqlite_engine: Engine) -> None:
    key, plaintext = create_key(sqlite_engine, "team-a", budget=Decimal("1"), period="total")
    cheap = {"openai": UsageBackend("openai", prompt_tokens=10, completion_tokens=5), "local": UsageBackend("local")}
    async with running(metered_settings(sqlite_url), cheap) as (app, _):
        await client_for(app, key=plaintext).chat.completions.create(model="gpt-4o", messages=HELLO, max_tokens=4000)
    expected = load_catalog().require("gpt-4o").cost(10, 5)
    assert _spent(sqlite_engine, key) == (expected, Decimal(0))


async def test_a_spent_budget_names_the_fix(sqlite_url: str, sqlite_engine: Engine) -> None:
    _, plaintext = create_key(sqlite_engine, "team-b", budget=Decimal("0"), period="week")
    async with running(metered_settings(sqlite_url), backends()) as (app, _):
        with pytest.raises(openai.RateLimitError) as caught:
            await client_for(app, key=plaintext).chat.completions.create(model="gpt-4o", messages=HELLO)
    assert caught.value.status_code == 429
    assert "team-b" in caught.value.message and "$0 for this week" in caught.value.message


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[Engine]:
    url = sqlite_url if request.param == "sqlite" else request.getfixturevalue("pg_url")
    engine = make_engine(url)
    upgrade(engine)
    yield engine
    engine.dispose()


def _held(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(BudgetReservation)).scalar_one())


def test_a_reservation_is_a_row_until_it_is_settled(store: Engine) -> None:
    key, _ = create_key(store, "team-a", budget=Decimal("10"), period="month")
    budgets = Budgets(store)
    held = budgets.reserve(key, Decimal("3"))
    assert held is not None and _held(store) == 1 and budgets.usage(key) == (Decimal(0), Decimal("3"))
    assert budgets.reserve(key, Decimal("8")) is None and _held(store) == 1  # refused: no row either
    with store.begin() as conn:
        settle(conn, [(held, Decimal("1.25"))])
    assert _held(store) == 0 and budgets.usage(key) == (Decimal("1.25"), Decimal(0))


def test_reservations_of_a_process_that_died_are_swept_once(store: Engine) -> None:
    """A process killed mid-request never settles: past the time to live its reservation is released, once (two
    replicas sweeping alike release it once), and a request that still settles late adds only its cost."""
    key, _ = create_key(store, "team-a", budget=Decimal("10"), period="month")
    budgets = Budgets(store, ttl=timedelta(minutes=10))
    lost, late, live = (budgets.reserve(key, Decimal(n)) for n in ("4", "3", "2"))
    assert lost is not None and late is not None and live is not None
    assert budgets.reserve(key, Decimal("2")) is None  # 4 + 3 + 2 held of 10
    assert sweep(store, utcnow()) == 0  # nothing expired yet
    with store.begin() as conn:
        settle(conn, [(live, Decimal("2"))])
    assert sweep(store, utcnow() + timedelta(minutes=11)) == 2  # the lost one and the late one
    assert sweep(store, utcnow() + timedelta(minutes=11)) == 0
    assert budgets.usage(key) == (Decimal("2"), Decimal(0))
    with store.begin() as conn:
        settle(conn, [(late, Decimal("2.5"))])  # released already: only its cost is added
    assert budgets.usage(key) == (Decimal("4.5"), Decimal(0)) and _held(store) == 0
    assert budgets.reserve(key, Decimal("5.5")) is not None  # the budget is whole again: 4.5 spent, 5.5 free


async def test_the_gateway_sweeps_expired_reservations_when_it_starts(sqlite_url: str, sqlite_engine: Engine) -> None:
    key, _ = create_key(sqlite_engine, "team-a", budget=Decimal("10"), period="month")
    assert Budgets(sqlite_engine, ttl=timedelta(seconds=-1)).reserve(key, Decimal("4")) is not None  # expired at once
    async with running(metered_settings(sqlite_url), backends()):
        for _ in range(100):
            if _held(sqlite_engine) == 0:
                break
            await asyncio.sleep(0.02)
    assert _held(sqlite_engine) == 0 and _spent(sqlite_engine, key) == (Decimal(0), Decimal(0))
