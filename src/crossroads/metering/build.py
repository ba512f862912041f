"""Assemble the metering stage from settings (no I/O here), and run its start and shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from crossroads.errors import ConfigError
from crossroads.metering.admission import Admission
from crossroads.metering.auth import KeyCache
from crossroads.metering.budget import Budgets, sweep
from crossroads.metering.config import MeteringConfig
from crossroads.metering.content import Sealer
from crossroads.metering.keys import KeyRecord
from crossroads.metering.ledger import LedgerWriter, Pending
from crossroads.metering.metrics import Metrics
from crossroads.metering.pricing import Pricer
from crossroads.metering.ratelimit import LocalLimiter, RedisLimiter
from crossroads.metering.reach import reaches
from crossroads.metering.rows import Row, build_rows
from crossroads.metering.stage import MeteringStage
from crossroads.store import current_revision, describe, head_revision, make_engine, upgrade


def database_url(config: MeteringConfig) -> str:
    """``database_url``, or the variable ``database_url_env`` names when set."""
    if config.database_url_env is None:
        return config.database_url
    url = os.environ.get(config.database_url_env)
    if not url:
        raise ConfigError(
            f"metering.database_url_env names {config.database_url_env}, which is not set",
            [f"metering.database_url_env: set {config.database_url_env} to the database URL, or remove it"],
        )
    return url


def metering_stage(
    config: MeteringConfig, settings: Any, pricer: Pricer, engine: Engine | None = None
) -> MeteringStage:
    engine = engine or make_engine(database_url(config))
    sealer = Sealer.from_env(config.content_logging.key_env) if config.content_logging.enabled else None
    limiter = RedisLimiter(config.redis_url, config.redis_prefix) if config.redis_url else LocalLimiter()
    budgets = Budgets(engine, timedelta(seconds=config.reservation_ttl_seconds))
    allow = config.unpriced == "allow"
    admission = Admission(budgets, limiter, reaches(settings, pricer), config.completion_estimate, allow)
    metrics = Metrics()
    writer = LedgerWriter(engine, config.ledger, lambda p: build_rows(p, pricer, sealer), metrics.observe)
    runtime = Runtime(config, engine, limiter)
    keys = KeyCache(
        engine,
        config.key_refresh_seconds,
        max_failures=config.key_reread_failures,
        database_url=engine.url.render_as_string(hide_password=False),
    )
    return MeteringStage(keys, admission, writer, metrics, runtime)


def ensure_schema(engine: Engine, migrate: bool) -> str | None:
    """Migrate (``migrate``) or check that the schema is the latest; returns the revision."""
    if migrate:
        return upgrade(engine)[1]
    current, head = current_revision(engine), head_revision(engine)
    if current != head:
        raise ConfigError(
            f"the metering database {describe(engine)} is at revision {current}, this version needs {head}",
            ["run `crossroads db upgrade`, or set metering.migrate_on_start: true"],
        )
    return current


def prepare_store(config: MeteringConfig, migrate: bool | None = None) -> str:
    """For ``serve`` before it listens: reach the database and migrate it (or check it), so a problem is a
    clear ConfigError rather than a failed startup. Returns a line for the log."""
    engine = make_engine(database_url(config))
    try:
        revision = ensure_schema(engine, config.migrate_on_start if migrate is None else migrate)
    except SQLAlchemyError as exc:
        raise _unusable(engine, exc) from None
    finally:
        engine.dispose()
    return f"metering: {describe(engine)} at schema revision {revision}"


def _unusable(engine: Engine, exc: SQLAlchemyError) -> ConfigError:
    return ConfigError(
        f"cannot use the metering database {describe(engine)}",
        [f"metering.database_url: {exc.__class__.__name__}: {str(exc).splitlines()[0]} — is the database running?"],
    )


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
            raise _unusable(self.engine, exc) from None
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
