"""The ledger: one row per request, matching what the openai client saw, priced exactly, written off the path."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, text

from crossroads.catalog import cost_per_million, load_catalog
from crossroads.metering import tokens
from crossroads.metering.content import Sealer
from crossroads.store import LedgerRow, make_engine
from tests.metering.backends import UsageBackend
from tests.metering.conftest import client_for, metered_settings, running, usage_backends

HELLO = [{"role": "user", "content": "What is the capital of France?"}]


def rows(url: str) -> list[Any]:
    engine = make_engine(url)
    with engine.connect() as conn:
        found = list(conn.execute(select(LedgerRow).order_by(LedgerRow.at)))
    engine.dispose()
    return found


async def test_exact_cost_and_tokens_as_the_client_saw_them(sqlite_url: str) -> None:
    async with running(metered_settings(sqlite_url), usage_backends()) as (app, _):
        reply = await client_for(app).chat.completions.create(model="gpt-3.5-turbo-0613", messages=HELLO)
    [row] = rows(sqlite_url)
    assert reply.usage is not None
    assert (row.prompt_tokens, row.completion_tokens) == (reply.usage.prompt_tokens, reply.usage.completion_tokens)
    assert (row.prompt_tokens, row.completion_tokens) == (1500, 500)
    assert row.cost == Decimal("0.00325")
    assert (row.model, row.backend, row.upstream_model, row.status) == (
        "gpt-3.5-turbo-0613",
        "openai",
        reply.model,
        200,
    )
    assert row.usage_source == "upstream" and row.latency_ms > 0 and row.ttft_ms is None
    assert row.content is None  # no text unless content logging is on


async def test_stream_asks_upstream_for_usage_and_hides_it_from_a_client_that_did_not(sqlite_url: str) -> None:
    backends = usage_backends()
    async with running(metered_settings(sqlite_url), backends) as (app, _):
        client = client_for(app)
        plain = [c async for c in await client.chat.completions.create(model="gpt-4o", messages=HELLO, stream=True)]
        asked = await client.chat.completions.create(
            model="gpt-4o", messages=HELLO, stream=True, stream_options={"include_usage": True}
        )
        with_usage = [c async for c in asked]
    assert all(c.usage is None and c.choices for c in plain)
    assert with_usage[-1].usage is not None and with_usage[-1].choices == []
    assert all(call["stream_options"] == {"include_usage": True} for call in backends["openai"].calls)
    for row in rows(sqlite_url):
        assert (row.prompt_tokens, row.completion_tokens, row.stream) == (1500, 500, True)
        assert row.cost == Decimal("0.0087500")  # gpt-4o: 1500 x $2.50 + 500 x $10.00 per 1M
        assert 0 < row.ttft_ms <= row.latency_ms


async def test_tokens_are_counted_when_the_upstream_reports_none(sqlite_url: str) -> None:
    backends = {"openai": UsageBackend("openai", report_usage=False), "local": UsageBackend("local", location="local")}
    async with running(metered_settings(sqlite_url), backends) as (app, _):
        await client_for(app).chat.completions.create(model="gpt-4o", messages=HELLO)
        stream = await client_for(app).chat.completions.create(model="gpt-4o", messages=HELLO, stream=True)
        [c async for c in stream]
    expected_prompt = tokens.count_prompt("gpt-4o", {"messages": HELLO})
    expected_completion = tokens.count_text("gpt-4o", "Paris is the capital of France.")
    for row in rows(sqlite_url):
        assert row.usage_source == "counted"
        assert (row.prompt_tokens, row.completion_tokens) == (expected_prompt, expected_completion)
        assert row.cost == (expected_prompt * Decimal("2.50") + expected_completion * Decimal("10.00")) / 1_000_000


async def test_self_hosted_requests_are_priced_from_gpu_hours(sqlite_url: str) -> None:
    priced = {"smollm2": {"gpu_hourly": "1.80", "tokens_per_second": 500}}
    async with running(metered_settings(sqlite_url, self_hosted=priced), usage_backends()) as (app, _):
        await client_for(app).chat.completions.create(model="smollm2", messages=HELLO)
    [row] = rows(sqlite_url)
    per_million = cost_per_million(Decimal("1.80"), Decimal(500))
    assert row.cost == (20 + 500) * per_million / 1_000_000
    assert row.price_model == "self-hosted/smollm2"


async def test_every_request_is_written_before_shutdown_ends(sqlite_url: str) -> None:
    settings = metered_settings(sqlite_url, ledger={"flush_ms": 2000, "batch_size": 7})
    async with running(settings, usage_backends()) as (app, _):
        client = client_for(app)
        for _ in range(25):
            await client.chat.completions.create(model="gpt-4o", messages=HELLO)
    assert len(rows(sqlite_url)) == 25


async def test_errors_are_rows_too(sqlite_url: str) -> None:
    from crossroads.errors import BadGateway

    class Failing(UsageBackend):
        async def send(self, endpoint: Any, body: Any) -> Any:
            raise BadGateway("upstream fell over")

    backends = {"openai": Failing("openai"), "local": UsageBackend("local", location="local")}
    async with running(metered_settings(sqlite_url), backends) as (app, _):
        with pytest.raises(Exception, match="upstream fell over"):
            await client_for(app).chat.completions.create(model="gpt-4o", messages=HELLO)
    [row] = rows(sqlite_url)
    assert (row.status, row.error_type, row.prompt_tokens, row.cost) == (502, "bad_gateway", 0, Decimal(0))


async def test_content_is_logged_only_when_asked_and_then_encrypted(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("CR_TEST_CONTENT_KEY", key)
    settings = metered_settings(sqlite_url, content_logging={"enabled": True, "key_env": "CR_TEST_CONTENT_KEY"})
    async with running(settings, usage_backends()) as (app, _):
        await client_for(app).chat.completions.create(model="gpt-4o", messages=HELLO)
    [row] = rows(sqlite_url)
    assert b"capital" not in row.content
    opened = Sealer(key).open(row.content)
    assert opened["request"]["messages"] == HELLO and opened["response"] == "Paris is the capital of France."


def test_content_logging_without_its_key_is_refused(sqlite_url: str) -> None:
    from crossroads.errors import ConfigError
    from crossroads.gateway import Gateway

    settings = metered_settings(sqlite_url, content_logging={"enabled": True, "key_env": "CR_TEST_UNSET_KEY"})
    with pytest.raises(ConfigError) as caught:
        Gateway(settings, backends=usage_backends())
    assert "CR_TEST_UNSET_KEY" in str(caught.value) and "Fernet.generate_key" in str(caught.value)


async def test_postgresql_ledger(pg_url: str) -> None:
    async with running(metered_settings(pg_url), usage_backends()) as (app, _):
        await client_for(app).chat.completions.create(model="gpt-3.5-turbo-0613", messages=HELLO)
    [row] = rows(pg_url)
    assert row.cost == Decimal("0.00325")


def test_no_metering_section_means_no_stage_and_no_database(tmp_path: Any) -> None:
    from crossroads.config import parse_settings
    from crossroads.gateway import Gateway

    settings = parse_settings({"backends": {"b": {"type": "embedded"}}, "models": {"m": {"backend": "b"}}}, "t")
    gateway = Gateway(settings, backends={"b": UsageBackend("b", location="local")})
    assert not any(type(s).__name__ == "MeteringStage" for s in gateway.stages)


async def test_a_client_leaving_mid_stream_pays_the_prompt_and_what_was_sent(sqlite_url: str) -> None:
    """The upstream's usage chunk never comes: the gateway counts the prompt and the tokens it passed on."""
    from crossroads.backends import Endpoint
    from crossroads.metering.budget import Budgets
    from crossroads.metering.keys import create_key, list_keys
    from crossroads.store import upgrade

    engine = make_engine(sqlite_url)
    upgrade(engine)
    _, plaintext = create_key(engine, "team-a", budget=Decimal("1"))
    backends = usage_backends()
    async with running(metered_settings(sqlite_url), backends) as (_, gateway):
        body = {"model": "gpt-4o", "messages": HELLO, "stream": True, "max_tokens": 100}
        call = gateway.new_call(Endpoint.CHAT, body, {"authorization": f"Bearer {plaintext}"})
        chunks = await gateway.run_stream(call)
        assert (await anext(chunks))["choices"][0]["delta"]["content"] == "Paris"
        await chunks.aclose()  # what the server does when the client disconnects
    [row] = rows(sqlite_url)
    assert (row.status, row.error_type, row.stream) == (499, "client_closed", True)
    prompt = tokens.count_prompt("gpt-4o", body)
    assert (row.prompt_tokens, row.completion_tokens, row.usage_source) == (prompt, 1, "counted")
    expected = load_catalog().require("gpt-4o").cost(prompt, 1)
    assert row.cost == expected
    assert Budgets(engine).usage(list_keys(engine)[0]) == (expected, Decimal(0))  # charged, reservation released
    engine.dispose()


async def test_privacy_summary_keeps_types_and_counts_never_values(sqlite_url: str) -> None:
    from crossroads.config import parse_settings

    raw = metered_settings(sqlite_url).model_dump(exclude={"source"}, mode="json")
    settings = parse_settings({**raw, "privacy": {"default": {"EMAIL_ADDRESS": "redact"}}}, "test")
    secret = [{"role": "user", "content": "Mail ann@example.com and bob@example.org about it."}]
    async with running(settings, usage_backends()) as (app, _):
        await client_for(app).chat.completions.create(model="gpt-4o", messages=secret)
    [row] = rows(sqlite_url)
    assert row.privacy == {"action": "redact", "entities": {"EMAIL_ADDRESS": 2}, "local_only": False}
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        dump = " ".join(
            str(v) for table in ("ledger", "audit_log") for r in conn.execute(text(f"SELECT * FROM {table}")) for v in r
        )
    engine.dispose()
    assert "ann@example.com" not in dump and "EMAIL_ADDRESS" in dump
