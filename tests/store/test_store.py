"""The store: packaged migrations on a real SQLite file and the local PostgreSQL; money stays exact."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal

import pytest
from alembic import command
from sqlalchemy import Engine, func, insert, inspect, select, text

from crossroads.store import AuditHead, LedgerRow, current_revision, head_revision, make_engine, upgrade
from crossroads.store.migrate import alembic_config

TABLES = {"api_keys", "budget_usage", "budget_reservations", "ledger", "audit_log", "audit_head", "alembic_version"}


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    engine = make_engine(url)
    yield engine
    engine.dispose()


def _row(cost: Decimal, ident: str) -> dict[str, object]:
    return {
        "id": ident,
        "at": datetime(2026, 11, 27, 12, 0, 0, 123456),
        "endpoint": "chat/completions",
        "stream": False,
        "model": "gpt-3.5-turbo-0613",
        "prompt_tokens": 1500,
        "cached_tokens": 0,
        "completion_tokens": 500,
        "reasoning_tokens": 0,
        "usage_source": "upstream",
        "cost": cost,
        "latency_ms": 12.5,
        "status": 200,
    }


def test_upgrade_creates_the_schema_once(engine: Engine) -> None:
    assert current_revision(engine) is None
    assert upgrade(engine) == (None, head_revision(engine))
    assert upgrade(engine) == (head_revision(engine), head_revision(engine))
    assert set(inspect(engine).get_table_names()) >= TABLES
    with engine.connect() as conn:
        assert conn.execute(select(AuditHead.seq, AuditHead.hash)).one() == (0, "0" * 64)


def test_downgrade_then_upgrade_round_trips(engine: Engine) -> None:
    upgrade(engine)
    command.downgrade(alembic_config(engine), "base")
    assert "ledger" not in inspect(engine).get_table_names()
    upgrade(engine)
    assert "ledger" in inspect(engine).get_table_names()


def test_money_is_exact_and_sums_exactly(engine: Engine) -> None:
    upgrade(engine)
    amounts = [Decimal("0.00325"), Decimal("0.0000000375"), Decimal("49.999999999999")]
    with engine.begin() as conn:
        conn.execute(insert(LedgerRow), [_row(a, f"r{i}") for i, a in enumerate(amounts)])
    with engine.connect() as conn:
        stored = conn.execute(select(LedgerRow.cost).order_by(LedgerRow.id)).scalars().all()
        total = conn.execute(select(func.sum(LedgerRow.cost))).scalar_one()
        raw = conn.execute(text("SELECT cost FROM ledger WHERE id = 'r0'")).scalar_one()
    assert stored == amounts
    assert all(isinstance(a, Decimal) for a in stored)
    assert total == sum(amounts)
    assert raw == 3_250_000_000  # picodollars: an integer in the database


def test_sqlite_runs_in_wal_mode(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
    engine.dispose()


def test_postgresql_url_means_psycopg3() -> None:
    engine = make_engine("postgresql://postgres@127.0.0.1:5432/test")
    assert engine.url.drivername == "postgresql+psycopg"
    engine.dispose()


def test_replicas_starting_together_migrate_once(pg_url: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    engines = [make_engine(pg_url) for _ in range(3)]
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(upgrade, engines))
    head = head_revision(engines[0])
    assert sorted(results, key=str) == sorted([(None, head), (head, head), (head, head)], key=str)
    for engine in engines:
        engine.dispose()
