"""Budgets: reserve a request's estimated cost before the call, settle its actual cost after.

Both are single conditional UPDATEs on the key's ``budget_usage`` row for the current period, so
they are atomic under concurrency and across replicas sharing the database: PostgreSQL re-checks
the condition under the row lock, SQLite has one writer at a time. Settling happens in the ledger
writer's transaction, off the request path.

Each reservation is also a ``budget_reservations`` row, deleted when it is settled. One a process took
to its grave (killed mid-request) expires after ``reservation_ttl_seconds`` and ``sweep`` releases it;
a request that still settles after that only adds its cost (its reservation is gone).
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import cast

from sqlalchemy import Connection, Engine, Table, bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import BindParameter

from crossroads.metering.keys import KeyRecord, utcnow
from crossroads.store.models import BudgetReservation, BudgetUsage
from crossroads.store.types import Money

EPOCH = datetime(1970, 1, 1)
RESERVATION_TTL = timedelta(hours=1)
_T = cast(Table, BudgetUsage.__table__)
_R = cast(Table, BudgetReservation.__table__)


@dataclass(frozen=True, slots=True)
class Reservation:
    key_id: str
    period_start: datetime
    amount: Decimal
    id: str  # its budget_reservations row


def period_start(period: str, now: datetime) -> datetime:
    """Start (UTC) of the budget period containing ``now``: day, week (Monday), month, or total."""
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return EPOCH


def _amount() -> BindParameter[Decimal]:
    return bindparam("amount", type_=Money())


class Budgets:
    def __init__(self, engine: Engine, ttl: timedelta = RESERVATION_TTL) -> None:
        self.engine = engine
        self.ttl = ttl  # an unsettled reservation this old belongs to a process that died
        self._known: set[tuple[str, datetime]] = set()
        insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
        self._ensure = insert(_T).on_conflict_do_nothing()
        self._reserve = (
            _T.update()
            .where(_T.c.key_id == bindparam("k"), _T.c.period_start == bindparam("p"))
            .where(_T.c.spent + _T.c.reserved + _amount() <= bindparam("budget", type_=Money()))
            .values(reserved=_T.c.reserved + _amount())
        )

    def reserve(self, key: KeyRecord, amount: Decimal) -> Reservation | None:
        """Reserve ``amount`` on the key's current period; None when that would pass its budget."""
        assert key.budget is not None
        now = utcnow()
        start = period_start(key.period, now)
        reservation = Reservation(key.id, start, amount, secrets.token_hex(16))
        with self.engine.begin() as conn:
            if (key.id, start) not in self._known:
                conn.execute(self._ensure, {"key_id": key.id, "period_start": start, "spent": 0, "reserved": 0})
            done = conn.execute(self._reserve, {"k": key.id, "p": start, "amount": amount, "budget": key.budget})
            if done.rowcount == 1:
                row = {"id": reservation.id, "key_id": key.id, "period_start": start, "amount": amount}
                conn.execute(_R.insert(), {**row, "expires_at": now + self.ttl})
        self._known.add((key.id, start))
        return reservation if done.rowcount == 1 else None

    def usage(self, key: KeyRecord) -> tuple[Decimal, Decimal]:
        """(spent, reserved) of the key's current period."""
        start = period_start(key.period, utcnow())
        query = select(_T.c.spent, _T.c.reserved).where(_T.c.key_id == key.id, _T.c.period_start == start)
        with self.engine.connect() as conn:
            row = conn.execute(query).one_or_none()
        return (row.spent, row.reserved) if row else (Decimal(0), Decimal(0))


_SETTLE = (
    _T.update()
    .where(_T.c.key_id == bindparam("k"), _T.c.period_start == bindparam("p"))
    .values(
        reserved=_T.c.reserved - _amount(),
        spent=_T.c.spent + bindparam("cost", type_=Money()),
    )
)
_RELEASE = (
    _T.update()
    .where(_T.c.key_id == bindparam("k"), _T.c.period_start == bindparam("p"))
    .values(reserved=_T.c.reserved - _amount())
)
_FORGET = delete(_R).where(_R.c.id == bindparam("rid"))


def settle(conn: Connection, items: Sequence[tuple[Reservation, Decimal]]) -> None:
    """Release each reservation and add the actual cost, inside the ledger writer's transaction. A reservation
    already swept (its row gone: the request outlived the time to live) is not released twice.

    Rows are updated in key order so two writers never wait on each other in a cycle."""
    params = []
    for r, cost in sorted(items, key=lambda item: (item[0].key_id, item[0].period_start)):
        held = conn.execute(_FORGET, {"rid": r.id}).rowcount == 1
        params.append({"k": r.key_id, "p": r.period_start, "amount": r.amount if held else Decimal(0), "cost": cost})
    if params:
        conn.execute(_SETTLE, params)


def sweep(engine: Engine, now: datetime | None = None) -> int:
    """Release every expired reservation (its process died before settling it); returns how many."""
    columns = (_R.c.key_id, _R.c.period_start, _R.c.amount)
    expired = delete(_R).where(_R.c.expires_at < (now or utcnow())).returning(*columns)
    with engine.begin() as conn:
        released = conn.execute(expired).all()  # only the rows this statement deleted: never one settled meanwhile
        totals: defaultdict[tuple[str, datetime], Decimal] = defaultdict(Decimal)
        for key_id, start, amount in released:
            totals[key_id, start] += amount
        for (key_id, start), amount in sorted(totals.items()):
            conn.execute(_RELEASE, {"k": key_id, "p": start, "amount": amount})
    return len(released)
