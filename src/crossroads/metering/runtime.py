"""The metering stage's start and shutdown: schema check, key cache, ledger writer, reservation sweeper, limiter."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from crossroads.metering.budget import sweep
from crossroads.metering.config import MeteringConfig
from crossroads.metering.database import ensure_schema, unusable
from crossroads.metering.keys import KeyRecord
from crossroads.metering.ratelimit import LocalLimiter, RedisLimiter

if TYPE_CHECKING:
    from crossroads.metering.rows import Pending, Row
    from crossroads.metering.stage import MeteringStage

log = logging.getLogger("crossroads.metering")
SWEEP_EVERY_SECONDS = 300.0


class Runtime:
    """What the stage owns besides its parts: the engine, migrations at start, the limiter."""

    def __init__(self, config: MeteringConfig, engine: Engine, limiter: LocalLimiter | RedisLimiter) -> None:
        self.config = config
        self.engine = engine
        self.limiter = limiter
        self.sweeper: asyncio.Task[None] | None = None

    async def start(self, stage: MeteringStage) -> None:
        try:
            await asyncio.to_thread(ensure_schema, self.engine, self.config.migrate_on_start)
            await stage.keys.start()
        except SQLAlchemyError as exc:
            raise unusable(self.engine, exc) from None
        if self.config.unpriced == "allow":
            log.warning("metering.unpriced: allow — budgeted keys may use models without a price, for free")
        stage.writer.on_written.append(lambda rows: self._adjust(stage, rows))
        stage.writer.start()
        self.sweeper = asyncio.create_task(self._sweep(), name="crossroads-reservation-sweeper")

    async def _sweep(self) -> None:
        """Release expired budget reservations now and then (any replica may: each is released once)."""
        every = min(SWEEP_EVERY_SECONDS, self.config.reservation_ttl_seconds / 4)
        while True:
            try:
                if released := await asyncio.to_thread(sweep, self.engine):
                    log.warning("released %d budget reservation(s) never settled (process died mid-request)", released)
            except SQLAlchemyError as exc:  # the database is away for a moment: try again next time
                log.warning("could not sweep budget reservations: %s", str(exc).splitlines()[0])
            await asyncio.sleep(every)

    async def _adjust(self, stage: MeteringStage, rows: list[tuple[Pending, list[Row]]]) -> None:
        """Correct the token buckets with the real counts, now that they are known."""
        for pending, request_rows in rows:
            key = pending.key
            if isinstance(key, KeyRecord) and key.tpm and pending.estimated_tokens:
                used = sum(row.total_tokens for row in request_rows)
                await self.limiter.adjust(key.id, key.tpm, pending.estimated_tokens - used)

    async def aclose(self, stage: MeteringStage) -> None:
        if self.sweeper is not None:
            self.sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.sweeper
        try:
            await stage.writer.aclose()
            await stage.keys.aclose()
            await self.limiter.aclose()
        finally:
            await asyncio.to_thread(self.engine.dispose)
