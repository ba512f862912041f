"""The fake upstream on a real socket behind a metered gateway, for money tests with exact Decimals.

Two backends point at the same fake: 'cheap' ($1 / $2 per 1M tokens in / out) and 'dear' ($10 / $30).
The fake counts one token per word (``crossroads.testing.fake_upstream.content``), so every expectation is exact.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select

from crossroads.catalog import ModelPrice
from crossroads.config import Settings, parse_settings
from crossroads.metering.budget import Budgets
from crossroads.metering.keys import KeyRecord, list_keys
from crossroads.store import LedgerRow
from crossroads.testing.fake_upstream import FakeState, Fault

HELLO = [{"role": "user", "content": "Hello there"}]  # 2 prompt tokens for the fake
ANSWER = "one two three four"  # 4 completion tokens for the fake
CHEAP = ModelPrice("cheap", "config", Decimal(1), Decimal(2), cached_input=Decimal("0.5"))
DEAR = ModelPrice("dear", "config", Decimal(10), Decimal(30))
PRICES = {"cheap": {"input": "1", "output": "2", "cached_input": "0.5"}, "dear": {"input": "10", "output": "30"}}


def on(backend: str, **extra: Any) -> dict[str, Any]:
    """A one-deployment group on ``backend`` with its configured price."""
    return {"deployments": [{"backend": backend, "upstream_model": f"m-{backend}", "price": PRICES[backend]}], **extra}


def settings(url: str, db: str, models: dict[str, Any], routing: Any = None, **metering: Any) -> Settings:
    fake = {"type": "openai_compat", "base_url": f"{url}/v1"}
    return parse_settings(
        {
            "backends": {"cheap": fake, "dear": fake},
            "models": models,
            "routing": {"retry": {"backoff": 0.01, "max_backoff": 0.02}, **(routing or {})},
            "metering": {"enabled": True, "database_url": db, "ledger": {"flush_ms": 5}, **metering},
        },
        "test",
    )


def script(state: FakeState, *faults: dict[str, Any]) -> None:
    state.faults.extend(Fault.from_dict(f) for f in faults)


def ledger(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(LedgerRow).order_by(LedgerRow.id)))


def spent(engine: Engine, key: KeyRecord) -> tuple[Decimal, Decimal]:
    [fresh] = [k for k in list_keys(engine) if k.id == key.id]
    return Budgets(engine).usage(fresh)


def received(state: FakeState) -> list[dict[str, Any]]:
    return [r["json"] for r in state.requests if r["method"] == "POST"]
