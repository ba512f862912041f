"""Where shadow records go, and how the lab reads them back.

    StoreSink     the ``shadow_results`` table of the crossroads store (used when metering is enabled,
                  so the records sit next to the ledger; the metering stage applies the migrations)
    JsonlSink     one JSON object per line (``routing.shadow_log``; the default without a store)

``read_shadow(source)`` yields records of one shape from either: ts, request_id, model, endpoint,
sensitive, request, primary, shadow (see ``crossroads.routing.shadow``). Costs come back as ``Decimal``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import deque
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from crossroads.config import Settings
from crossroads.routing.shadow import DEFAULT_LOG, JsonlSink, ShadowSink
from crossroads.store.models import ShadowResult


class StoreSink:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def write(self, record: dict[str, Any]) -> None:
        await asyncio.to_thread(self._insert, _row(record))

    async def aclose(self) -> None:
        await asyncio.to_thread(self.engine.dispose)

    def _insert(self, row: ShadowResult) -> None:
        with Session(self.engine) as session, session.begin():
            session.add(row)


def _row(record: dict[str, Any]) -> ShadowResult:
    primary, shadow = _plain(record["primary"]), _plain(record["shadow"])
    return ShadowResult(
        id=uuid.uuid4().hex,
        at=datetime.fromtimestamp(record["ts"], UTC).replace(tzinfo=None),
        request_id=record["request_id"],
        model=record["model"],
        endpoint=record["endpoint"],
        sensitive=record["sensitive"],
        request=_plain(record["request"]),
        primary=primary,
        shadow=shadow,
        primary_backend=primary["backend"],
        shadow_backend=shadow["backend"],
        shadow_upstream_model=shadow["upstream_model"],
        shadow_status=shadow["status"],
        primary_latency_ms=_ms(primary["latency_s"]),
        shadow_latency_ms=_ms(shadow["latency_s"]),
        primary_cost=record["primary"].get("cost"),
        shadow_cost=record["shadow"].get("cost"),
    )


def _plain(value: Any) -> Any:
    """JSON-ready: Decimals as exact strings."""
    return orjson.loads(orjson.dumps(value, default=str))


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000


def sink_for(settings: Settings) -> ShadowSink:
    """``routing.shadow_log`` when set; else the store when metering is enabled; else the default JSONL file."""
    if settings.routing.shadow_log is not None:
        return JsonlSink(settings.routing.shadow_log)
    metering = getattr(settings, "metering", None)
    if metering is not None and metering.enabled:
        from crossroads.metering.build import database_url
        from crossroads.store import make_engine

        return StoreSink(make_engine(database_url(metering)))
    return JsonlSink(DEFAULT_LOG)


def read_shadow(
    source: Engine | str | Path, model: str | None = None, since: datetime | None = None, limit: int | None = None
) -> Iterator[dict[str, Any]]:
    """Every stored record, oldest first (a store engine, or a JSONL path), optionally for one model, at or after
    ``since`` (UTC), the newest ``limit`` of them. In the store the filters run in SQL (an index on model, time)."""
    if isinstance(source, Engine):
        records: Iterable[dict[str, Any]] = _from_store(source, model, since, limit)
    else:
        cutoff = None if since is None else _utc(since).timestamp()
        wanted = (
            r
            for r in _from_jsonl(Path(source))
            if (model is None or r["model"] == model) and (cutoff is None or float(r["ts"]) >= cutoff)
        )
        records = deque(wanted, maxlen=limit)
    for record in records:
        for side in ("primary", "shadow"):
            cost = record[side].get("cost")
            record[side]["cost"] = None if cost is None else Decimal(str(cost))
        yield record


def count_shadow(engine: Engine) -> dict[str, int]:
    """How many records the store holds per model."""
    query = select(ShadowResult.model, func.count()).group_by(ShadowResult.model)
    with engine.connect() as conn:
        return {model: int(count) for model, count in conn.execute(query)}


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _from_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open("rb") as file:
        for line in file:
            if line.strip():
                yield orjson.loads(line)


def _from_store(engine: Engine, model: str | None, since: datetime | None, limit: int | None) -> list[dict[str, Any]]:
    query = select(ShadowResult).order_by(ShadowResult.at.desc(), ShadowResult.id.desc())
    if model is not None:
        query = query.where(ShadowResult.model == model)
    if since is not None:
        query = query.where(ShadowResult.at >= _utc(since).astimezone(UTC).replace(tzinfo=None))
    if limit is not None:
        query = query.limit(limit)
    with Session(engine) as session:
        rows = [_record(row) for row in session.scalars(query)]
    rows.reverse()  # oldest first
    return rows


def _record(row: ShadowResult) -> dict[str, Any]:
    return {
        "ts": row.at.replace(tzinfo=UTC).timestamp(),
        "request_id": row.request_id,
        "model": row.model,
        "endpoint": row.endpoint,
        "sensitive": row.sensitive,
        "request": row.request,
        "primary": dict(row.primary),
        "shadow": dict(row.shadow),
    }
