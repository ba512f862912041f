"""--from-ledger on a ledger filled by real requests through the gateway (metering on, SQLite)."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from pathlib import Path

import httpx
import openai
from asgi_lifespan import LifespanManager
from click.testing import CliRunner

from crossroads.api import create_app
from crossroads.cli import main
from crossroads.config import parse_settings
from crossroads.gateway import Gateway
from tests.metering.backends import UsageBackend


async def send_traffic(url: str) -> None:
    settings = parse_settings(
        {
            "backends": {"openai": {"type": "openai_compat", "base_url": "http://x/v1"}},
            "models": {"gpt-3.5-turbo-0613": {"backend": "openai"}},
            "metering": {"enabled": True, "database_url": url, "ledger": {"flush_ms": 5}},
            "privacy": {"default": {"EMAIL_ADDRESS": "redact", "*": "allow"}},
        },
        "test",
    )
    app = create_app(gateway=Gateway(settings, backends={"openai": UsageBackend("openai")}))  # 1,500 + 500 tokens
    async with LifespanManager(app):
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw")
        client = openai.AsyncOpenAI(base_url="http://gw/v1", api_key="k", http_client=http, max_retries=0)
        texts = ["What is the capital of France?"] * 3 + ["Write to jane.doe@example.com please"]
        for text in texts:
            await client.chat.completions.create(
                model="gpt-3.5-turbo-0613", messages=[{"role": "user", "content": text}]
            )
        await http.aclose()


def test_tco_from_a_real_ledger(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crossroads.db'}"
    asyncio.run(send_traffic(url))
    args = ["tco", "--from-ledger", url, "--api", "gpt-3.5-turbo-0613", "--json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    profile = data["profile"]
    assert Decimal(profile["queries_per_day"]) == 4  # four requests within one day
    assert (Decimal(profile["prompt_tokens"]), Decimal(profile["completion_tokens"])) == (1_500, 500)
    assert Decimal(profile["private_share"]) == Decimal("0.25")
    assert profile["private_by_type"] == {"EMAIL_ADDRESS": 1}
    assert profile["models"] == {"gpt-3.5-turbo-0613": 4}
    # 4 queries/day x 30 days x $0.00325 (the catalog's exact price of one such request)
    assert Decimal(data["options"][0]["monthly"]) == Decimal("0.39")
