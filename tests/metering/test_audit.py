"""The audit chain: intact after real traffic and admin events; every kind of tampering found and located."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, delete, insert, select, text, update

from crossroads.cli import main
from crossroads.metering.audit_verify import verify
from crossroads.metering.keys import create_key, revoke_key
from crossroads.store import AuditEntry, LedgerRow, make_engine, upgrade
from tests.metering.conftest import client_for, metered_settings, running, usage_backends

HELLO = [{"role": "user", "content": "Hello"}]


async def _traffic(url: str, count: int = 6, key: str = "unused") -> list[str]:
    async with running(metered_settings(url, ledger={"batch_size": 2}), usage_backends()) as (app, _):
        for i in range(count):
            await client_for(app, key=key).chat.completions.create(
                model="gpt-4o" if i % 2 else "smollm2", messages=HELLO
            )
    engine = make_engine(url)
    with engine.connect() as conn:
        ids = list(conn.execute(select(AuditEntry.subject).order_by(AuditEntry.seq)).scalars())
    engine.dispose()
    return ids


@pytest.fixture(params=["sqlite", "postgresql"])
def chained(request: pytest.FixtureRequest) -> Iterator[tuple[Engine, list[str]]]:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    engine = make_engine(url)
    upgrade(engine)
    _, plaintext = create_key(engine, "team-a")
    subjects = asyncio.run(_traffic(url, key=plaintext))
    revoke_key(engine, "team-a")
    yield engine, subjects
    engine.dispose()


def _ledger_id(subjects: list[str], n: int) -> str:
    return [s for s in subjects if s.startswith("req_")][n]


Tamper = Callable[[Any, list[str]], str]  # does something to the database, returns what the report must name


def edit_row(conn: Any, subjects: list[str]) -> str:
    rid = _ledger_id(subjects, 2)
    conn.execute(update(LedgerRow).where(LedgerRow.id == rid).values(completion_tokens=1))
    return f"ledger row {rid} was edited"


def delete_row(conn: Any, subjects: list[str]) -> str:
    rid = _ledger_id(subjects, 3)
    conn.execute(delete(LedgerRow).where(LedgerRow.id == rid))
    return f"ledger row {rid} was deleted"


def insert_row(conn: Any, subjects: list[str]) -> str:
    row = dict(conn.execute(select(LedgerRow).where(LedgerRow.id == _ledger_id(subjects, 0))).one()._mapping)
    conn.execute(insert(LedgerRow), {**row, "id": "req_forged"})
    return "ledger row req_forged is not in the audit chain"


def reorder_entries(conn: Any, subjects: list[str]) -> str:
    conn.execute(update(AuditEntry).where(AuditEntry.seq == 4).values(seq=-4))
    conn.execute(update(AuditEntry).where(AuditEntry.seq == 5).values(seq=4))
    conn.execute(update(AuditEntry).where(AuditEntry.seq == -4).values(seq=5))
    return "audit entry 4"


def delete_entry(conn: Any, subjects: list[str]) -> str:
    conn.execute(delete(AuditEntry).where(AuditEntry.seq == 3))
    return "audit entries 3..3 are missing"


def truncate_chain(conn: Any, subjects: list[str]) -> str:
    last = conn.execute(text("SELECT max(seq) FROM audit_log")).scalar_one()
    conn.execute(delete(AuditEntry).where(AuditEntry.seq == last))
    return f"the chain ends at entry {last - 1}"


def edit_admin_event(conn: Any, subjects: list[str]) -> str:
    conn.execute(update(AuditEntry).where(AuditEntry.seq == 1).values(detail={"name": "someone-else"}))
    return "audit entry 1 (key.create"


@pytest.mark.parametrize(
    "tamper",
    [edit_row, delete_row, insert_row, reorder_entries, delete_entry, truncate_chain, edit_admin_event],
)
def test_tampering_is_detected_and_located(chained: tuple[Engine, list[str]], tamper: Tamper) -> None:
    engine, subjects = chained
    intact = verify(engine)
    assert intact.ok, intact.problems
    assert intact.entries == 8 and intact.ledger_rows == 6  # 6 requests, key created, key revoked
    with engine.begin() as conn:
        expected = tamper(conn, subjects)
    verdict = verify(engine)
    assert not verdict.ok
    assert expected in verdict.problems[0], verdict.problems


def test_cli_verify(sqlite_url: str) -> None:
    asyncio.run(_traffic(sqlite_url, count=2))
    runner = CliRunner()
    good = runner.invoke(main, ["audit", "verify", "--database", sqlite_url])
    assert good.exit_code == 0 and "audit chain intact — 2 entries, 2 ledger rows" in good.output
    engine = make_engine(sqlite_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE ledger SET cost = 0"))
    engine.dispose()
    bad = runner.invoke(main, ["audit", "verify", "--database", sqlite_url])
    assert bad.exit_code == 1 and "audit chain BROKEN" in bad.output and "was edited" in bad.output


async def test_verify_while_gateways_write_finds_nothing_wrong(sqlite_url: str) -> None:
    settings = metered_settings(sqlite_url, ledger={"batch_size": 3, "flush_ms": 0})
    async with running(settings, usage_backends()) as (app, _):
        engine = make_engine(sqlite_url)
        client = client_for(app)
        verdicts = []
        for _ in range(15):
            sends = [client.chat.completions.create(model="gpt-4o", messages=HELLO) for _ in range(4)]
            verdicts += (await asyncio.gather(asyncio.to_thread(verify, engine), *sends))[:1]
        engine.dispose()
    assert all(v.ok for v in verdicts), [v.problems for v in verdicts if not v.ok]
