"""The dashboard's rollups, kept in step with the ledger: each batch of ledger rows adds to its groups
(``usage_rollup`` by key, model and backend; ``outcome_rollup`` by status, error and privacy action), the latency
histograms and the guard's findings — each per hour and per day (``span``) — and to its minute
(``traffic_minute``), in the writer's own transaction. A page then sums a few thousand rows however long the
ledger is: a long range reads days, short ones hours. Each table has only the dimensions its questions need, so
its groups stay few (one table with every dimension would have nearly as many rows as the ledger).

Adding is an upsert (``INSERT … ON CONFLICT DO UPDATE``: SQLite and PostgreSQL spell it alike); the groups
are sorted first so concurrent writers lock rows in one order. ``rebuild`` computes them again from the
ledger (the migration that introduced them, and a repair).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Table, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from crossroads.store.models import (
    OUTCOME_DIMS,
    USAGE_DIMS,
    LatencyRollup,
    LedgerRow,
    OutcomeRollup,
    PrivacyRollup,
    TrafficMinute,
    UsageRollup,
)

BIN = 1.05  # histogram bins grow by 5%: a percentile read from them is within 2.5% of the exact one
SHADOW_KEY = "shadow"
USAGE_SUMS = ("requests", "cost", "prompt_tokens", "completion_tokens")
OUTCOME_SUMS = ("requests", "cost", "tokens", "fallbacks", "failed_attempts")
LATENCY_DIMS = ("span", "bucket", "measure", "bin", "requests")
PRIVACY_DIMS = ("span", "bucket", "entity_type", "action", "requests", "found")
INSERTS: dict[str, Callable[[Table], Any]] = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


def bin_of(ms: float) -> int:
    """The histogram bin of a duration: bin b holds (BIN**(b-1), BIN**b] milliseconds; 0 holds up to 1 ms."""
    return max(0, math.ceil(math.log(max(ms, 1e-9)) / math.log(BIN) - 1e-9))


def bin_value(b: int) -> float:
    """What a bin stands for: the geometric middle of its bounds (milliseconds)."""
    return BIN ** (b - 0.5) if b > 0 else 0.5


def hour_of(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def day_of(at: datetime) -> datetime:
    return at.replace(hour=0, minute=0, second=0, microsecond=0)


SPANS = (("hour", hour_of), ("day", day_of))


def kind_of(row: Mapping[str, Any]) -> str:
    if row["key_id"] == SHADOW_KEY:
        return "shadow"
    return "extra" if "." in str(row["id"]) else "request"


def route_facts(reason: str | None) -> tuple[bool, int]:
    """(served by a fallback model, attempts that failed first) from the ledger's route reason."""
    parts = [p.strip() for p in (reason or "").split(";")]
    return any(p.startswith("fallback") for p in parts), sum(1 for p in parts if p.startswith("after "))


def usage_group(row: Mapping[str, Any]) -> tuple[Any, ...]:
    return (row["key_id"] or "", row["model"], row["backend"] or "", kind_of(row))


def outcome_group(row: Mapping[str, Any]) -> tuple[Any, ...]:
    privacy = row["privacy"] or {}
    action, local = str(privacy.get("action") or ""), bool(privacy.get("local_only"))
    return (kind_of(row), int(row["status"]), row["error_type"] or "", action, local)


class Sums:
    """The rollups of some ledger rows, before they are added to the tables. Keys start with (span, bucket)."""

    def __init__(self) -> None:
        self.usage: dict[tuple[Any, ...], list[Any]] = defaultdict(lambda: [0, Decimal(0), 0, 0])
        self.outcomes: dict[tuple[Any, ...], list[Any]] = defaultdict(lambda: [0, Decimal(0), 0, 0, 0])
        self.minutes: dict[datetime, list[Any]] = defaultdict(lambda: [0, 0, Decimal(0)])
        self.latency: dict[tuple[Any, ...], int] = defaultdict(int)
        self.privacy: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0])

    def add(self, row: Mapping[str, Any]) -> None:
        cost = row["cost"] or Decimal(0)
        prompt, completion = int(row["prompt_tokens"]), int(row["completion_tokens"])
        fallback, failed = route_facts(row["route_reason"])
        request = kind_of(row) == "request"
        usage, outcome = usage_group(row), outcome_group(row)
        privacy = row["privacy"] or {}
        for span, of in SPANS:
            at = (span, of(row["at"]))
            u = self.usage[(*at, *usage)]
            u[0], u[1], u[2], u[3] = u[0] + 1, u[1] + cost, u[2] + prompt, u[3] + completion
            o = self.outcomes[(*at, *outcome)]
            o[0], o[1], o[2] = o[0] + 1, o[1] + cost, o[2] + prompt + completion
            o[3], o[4] = o[3] + fallback, o[4] + failed
            if not request:
                continue
            self.latency[(*at, "latency", bin_of(float(row["latency_ms"])))] += 1
            if row["ttft_ms"] is not None:
                self.latency[(*at, "ttft", bin_of(float(row["ttft_ms"])))] += 1
            for entity, found in (privacy.get("entities") or {}).items():
                p = self.privacy[(*at, str(entity), str(privacy.get("action") or ""))]
                p[0] += 1
                p[1] += int(found)
        minute = self.minutes[row["at"].replace(second=0, microsecond=0)]
        minute[0] += request
        minute[1] += request and int(row["status"]) >= 400
        minute[2] += cost

    def write(self, conn: Connection) -> None:
        usage = [dict(zip(USAGE_DIMS + USAGE_SUMS, (*k, *v), strict=True)) for k, v in sorted(self.usage.items())]
        _upsert(conn, UsageRollup.__table__, usage, USAGE_DIMS, USAGE_SUMS)
        outcomes = [
            dict(zip(OUTCOME_DIMS + OUTCOME_SUMS, (*k, *v), strict=True)) for k, v in sorted(self.outcomes.items())
        ]
        _upsert(conn, OutcomeRollup.__table__, outcomes, OUTCOME_DIMS, OUTCOME_SUMS)
        minutes = [
            {"minute": m, "requests": r, "errors": e, "cost": c} for m, (r, e, c) in sorted(self.minutes.items())
        ]
        _upsert(conn, TrafficMinute.__table__, minutes, ("minute",), ("requests", "errors", "cost"))
        bins = sorted(self.latency.items())
        latency = [dict(zip(LATENCY_DIMS, (*k, n), strict=True)) for k, n in bins]
        _upsert(conn, LatencyRollup.__table__, latency, LATENCY_DIMS[:-1], ("requests",))
        found = sorted(self.privacy.items())
        privacy = [dict(zip(PRIVACY_DIMS, (*k, r, f), strict=True)) for k, (r, f) in found]
        _upsert(conn, PrivacyRollup.__table__, privacy, PRIVACY_DIMS[:-2], ("requests", "found"))


def add(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    """Count ledger rows (their column values) into the rollups, in the caller's transaction."""
    sums = Sums()
    for row in rows:
        sums.add(row)
    sums.write(conn)


def _upsert(
    conn: Connection, table: Any, values: list[dict[str, Any]], keys: tuple[str, ...], sums: Iterable[str]
) -> None:
    if not values:
        return
    insert = INSERTS[conn.dialect.name](table)
    conn.execute(
        insert.on_conflict_do_update(
            index_elements=list(keys), set_={s: table.c[s] + getattr(insert.excluded, s) for s in sums}
        ),
        values,
    )


COLUMNS = ("id", "at", "key_id", "model", "backend", "status", "error_type", "privacy", "route_reason")
MEASURES = ("cost", "prompt_tokens", "completion_tokens", "latency_ms", "ttft_ms")


def rebuild(conn: Connection, page: int = 20_000) -> int:
    """Compute every rollup again from the ledger; returns the rows counted."""
    for model in (UsageRollup, OutcomeRollup, TrafficMinute, LatencyRollup, PrivacyRollup):
        conn.execute(delete(model))
    columns = [LedgerRow.__table__.c[name] for name in COLUMNS + MEASURES]
    counted, after = 0, ""
    while True:
        query = select(*columns).where(LedgerRow.id > after).order_by(LedgerRow.id).limit(page)
        rows = [dict(r._mapping) for r in conn.execute(query)]
        if not rows:
            return counted
        add(conn, rows)
        counted += len(rows)
        after = rows[-1]["id"]
