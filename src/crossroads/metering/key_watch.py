"""Key changes reach every running gateway at once, not at the next periodic re-read.

On PostgreSQL (the store replicas share), every create, revoke and rotate sends a notification on the
channel ``crossroads_keys`` inside its own transaction — so it is delivered exactly when the change is
committed — and each gateway LISTENs on it and re-reads its keys. A listener that loses its connection
reconnects (with backoff) and re-reads once it is back, so nothing announced meanwhile is missed; the
periodic re-read (``metering.key_refresh_seconds``) stays as the floor. SQLite serves one host: there
the periodic re-read is the only way a change made by another process arrives.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url

log = logging.getLogger("crossroads.metering")
CHANNEL = "crossroads_keys"
MAX_BACKOFF_S = 30.0


def announce(conn: Connection) -> None:
    """Tell every listening gateway, when this transaction commits, that the keys changed."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})


def listens(database_url: str) -> bool:
    return make_url(database_url).get_backend_name() == "postgresql"


async def listen(database_url: str, changed: Callable[[], Awaitable[None]]) -> None:
    """Forever: call ``changed`` on each notification, and after each (re)connection."""
    import psycopg

    conninfo = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    delay = 0.5
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
                await conn.execute(f"LISTEN {CHANNEL}")
                delay = 0.5
                await changed()  # whatever changed while nobody listened
                async for _ in conn.notifies():
                    await changed()
        except (psycopg.Error, OSError) as exc:
            log.warning("key change listener lost its connection (%s); retrying in %.1f s", exc, delay)
        await asyncio.sleep(delay)
        delay = min(delay * 2, MAX_BACKOFF_S)
