"""How the lab reads shadow records back (``crossroads eval --from-shadow``, ``crossroads tune``), from the store
or a JSONL file (``shadow_sinks`` writes them).

``read_shadow(source)`` yields records of one shape from either: ts, request_id, model, endpoint,
sensitive, request, primary, shadow (see ``crossroads.routing.shadow``). Costs come back as ``Decimal``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from crossroads.store.models import ShadowResult


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
