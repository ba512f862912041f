"""The Keys and budgets page: every key with its limits, what it spent this budget period, what is reserved
by requests in flight, and its spend over the chosen range. Never a key's hash or secret (only its prefix)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, select

from crossroads.metering.budget import period_start
from crossroads.metering.keys import KeyRecord, record, usd, utcnow
from crossroads.store.models import ApiKey, BudgetReservation, BudgetUsage, UsageRollup
from crossroads.ui.queries import money, window
from crossroads.ui.ranges import Range


def keys(conn: Connection, r: Range) -> dict[str, Any]:
    now = utcnow()
    rows = [record(dict(row._mapping)) for row in conn.execute(select(ApiKey).order_by(ApiKey.created_at))]
    usage = {
        (k, p): (spent, reserved)
        for k, p, spent, reserved in conn.execute(
            select(BudgetUsage.key_id, BudgetUsage.period_start, BudgetUsage.spent, BudgetUsage.reserved)
        )
    }
    flight = {
        k: (int(n), amount)
        for k, n, amount in conn.execute(
            select(BudgetReservation.key_id, func.count(), func.sum(BudgetReservation.amount))
            .where(BudgetReservation.expires_at > now)
            .group_by(BudgetReservation.key_id)
        )
    }
    U = UsageRollup
    spend = dict(conn.execute(select(U.key_id, func.sum(U.cost)).where(window(U, r)).group_by(U.key_id)).all())
    listed = [_key(k, now, usage, flight, spend) for k in rows]
    return {
        "range": {"name": r.name, "label": r.label, "start": r.start.isoformat(), "now": r.now.isoformat()},
        "keys": [k for k in listed if k["state"] == "active"],
        "inactive": [k for k in listed if k["state"] != "active"],
    }


def _key(
    key: KeyRecord,
    now: Any,
    usage: dict[tuple[str, Any], tuple[Decimal, Decimal]],
    flight: dict[str, tuple[int, Decimal]],
    spend: dict[str, Decimal],
) -> dict[str, Any]:
    spent, reserved = usage.get((key.id, period_start(key.period, now)), (Decimal(0), Decimal(0)))
    in_flight, amount = flight.get(key.id, (0, Decimal(0)))
    state = "revoked" if key.revoked_at else "expired" if key.expired(now) else "active"
    return {
        **key.public(),
        "state": state,
        "spent": money(spent),
        "reserved": money(reserved),
        "left": None if key.budget is None else usd(max(Decimal(0), key.budget - spent - reserved)),
        "used_share": None if not key.budget else round(float((spent + reserved) / key.budget), 4),
        "in_flight": in_flight,
        "in_flight_amount": money(amount),
        "spend_in_range": money(spend.get(key.id)),
    }
