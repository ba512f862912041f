"""crossroads usage: spend grouped from the ledger, and the same tokens priced elsewhere."""

from __future__ import annotations

import json
from decimal import Decimal

from click.testing import CliRunner

from crossroads.cli import main
from crossroads.metering.report import usage
from crossroads.store import make_engine
from tests.metering.conftest import client_for, metered_settings, running, usage_backends

HELLO = [{"role": "user", "content": "Hello"}]


async def _traffic(url: str) -> None:
    async with running(metered_settings(url), usage_backends()) as (app, _):
        client = client_for(app)
        for model in ("gpt-3.5-turbo-0613", "gpt-3.5-turbo-0613", "smollm2"):
            await client.chat.completions.create(model=model, messages=HELLO)


async def test_usage_by_model_and_what_if(sqlite_url: str) -> None:
    await _traffic(sqlite_url)
    engine = make_engine(sqlite_url)
    lines = {line.group: line for line in usage(engine, "model")}
    engine.dispose()
    assert lines["gpt-3.5-turbo-0613"].cost == Decimal("0.0065")
    assert (lines["gpt-3.5-turbo-0613"].requests, lines["gpt-3.5-turbo-0613"].prompt_tokens) == (2, 3000)
    assert lines["smollm2"].cost == 0 and lines["smollm2"].prompt_tokens == 20
    result = CliRunner().invoke(
        main, ["usage", "--database", sqlite_url, "--by", "backend", "--compare", "gpt-4o-mini", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {line["group"] for line in data["lines"]} == {"openai", "local"}
    # 3,020 prompt + 1,500 completion tokens at $0.15 / $0.60 per 1M
    assert Decimal(data["what_if"]["openai/gpt-4o-mini-2024-07-18"]) == Decimal("0.001353")


def test_unknown_comparison_model_names_close_matches(sqlite_url: str) -> None:
    CliRunner().invoke(main, ["db", "upgrade", "--database", sqlite_url])
    result = CliRunner().invoke(main, ["usage", "--database", sqlite_url, "--compare", "gpt-4o-mnii"])
    assert result.exit_code == 2 and "did you mean" in result.output
