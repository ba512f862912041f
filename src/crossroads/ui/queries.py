"""The numbers of the Overview, Privacy and Routing pages, summed in SQL from the ledger's rollups
(``crossroads.metering.rollup``): the same statements on SQLite and PostgreSQL. A range reads the hours of its
first partial day and whole days after (``window``); both are index range scans of (span, bucket).

Money leaves here as decimal strings (never floats); latency percentiles come from the 5%-wide histogram bins.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Connection, case, func, or_, select

from crossroads.metering.keys import usd
from crossroads.metering.rollup import bin_value
from crossroads.store.models import ApiKey, LatencyRollup, OutcomeRollup, PrivacyRollup, TrafficMinute, UsageRollup
from crossroads.ui.ranges import Range, day_start, month_start

U = UsageRollup
O = OutcomeRollup  # noqa: E741
L = LatencyRollup
P = PrivacyRollup
REQUEST = O.kind == "request"
FAILED = REQUEST & (O.status >= 400)
DAY = 86400


def window(table: Any, r: Range) -> ColumnElement[bool]:
    """The rollup rows that make up ``r``: hours up to its first midnight, whole days from there."""
    hours = (table.span == "hour") & (table.bucket >= r.start)
    if r.edge >= r.now:
        return hours
    return or_(hours & (table.bucket < r.edge), (table.span == "day") & (table.bucket >= r.edge))


def series_window(table: Any, r: Range) -> ColumnElement[bool]:
    """The rows a chart reads: hours for up to two days, else as ``window``."""
    return (table.span == "hour") & (table.bucket >= r.start) if r.hourly else window(table, r)


def step_of(span: str, bucket: Any, r: Range) -> float:
    """Seconds a series point covers (today's day only until now)."""
    if span == "hour":
        return 3600.0
    return max(1.0, min(float(DAY), (r.now - bucket).total_seconds()))


def money(value: Any) -> str:
    return usd(Decimal(value or 0)) or "0"


def range_of(r: Range) -> dict[str, str]:
    return {"name": r.name, "label": r.label, "start": r.start.isoformat(), "now": r.now.isoformat()}


def overview(conn: Connection, r: Range) -> dict[str, Any]:
    totals = conn.execute(
        select(
            func.coalesce(func.sum(case((REQUEST, O.requests), else_=0)), 0),
            func.coalesce(func.sum(case((FAILED, O.requests), else_=0)), 0),
            func.sum(O.cost),
            func.coalesce(func.sum(O.tokens), 0),
        ).where(window(O, r))
    ).one()
    requests, errors = int(totals[0]), int(totals[1])
    by_model, by_backend, by_key = breakdowns(conn, r)
    return {
        "range": range_of(r),
        "requests": requests,
        "errors": errors,
        "requests_per_second": round(requests / r.seconds, 4),
        "requests_per_second_now": rate_now(conn, r),
        "spend": money(totals[2]),
        "tokens": int(totals[3]),
        "spend_today": spend_since(conn, day_start(r.now)),
        "spend_month": spend_since(conn, month_start(r.now)),
        "errors_by_type": errors_by_type(conn, r),
        "latency_ms": percentiles(conn, r, "latency"),
        "ttft_ms": percentiles(conn, r, "ttft"),
        "by_model": by_model,
        "by_backend": by_backend,
        "by_key": key_names(conn, by_key),
        "series": series(conn, r),
    }


def rate_now(conn: Connection, r: Range, minutes: int = 5) -> float:
    """Client requests per second over the last few minutes (the current minute so far included)."""
    since = r.now.replace(second=0, microsecond=0) - timedelta(minutes=minutes - 1)
    t = TrafficMinute
    n = conn.execute(select(func.coalesce(func.sum(t.requests), 0)).where(t.minute >= since)).scalar_one()
    return round(int(n) / max(1.0, (r.now - since).total_seconds()), 4)


def spend_since(conn: Connection, start: Any) -> str:
    """Spend since a midnight (today, this month): whole days."""
    return money(conn.execute(select(func.sum(O.cost)).where(O.span == "day", O.bucket >= start)).scalar_one())


def errors_by_type(conn: Connection, r: Range) -> list[dict[str, Any]]:
    query = (
        select(O.error_type, O.status, func.sum(O.requests))
        .where(window(O, r), FAILED)
        .group_by(O.error_type, O.status)
        .order_by(func.sum(O.requests).desc())
    )
    return [{"type": t or "error", "status": s, "requests": int(n)} for t, s, n in conn.execute(query)]


def breakdowns(conn: Connection, r: Range) -> tuple[list[dict[str, Any]], ...]:
    """Spend, client requests and tokens by model, by backend and by key: one statement, summed three ways."""
    query = (
        select(
            U.key_id,
            U.model,
            U.backend,
            func.sum(case((U.kind == "request", U.requests), else_=0)),
            func.sum(U.cost),
            func.sum(U.prompt_tokens),
            func.sum(U.completion_tokens),
        )
        .where(window(U, r))
        .group_by(U.key_id, U.model, U.backend)
    )
    groups: tuple[dict[str, list[Any]], ...] = ({}, {}, {})
    for key, model, backend, n, cost, prompt, completion in conn.execute(query):
        for by, name in zip(groups, (model, backend, key), strict=True):
            sums = by.setdefault(name, [0, Decimal(0), 0, 0])
            sums[0] += int(n)
            sums[1] += cost or Decimal(0)
            sums[2] += int(prompt)
            sums[3] += int(completion)
    return tuple(
        [
            {"name": name, "requests": n, "spend": money(c), "prompt_tokens": p, "completion_tokens": t}
            for name, (n, c, p, t) in sorted(by.items(), key=lambda item: (-item[1][1], item[0]))
        ]
        for by in groups
    )


def key_names(conn: Connection, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ids = [row["name"] for row in rows if row["name"]]
    names = dict(conn.execute(select(ApiKey.id, ApiKey.name).where(ApiKey.id.in_(ids))).all()) if ids else {}
    return [{**row, "id": row["name"], "name": names.get(row["name"], row["name"] or "(no key)")} for row in rows]


def percentiles(conn: Connection, r: Range, measure: str) -> dict[str, float | None]:
    query = (
        select(L.bin, func.sum(L.requests)).where(window(L, r), L.measure == measure).group_by(L.bin).order_by(L.bin)
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
    """Requests/s, errors and spend per minute (short ranges), hour (up to two days) or day."""
    if r.minutes:
        t = TrafficMinute
        minutes = select(t.minute, t.requests, t.errors, t.cost).where(t.minute >= r.start).order_by(t.minute)
        rows = [(at, 60.0, int(n), int(e), c) for at, n, e, c in conn.execute(minutes)]
    else:
        query = (
            select(
                O.span,
                O.bucket,
                func.sum(case((REQUEST, O.requests), else_=0)),
                func.sum(case((FAILED, O.requests), else_=0)),
                func.sum(O.cost),
            )
            .where(series_window(O, r))
            .group_by(O.span, O.bucket)
            .order_by(O.bucket)
        )
        rows = [(at, step_of(span, at, r), int(n), int(e), c) for span, at, n, e, c in conn.execute(query)]
    return {
        "t": [at.isoformat() + "Z" for at, *_ in rows],
        "step_seconds": [step for _, step, *_ in rows],
        "requests_per_second": [round(n / step, 4) for _, step, n, _, _ in rows],
        "errors": [e for *_, e, _ in rows],
        "spend": [money(c) for *_, c in rows],
    }


def privacy(conn: Connection, r: Range) -> dict[str, Any]:
    rows = conn.execute(
        select(O.span, O.bucket, O.privacy_action, O.local_only, func.sum(O.requests))
        .where(series_window(O, r), REQUEST)
        .group_by(O.span, O.bucket, O.privacy_action, O.local_only)
        .order_by(O.bucket)
    ).all()
    by_action: dict[str, int] = {}
    over_time: dict[tuple[Any, str], int] = {}
    kept = requests = 0
    for _, hour, action, local, n in rows:
        by_action[action or "none"] = by_action.get(action or "none", 0) + int(n)
        requests += int(n)
        kept += int(n) if local and action != "block" else 0  # served locally (a blocked one was not served)
        if action:
            over_time[(hour, action)] = over_time.get((hour, action), 0) + int(n)
    types = conn.execute(
        select(P.entity_type, P.action, func.sum(P.requests), func.sum(P.found))
        .where(window(P, r))
        .group_by(P.entity_type, P.action)
        .order_by(func.sum(P.found).desc(), P.entity_type)
    ).all()
    return {
        "range": range_of(r),
        "requests": requests,
        "scanned": sum(n for a, n in by_action.items() if a != "none"),
        "with_findings": sum(n for a, n in by_action.items() if a not in ("none", "allow")),
        "by_action": dict(sorted(by_action.items(), key=lambda item: -item[1])),
        "kept_local": kept,
        "kept_local_share": round(kept / requests, 4) if requests else 0.0,
        "kept_local_percent": f"{kept / requests:.1%}" if requests else "–",
        "blocked": by_action.get("block", 0),
        "entity_types": [{"type": t, "action": a, "requests": int(n), "found": int(f)} for t, a, n, f in types],
        "over_time": [{"hour": h.isoformat() + "Z", "action": a, "requests": n} for (h, a), n in over_time.items()],
    }


def routing(conn: Connection, r: Range) -> list[dict[str, Any]]:
    """Per hour (or day): client requests, those a fallback model served, attempts that failed before an answer."""
    query = (
        select(O.bucket, func.sum(O.requests), func.sum(O.fallbacks), func.sum(O.failed_attempts))
        .where(series_window(O, r), REQUEST)
        .group_by(O.span, O.bucket)
        .order_by(O.bucket)
    )
    return [
        {"hour": h.isoformat() + "Z", "requests": int(n), "fallbacks": int(f), "retries": int(a)}
        for h, n, f, a in conn.execute(query)
    ]
