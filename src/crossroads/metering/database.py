"""The metering database: its URL from settings, and the schema check or migration before use (``crossroads
serve`` runs ``prepare_store`` before it listens; the stage runs ``ensure_schema`` when it starts)."""

from __future__ import annotations

import os

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from crossroads.errors import ConfigError
from crossroads.metering.config import MeteringConfig
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
        raise unusable(engine, exc) from None
    finally:
        engine.dispose()
    return f"metering: {describe(engine)} at schema revision {revision}"


def unusable(engine: Engine, exc: SQLAlchemyError) -> ConfigError:
    return ConfigError(
        f"cannot use the metering database {describe(engine)}",
        [f"metering.database_url: {exc.__class__.__name__}: {str(exc).splitlines()[0]} — is the database running?"],
    )
