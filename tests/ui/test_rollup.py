"""The dashboard's rollups say what the ledger says: after batches of varied ledger rows (keys, models,
errors, privacy actions, streams, shadow and cascade rows, fallbacks) written as the writer writes them, every
sum the pages read equals the same sum over the ledger rows, on SQLite and PostgreSQL; ``rebuild`` (the
migration's backfill) gives the same tables; and the pages' queries read the same numbers on both."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from crossroads.metering import rollup
from crossroads.metering.keys import utcnow
from crossroads.store import make_engine, upgrade
from crossroads.store.models import LatencyRollup, LedgerRow, OutcomeRollup, PrivacyRollup, TrafficMinute, UsageRollup
from crossroads.ui import queries, ranges
from tests.metering.conftest import pg_url, sqlite_url

__all__ = ["pg_url", "sqlite_url"]


def rows(n: int, seed: int = 1) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    now = utcnow()
    out = []
    for i in range(n):
        kind = rng.choice(["request"] * 8 + ["shadow", "extra"])
        status = rng.choice([200] * 6 + [429, 502])
        action = rng.choice([None, None, "pseudonymize", "keep_local", "block"])
        privacy = None if action is None else {"action": action, "entities": {"EMAIL_ADDRESS": rng.randint(1, 3)},
                                               "local_only": action != "pseudonymize"}  # fmt: skip
        reason = rng.choice(["model m; priority -> a:x", "model m; fallback b -> b:y; after a:x 502 bad_gateway"])
        out.append(
            {
                "id": f"r{i}" + (".1" if kind == "extra" else ""),
                "at": now - timedelta(minutes=rng.randint(0, 60 * 50)),
                "key_id": "shadow" if kind == "shadow" else rng.choice([None, "key_a", "key_b"]),
                "endpoint": "chat.completions",
                "stream": False,
                "model": rng.choice(["m1", "m2"]),
                "backend": rng.choice(["a", "b", None]),
                "upstream_model": None,
                "prompt_tokens": rng.randint(0, 500),
                "cached_tokens": 0,
                "completion_tokens": rng.randint(0, 500),
                "reasoning_tokens": 0,
                "usage_source": "upstream",
                "cost": None if rng.random() < 0.1 else Decimal(rng.randint(0, 10**6)) / Decimal(10**9),
                "price_model": None,
                "latency_ms": rng.uniform(0.2, 5000),
                "ttft_ms": rng.choice([None, rng.uniform(1, 900)]),
                "status": status,
                "error_type": None if status == 200 else "upstream_error",
                "route_reason": reason,
                "privacy": privacy,
                "content": None,
            }
        )
    return out


def write(engine: Any, batch: list[dict[str, Any]]) -> None:
    with engine.begin() as conn:
        conn.execute(insert(LedgerRow), batch)
        rollup.add(conn, batch)


def tables(engine: Any) -> dict[str, list[tuple[Any, ...]]]:
    found = {}
    with engine.connect() as conn:
        for model in (UsageRollup, OutcomeRollup, TrafficMinute, LatencyRollup, PrivacyRollup):
            cols = [c for c in model.__table__.columns if c.name != "id"]
            found[model.__tablename__] = sorted(tuple(r) for r in conn.execute(select(*cols)))
    return found


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> Any:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    e = make_engine(url)
    upgrade(e)
    yield e
    e.dispose()


def test_rollups_equal_the_ledger_and_rebuild_gives_the_same(engine: Any) -> None:
    data = rows(1500)
    for start in range(0, len(data), 400):  # batches share hours and groups: the upserts add up
        write(engine, data[start : start + 400])
    requests = [r for r in data if r["key_id"] != "shadow" and "." not in r["id"]]
    r = ranges.parse("7d")
    with engine.connect() as conn:
        page = queries.overview(conn, r)
        privacy = queries.privacy(conn, r)
        for span in ("hour", "day"):
            L = LatencyRollup
            latency = conn.execute(select(func.sum(L.requests)).where(L.measure == "latency", L.span == span))
            assert latency.scalar_one() == len(requests)
    assert page["requests"] == len(requests)
    assert page["errors"] == sum(1 for x in requests if x["status"] >= 400)
    assert Decimal(page["spend"]) == sum((x["cost"] or Decimal(0) for x in data), Decimal(0))
    by_key: Counter[str] = Counter()
    for x in data:
        by_key[x["key_id"] or ""] += x["cost"] or Decimal(0)  # type: ignore[assignment]
    assert {row["id"]: Decimal(row["spend"]) for row in page["by_key"]} == {k: v for k, v in by_key.items()}
    assert privacy["blocked"] == sum(1 for x in requests if (x["privacy"] or {}).get("action") == "block")
    local = [x["privacy"] for x in requests if (x["privacy"] or {}).get("local_only")]
    assert privacy["kept_local"] == sum(1 for p in local if p["action"] != "block")
    with engine.connect() as conn:
        routing = queries.routing(conn, r)
    assert sum(h["fallbacks"] for h in routing) == sum(1 for x in requests if "fallback" in x["route_reason"])
    assert sum(h["retries"] for h in routing) == sum(1 for x in requests if "after " in x["route_reason"])
    for name in ("1h", "6h", "24h", "today", "month"):  # hours, days and the edge between them
        r = ranges.parse(name)
        with engine.connect() as conn:
            shown = queries.overview(conn, r)
        inside = [x for x in data if x["at"] >= r.start]
        assert shown["requests"] == sum(1 for x in requests if x["at"] >= r.start), name
        assert Decimal(shown["spend"]) == sum((x["cost"] or Decimal(0) for x in inside), Decimal(0)), name
    before = tables(engine)
    with engine.begin() as conn:
        assert rollup.rebuild(conn, page=500) == len(data)
    assert tables(engine) == before


def test_the_migration_fills_the_rollups_from_a_ledger_already_written(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    upgrade(engine, "0004")
    data = rows(300, seed=2)
    with engine.begin() as conn:
        conn.execute(insert(LedgerRow), data)
    upgrade(engine)
    migrated = tables(engine)
    with engine.begin() as conn:
        rollup.rebuild(conn)
    hourly = [r for r in migrated["usage_rollup"] if r[0] == "hour"]
    assert tables(engine) == migrated and sum(r[6] for r in hourly) == len(data)
    engine.dispose()


def test_percentiles_are_within_half_a_bin_of_the_exact_ones() -> None:
    values = sorted(random.Random(5).lognormvariate(5, 1) for _ in range(5000))
    bins = sorted(Counter(rollup.bin_of(v) for v in values).items())
    for q in (0.5, 0.99):
        exact = values[int(q * (len(values) - 1))]
        shown = queries.quantile(bins, q)
        assert shown is not None and abs(shown - exact) <= exact * 0.026
    assert queries.quantile([], 0.5) is None
