"""Assemble the metering stage from settings and its services (no I/O here); ``runtime`` starts and stops it,
``database`` finds and checks its store."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine

from crossroads.metering.admission import Admission
from crossroads.metering.auth import KeyCache
from crossroads.metering.budget import Budgets
from crossroads.metering.config import MeteringConfig
from crossroads.metering.content import Sealer
from crossroads.metering.database import database_url
from crossroads.metering.ledger import LedgerWriter
from crossroads.metering.metrics import Metrics
from crossroads.metering.pricing import Pricer
from crossroads.metering.ratelimit import LocalLimiter, RedisLimiter
from crossroads.metering.reach import reaches
from crossroads.metering.rows import build_rows
from crossroads.metering.runtime import Runtime
from crossroads.metering.stage import MeteringStage
from crossroads.routing.config import Routes
from crossroads.store import make_engine


def metering_stage(
    config: MeteringConfig, routes: Routes, pricer: Pricer, engine: Engine | None = None
) -> MeteringStage:
    engine = engine or make_engine(database_url(config))
    sealer = Sealer.from_env(config.content_logging.key_env) if config.content_logging.enabled else None
    limiter = RedisLimiter(config.redis_url, config.redis_prefix) if config.redis_url else LocalLimiter()
    budgets = Budgets(engine, timedelta(seconds=config.reservation_ttl_seconds))
    allow = config.unpriced == "allow"
    admission = Admission(budgets, limiter, reaches(routes, pricer), config.completion_estimate, allow)
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
