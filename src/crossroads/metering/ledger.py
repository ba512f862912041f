"""The ledger: one row per request, written off the request path by a batched writer.

Requests hand a ``Pending`` (``rows``) to ``LedgerWriter.put`` (a bounded queue: when it is full, requests wait
rather than lose rows). One task drains the queue in batches; each batch is one transaction in a
worker thread: ledger rows, their audit-chain links, the dashboard's rollups and the settled budgets. ``aclose`` drains
everything queued, so a graceful shutdown loses no settled request.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, insert

from crossroads.metering import audit, budget, rollup
from crossroads.metering.config import LedgerConfig
from crossroads.metering.rows import Pending, Row, build_row, build_rows
from crossroads.store.models import LedgerRow

log = logging.getLogger("crossroads.metering")
RETRIES = 3


class LedgerWriter:
    def __init__(
        self,
        engine: Engine,
        config: LedgerConfig,
        build: Callable[[Pending], list[Row]],
        observe: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.engine = engine
        self.config = config
        self.build = build
        self.observe = observe
        self.queue: asyncio.Queue[Pending | None] = asyncio.Queue(config.queue_size)
        self.written = 0
        self.on_written: list[Callable[[list[tuple[Pending, list[Row]]]], Any]] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="crossroads-ledger")

    async def put(self, pending: Pending) -> None:
        try:
            self.queue.put_nowait(pending)
        except asyncio.QueueFull:
            log.warning("ledger queue full (%d rows): requests wait for the writer", self.queue.maxsize)
            await self.queue.put(pending)

    async def aclose(self) -> None:
        """Write everything queued, then stop."""
        if self._task is None:
            return
        await self.queue.put(None)
        await self._task
        self._task = None

    async def _run(self) -> None:
        stopping = False
        while not stopping:
            batch, stopping = await self._batch()
            if batch:
                await self._write(batch)

    async def _batch(self) -> tuple[list[Pending], bool]:
        first = await self.queue.get()
        if first is None:
            return [], True
        batch = [first]
        if self.config.flush_ms and self.queue.empty():
            await asyncio.sleep(self.config.flush_ms / 1000)
        while len(batch) < self.config.batch_size and not self.queue.empty():
            item = self.queue.get_nowait()
            if item is None:
                return batch, True
            batch.append(item)
        return batch, False

    async def _write(self, batch: list[Pending]) -> None:
        for attempt in range(1, RETRIES + 1):
            try:
                rows = await asyncio.to_thread(self._write_sync, batch)
            except Exception:
                log.exception("ledger write of %d rows failed (attempt %d of %d)", len(batch), attempt, RETRIES)
                await asyncio.sleep(0.2 * attempt)
                continue
            self.written += len(rows)
            for callback in self.on_written:
                await callback(rows)
            return
        log.error("ledger: %d rows could not be written and are lost", len(batch))

    def _write_sync(self, batch: list[Pending]) -> list[tuple[Pending, list[Row]]]:
        built = [(p, self.build(p)) for p in batch]
        rows = [row for _, request_rows in built for row in request_rows]
        settles = [(p.reservation, spent(request_rows)) for p, request_rows in built if p.reservation is not None]
        with self.engine.begin() as conn:
            conn.execute(insert(LedgerRow), [row.values for row in rows])
            audit.append(conn, [row.link for row in rows])
            rollup.add(conn, [row.values for row in rows])
            budget.settle(conn, settles)
        if self.observe is not None:
            for row in rows:
                self.observe(row.values)
        return built


def spent(rows: list[Row]) -> Decimal:
    """What a request cost in all: its own row and every upstream call it caused."""
    return sum((row.cost_or_zero for row in rows), Decimal(0))


__all__ = ["LedgerWriter", "Pending", "Row", "build_row", "build_rows"]
