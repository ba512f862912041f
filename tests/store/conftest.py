"""The store tests use the metering fixtures for a SQLite file and a fresh PostgreSQL schema."""

from tests.metering.conftest import pg_url, sqlite_url

__all__ = ["pg_url", "sqlite_url"]
