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
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, select
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


def read_shadow(source: Engine | str | Path, model: str | None = None) -> Iterator[dict[str, Any]]:
    """Every stored record, oldest first (a store engine, or a JSONL path), optionally for one model."""
    records = _from_store(source, model) if isinstance(source, Engine) else _from_jsonl(Path(source))
    for record in records:
        if model is None or record["model"] == model:
            for side in ("primary", "shadow"):
                cost = record[side].get("cost")
                record[side]["cost"] = None if cost is None else Decimal(str(cost))
            yield record


def _from_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open("rb") as file:
        for line in file:
            if line.strip():
                yield orjson.loads(line)


def _from_store(engine: Engine, model: str | None) -> Iterator[dict[str, Any]]:
    query = select(ShadowResult).order_by(ShadowResult.at)
    if model is not None:
        query = query.where(ShadowResult.model == model)
    with Session(engine) as session:
        for row in session.scalars(query):
            yield {
                "ts": row.at.replace(tzinfo=UTC).timestamp(),
                "request_id": row.request_id,
                "model": row.model,
                "endpoint": row.endpoint,
                "sensitive": row.sensitive,
                "request": row.request,
                "primary": dict(row.primary),
                "shadow": dict(row.shadow),
            }
