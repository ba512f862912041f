"""The numbers of the Overview and Privacy pages, summed in SQL from the ledger's rollups
(``crossroads.metering.rollup``): the same statements on SQLite and PostgreSQL, each reading one hour-indexed
range of a rollup table.

Money leaves here as decimal strings (never floats); latency percentiles come from the 5%-wide histogram bins.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, case, func, select

from crossroads.metering.keys import usd
from crossroads.metering.rollup import bin_value
from crossroads.store.models import ApiKey, LatencyHourly, PrivacyHourly, TrafficMinute, UsageHourly
from crossroads.ui.ranges import Range, day_start, month_start

U = UsageHourly
REQUEST = U.kind == "request"


def money(value: Any) -> str:
    return usd(Decimal(value or 0)) or "0"


def overview(conn: Connection, r: Range) -> dict[str, Any]:
    in_range = U.hour >= r.start
    totals = conn.execute(
        select(
            func.coalesce(func.sum(case((REQUEST, U.requests), else_=0)), 0),
            func.coalesce(func.sum(case((REQUEST & (U.status >= 400), U.requests), else_=0)), 0),
            func.sum(U.cost),
            func.coalesce(func.sum(U.prompt_tokens + U.completion_tokens), 0),
        ).where(in_range)
    ).one()
    requests, errors = int(totals[0]), int(totals[1])
    return {
        "range": {"name": r.name, "label": r.label, "start": r.start.isoformat(), "now": r.now.isoformat()},
        "requests": requests,
        "errors": errors,
        "requests_per_second": round(requests / r.seconds, 4),
        "spend": money(totals[2]),
        "tokens": int(totals[3]),
        "spend_today": spend_since(conn, day_start(r.now)),
        "spend_month": spend_since(conn, month_start(r.now)),
        "errors_by_type": errors_by_type(conn, r),
        "latency_ms": percentiles(conn, r, "latency"),
        "ttft_ms": percentiles(conn, r, "ttft"),
        "by_model": spend_by(conn, r, U.model),
        "by_backend": spend_by(conn, r, U.backend),
        "by_key": key_names(conn, spend_by(conn, r, U.key_id)),
        "series": series(conn, r),
    }


def spend_since(conn: Connection, start: Any) -> str:
    return money(conn.execute(select(func.sum(U.cost)).where(U.hour >= start)).scalar_one())


def errors_by_type(conn: Connection, r: Range) -> list[dict[str, Any]]:
    query = (
        select(U.error_type, U.status, func.sum(U.requests))
        .where(U.hour >= r.start, REQUEST, U.status >= 400)
        .group_by(U.error_type, U.status)
        .order_by(func.sum(U.requests).desc())
    )
    return [{"type": t or "error", "status": s, "requests": int(n)} for t, s, n in conn.execute(query)]


def spend_by(conn: Connection, r: Range, column: Any) -> list[dict[str, Any]]:
    query = (
        select(
            column,
            func.sum(case((REQUEST, U.requests), else_=0)),
            func.sum(U.cost),
            func.sum(U.prompt_tokens),
            func.sum(U.completion_tokens),
        )
        .where(U.hour >= r.start)
        .group_by(column)
        .order_by(func.sum(U.cost).desc(), column)
    )
    return [
        {
            "name": name,
            "requests": int(n),
            "spend": money(c),
            "prompt_tokens": int(p),
            "completion_tokens": int(t),
        }
        for name, n, c, p, t in conn.execute(query)
    ]


def key_names(conn: Connection, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ids = [row["name"] for row in rows if row["name"]]
    names = dict(conn.execute(select(ApiKey.id, ApiKey.name).where(ApiKey.id.in_(ids))).all()) if ids else {}
    return [{**row, "id": row["name"], "name": names.get(row["name"], row["name"] or "(no key)")} for row in rows]


def percentiles(conn: Connection, r: Range, measure: str) -> dict[str, float | None]:
    query = (
        select(LatencyHourly.bin, func.sum(LatencyHourly.requests))
        .where(LatencyHourly.hour >= r.start, LatencyHourly.measure == measure)
        .group_by(LatencyHourly.bin)
        .order_by(LatencyHourly.bin)
    )
    bins = [(int(b), int(n)) for b, n in conn.execute(query)]
    return {"p50": quantile(bins, 0.50), "p99": quantile(bins, 0.99)}


def quantile(bins: Iterable[tuple[int, int]], q: float) -> float | None:
    """The q-quantile from (bin, count) pairs in bin order: the middle of the bin holding the rank-th request
    (the rank as numpy's 'lower' method counts it, so one request's latency is its own percentile)."""
    pairs = list(bins)
    total = sum(n for _, n in pairs)
    if not total:
        return None
    rank, seen = int(q * (total - 1)), 0
    for b, n in pairs:
        seen += n
        if seen > rank:
            return round(bin_value(b), 1)
    return round(bin_value(pairs[-1][0]), 1)


def series(conn: Connection, r: Range) -> dict[str, list[Any]]:
    """Requests, errors and spend per minute (short ranges) or per hour."""
    if r.minutes:
        t = TrafficMinute
        query = select(t.minute, t.requests, t.errors, t.cost).where(t.minute >= r.start).order_by(t.minute)
        rows = [(at, int(n), int(e), c) for at, n, e, c in conn.execute(query)]
        step = 60
    else:
        query = (
            select(
                U.hour,
                func.sum(case((REQUEST, U.requests), else_=0)),
                func.sum(case((REQUEST & (U.status >= 400), U.requests), else_=0)),
                func.sum(U.cost),
            )
            .where(U.hour >= r.start)
            .group_by(U.hour)
            .order_by(U.hour)
        )
        rows = [(at, int(n), int(e), c) for at, n, e, c in conn.execute(query)]
        step = 3600
    return {
        "step_seconds": [step],
        "t": [at.isoformat() + "Z" for at, *_ in rows],
        "requests_per_second": [round(n / step, 4) for _, n, _, _ in rows],
        "errors": [e for _, _, e, _ in rows],
        "spend": [money(c) for *_, c in rows],
    }


def privacy(conn: Connection, r: Range) -> dict[str, Any]:
    in_range = (U.hour >= r.start) & REQUEST
    actions = conn.execute(
        select(U.privacy_action, func.sum(U.requests)).where(in_range).group_by(U.privacy_action)
    ).all()
    kept = func.coalesce(func.sum(case((U.local_only, U.requests), else_=0)), 0)
    local = conn.execute(select(kept, func.coalesce(func.sum(U.requests), 0)).where(in_range)).one()
    by_action = {a or "none": int(n) for a, n in actions}
    P = PrivacyHourly
    types = conn.execute(
        select(P.entity_type, P.action, func.sum(P.requests), func.sum(P.found))
        .where(P.hour >= r.start)
        .group_by(P.entity_type, P.action)
        .order_by(func.sum(P.found).desc(), P.entity_type)
    ).all()
    over_time = conn.execute(
        select(U.hour, U.privacy_action, func.sum(U.requests))
        .where(in_range, U.privacy_action != "")
        .group_by(U.hour, U.privacy_action)
        .order_by(U.hour)
    ).all()
    requests = int(local[1])
    return {
        "range": {"name": r.name, "label": r.label, "start": r.start.isoformat(), "now": r.now.isoformat()},
        "requests": requests,
        "scanned": sum(n for a, n in by_action.items() if a != "none"),
        "by_action": by_action,
        "kept_local": int(local[0]),
        "kept_local_share": round(int(local[0]) / requests, 4) if requests else 0.0,
        "blocked": by_action.get("block", 0),
        "entity_types": [{"type": t, "action": a, "requests": int(n), "found": int(f)} for t, a, n, f in types],
        "over_time": [{"hour": h.isoformat() + "Z", "action": a, "requests": int(n)} for h, a, n in over_time],
    }


def routing(conn: Connection, r: Range) -> list[dict[str, Any]]:
    """Per hour: client requests, those a fallback model served, and attempts that failed before an answer."""
    query = (
        select(
            U.hour,
            func.sum(U.requests),
            func.sum(case((U.fallback, U.requests), else_=0)),
            func.sum(U.failed_attempts),
        )
        .where(U.hour >= r.start, REQUEST)
        .group_by(U.hour)
        .order_by(U.hour)
    )
    return [
        {"hour": h.isoformat() + "Z", "requests": int(n), "fallbacks": int(f), "retries": int(a)}
        for h, n, f, a in conn.execute(query)
    ]
