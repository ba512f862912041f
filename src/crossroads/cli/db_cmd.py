"""crossroads db: apply the store's migrations; the shared --database option of the metering commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from crossroads.cli.common import CONTEXT, config_option, fail, settings_or_exit
from crossroads.errors import ConfigError

F = TypeVar("F", bound=Callable[..., Any])
DATABASE_ENV = "CROSSROADS_DATABASE_URL"


def database_option(func: F) -> F:
    func = click.option(
        "--database",
        envvar=DATABASE_ENV,
        default=None,
        help=f"Database URL (default: ${DATABASE_ENV}, else metering.database_url of the config).",
    )(func)
    return config_option(func)


def open_engine(config_path: str | None, database: str | None, *, need_schema: bool = True) -> Engine:
    """The store named by --database or the config; fails with the fix when it is unusable or not migrated."""
    from crossroads.metering.database import database_url
    from crossroads.store import current_revision, describe, head_revision, make_engine

    settings = settings_or_exit(config_path)
    try:
        engine = make_engine(database or database_url(settings.metering))
        if need_schema and current_revision(engine) != head_revision(engine):
            where = f" --config {config_path}" if config_path else ""
            fail(f"{describe(engine)} is not at the latest schema — run `crossroads db upgrade{where}` first")
    except ConfigError as exc:
        fail(str(exc))
    except SQLAlchemyError as exc:
        fail(f"cannot open the database: {str(exc).splitlines()[0]} — check --database or metering.database_url")
    if not settings.metering.enabled and not database:
        click.secho(
            f"note: metering is off in {settings.source}; keys, budgets and the ledger apply only with "
            "metering: {enabled: true}",
            fg="yellow",
            err=True,
        )
    return engine


@click.group(context_settings=CONTEXT)
def db() -> None:
    """The metering database (ledger, keys, audit chain)."""


@db.command("upgrade", context_settings=CONTEXT)
@database_option
def upgrade_cmd(config_path: str | None, database: str | None) -> None:
    """Create or migrate the database to the latest schema (serve also does this on start)."""
    from crossroads.store import describe, upgrade

    engine = open_engine(config_path, database, need_schema=False)
    try:
        before, after = upgrade(engine)
    except SQLAlchemyError as exc:
        fail(f"migration failed on {describe(engine)}: {str(exc).splitlines()[0]}")
    if before == after:
        click.echo(f"{describe(engine)}: already at revision {after} (latest)")
    else:
        click.echo(f"{describe(engine)}: upgraded from {before or 'an empty database'} to revision {after} (latest)")


@db.command("status", context_settings=CONTEXT)
@database_option
def status_cmd(config_path: str | None, database: str | None) -> None:
    """Which schema revision the database is at, and the latest one."""
    from crossroads.store import current_revision, describe, head_revision

    engine = open_engine(config_path, database, need_schema=False)
    current, head = current_revision(engine), head_revision(engine)
    state = "up to date" if current == head else "needs `crossroads db upgrade`"
    click.echo(f"{describe(engine)}: revision {current or 'none (empty)'}, latest {head} — {state}")
