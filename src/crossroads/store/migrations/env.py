"""Alembic environment: runs against the engine crossroads passes in ``config.attributes['engine']``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from crossroads.store.models import Base


def run() -> None:
    engine = context.config.attributes.get("engine")
    if engine is None:  # plain `alembic` with sqlalchemy.url in an ini file
        engine = create_engine(context.config.get_main_option("sqlalchemy.url") or "sqlite:///crossroads.db")
    with engine.begin() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
        context.run_migrations()


run()
