"""Traffic from recorded rows and from the gateway's real ledger tables (SQLite, migrated)."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from crossroads.lab.tco.errors import TcoError
from crossroads.lab.tco.ledger import entity_counts, read_ledger
from crossroads.lab.tco.traffic import TrafficRow, profile_from_rows

D = Decimal
T0 = datetime(2026, 11, 1, 9, 0)


def rows() -> list[TrafficRow]:
    """Four requests in one day: three in the 09:00 hour, one at 15:00; one carried an e-mail address."""
    return [
        TrafficRow(T0, 1_000, 200, "gpt-4o", cached_tokens=500, privacy={"EMAIL_ADDRESS": 1}),
        TrafficRow(T0 + timedelta(minutes=10), 2_000, 400, "gpt-4o"),
        TrafficRow(T0 + timedelta(minutes=20), 1_000, 200, "smollm2"),
        TrafficRow(T0 + timedelta(hours=6), 0, 0, "smollm2"),
    ]


def test_profile_from_rows() -> None:
    profile = profile_from_rows(rows())
    assert profile.queries_per_day == 4  # the span is under a day: counted as one day
    assert (profile.prompt_tokens, profile.completion_tokens) == (D(1_000), D(200))  # 4,000 / 4 and 800 / 4
    assert profile.cached_share == D("0.125")  # 500 of 4,000 prompt tokens
    assert profile.peak_to_average == D(24)  # all 4,800 tokens in one hour of a 24-hour day
    assert profile.private_share == D("0.25")
    assert profile.private_by_type == {"EMAIL_ADDRESS": 1}
    assert profile.models == {"gpt-4o": 2, "smollm2": 2}
    assert profile_from_rows(rows(), days=D(2)).queries_per_day == 2


def test_no_rows_is_a_clear_error() -> None:
    with pytest.raises(TcoError, match="no requests recorded"):
        profile_from_rows([], source="ledger")


def test_entity_counts_shapes() -> None:
    assert entity_counts({"action": "redact", "entities": {"EMAIL_ADDRESS": 2}, "local_only": False}) == {
        "EMAIL_ADDRESS": 2
    }
    assert entity_counts({"entities": [{"type": "IBAN", "count": 1}, {"type": "IBAN"}]}) == {"IBAN": 2}
    assert entity_counts(None) == {} == entity_counts({"action": "allow", "entities": {}})


def test_read_ledger_from_the_gateway_schema(tmp_path: Path) -> None:
    from sqlalchemy.orm import Session

    from crossroads.store import LedgerRow, make_engine, upgrade

    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        for i, row in enumerate(rows()):
            session.add(_ledger_row(LedgerRow, i, row))
        session.add(_ledger_row(LedgerRow, 9, TrafficRow(T0, 5, 0, "gpt-4o"), status=500))  # failed: not traffic
        session.commit()
    engine.dispose()
    got = read_ledger(url)
    assert [(r.prompt_tokens, r.model) for r in got] == [(r.prompt_tokens, r.model) for r in rows()]
    assert got[0].privacy == {"EMAIL_ADDRESS": 1}
    assert profile_from_rows(got).private_share == D("0.25")


def test_read_ledger_of_something_else(tmp_path: Path) -> None:
    with pytest.raises(TcoError, match=r"empty\.db does not exist"):
        read_ledger(f"sqlite:///{tmp_path / 'empty.db'}")
    assert not (tmp_path / "empty.db").exists()  # reading never creates an empty database
    other = tmp_path / "other.db"
    sqlite3.connect(other).close()
    with pytest.raises(TcoError, match="cannot read the ledger"):
        read_ledger(f"sqlite:///{other}")
    with pytest.raises(TcoError, match="not a database URL"):
        read_ledger("no such url")


def _ledger_row(model: type, i: int, row: TrafficRow, status: int = 200) -> object:
    privacy = {"action": "redact", "entities": dict(row.privacy), "local_only": False} if row.privacy else None
    return model(
        id=f"req_{i}",
        at=row.time,
        endpoint="chat",
        model=row.model,
        prompt_tokens=row.prompt_tokens,
        cached_tokens=row.cached_tokens,
        completion_tokens=row.completion_tokens,
        latency_ms=10.0,
        status=status,
        privacy=privacy,
    )
