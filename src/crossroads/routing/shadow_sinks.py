"""Where the gateway writes shadow records (``crossroads.routing.shadow``); ``shadow_records`` reads them back.

JsonlSink     one JSON object per line (``routing.shadow_log``; the default without a store)
StoreSink     the ``shadow_results`` table of the crossroads store (used when metering is enabled,
              so the records sit next to the ledger; the metering stage applies the migrations)
LazySink      picks one of them at the first record
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from crossroads.routing.shadow import ShadowSink
from crossroads.store.models import ShadowResult

DEFAULT_LOG = "crossroads-shadow.jsonl"


class JsonlSink:
    """Appends one JSON object per line (money as exact decimal strings); the file is created on first write."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    async def write(self, record: dict[str, Any]) -> None:
        line = orjson.dumps(record, default=str) + b"\n"
        await asyncio.to_thread(self._append, line)

    def _append(self, line: bytes) -> None:
        with self.path.open("ab") as file:
            file.write(line)


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


def sink_for(shadow_log: str | None, store: Callable[[], Engine] | None) -> ShadowSink:
    """``routing.shadow_log`` when set; else the store (``store()``: its engine) when metering is enabled; else the
    default JSONL file."""
    if shadow_log is not None:
        return JsonlSink(shadow_log)
    if store is not None:
        return StoreSink(store())
    return JsonlSink(DEFAULT_LOG)


class LazySink:
    """Picks the sink (``choose()``: store or JSONL) at the first record: building a router touches no disk or
    database."""

    def __init__(self, choose: Callable[[], ShadowSink]) -> None:
        self.choose = choose
        self.sink: ShadowSink | None = None

    async def write(self, record: dict[str, Any]) -> None:
        if self.sink is None:
            self.sink = self.choose()
        await self.sink.write(record)

    async def aclose(self) -> None:
        close = getattr(self.sink, "aclose", None)
        if close is not None:
            await close()
