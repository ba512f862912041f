"""Which key a request carries: an in-memory map of key hashes, re-read from the store.

No key in the store means the gateway is open (no key needed); once a key was created, every request
needs a valid one (revoking the last key does not open the gateway again). An unknown key triggers one
early re-read (at most once a second), so a key created a moment ago works at once.

Re-reads happen every ``key_refresh_seconds`` and, on PostgreSQL, at once when any gateway or the CLI
changes a key (``key_watch``). A re-read that fails keeps the known keys — but only for
``key_reread_failures`` failures in a row: after that every key is refused (503) until the store
answers again, so a revoked key cannot live on in a replica cut off from the store (fail closed).
A key past its ``expires_at`` is refused like a revoked one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from crossroads.errors import AuthenticationFailed, ServiceUnavailable
from crossroads.metering import key_watch
from crossroads.metering.keys import KeyRecord, active_keys, hash_key, utcnow

log = logging.getLogger("crossroads.metering")
MIN_REREAD_S = 1.0


def presented_key(headers: Mapping[str, str]) -> str | None:
    """The key from ``Authorization: Bearer …``, Azure's ``api-key`` or Anthropic's ``x-api-key`` header."""
    auth = headers.get("authorization")
    if auth:
        scheme, _, token = auth.partition(" ")
        return token.strip() if scheme.lower() == "bearer" else None
    return headers.get("api-key") or headers.get("x-api-key")


class KeyCache:
    def __init__(
        self, engine: Engine, refresh_s: float, *, max_failures: int = 3, database_url: str | None = None
    ) -> None:
        self.engine = engine
        self.refresh_s = refresh_s
        self.max_failures = max_failures
        self.database_url = database_url
        self.keys: dict[str, KeyRecord] = {}
        self.required = False  # True once any key exists (revoked ones included)
        self.failures = 0  # failed re-reads in a row
        self._read_at = 0.0
        self._started = self._applied = 0  # re-read tickets: an older read never overwrites a newer one
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def active(self) -> bool:
        return self.required

    async def start(self) -> None:
        await self.reread()
        self._tasks.append(asyncio.create_task(self._refresh_forever(), name="crossroads-keys"))
        if self.database_url is not None and key_watch.listens(self.database_url):
            watch = key_watch.listen(self.database_url, self.refresh)
            self._tasks.append(asyncio.create_task(watch, name="crossroads-key-watch"))

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    async def reread(self) -> None:
        self._read_at = time.monotonic()
        self._started += 1
        ticket = self._started
        keys, required = await asyncio.to_thread(active_keys, self.engine)
        if ticket > self._applied:
            self._applied, self.keys, self.required = ticket, keys, required

    async def refresh(self) -> None:
        """Re-read; a failure is logged and counted, never raised."""
        try:
            await self.reread()
        except (SQLAlchemyError, OSError):
            self.failures += 1
            log.exception("could not re-read API keys (%d failure(s) in a row)", self.failures)
        else:
            self.failures = 0

    async def _refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(self.refresh_s)
            await self.refresh()

    async def authenticate(self, headers: Mapping[str, str]) -> KeyRecord:
        if self.failures >= self.max_failures:
            raise ServiceUnavailable(
                f"API keys cannot be checked: the key store failed {self.failures} re-reads in a row. "
                "Requests are refused until it answers again.",
                code="keys_unavailable",
            )
        token = presented_key(headers)
        if not token:
            raise AuthenticationFailed(
                "You didn't provide an API key. Send it as 'Authorization: Bearer sk-cr-…' "
                "(create one with `crossroads keys create`)."
            )
        digest = hash_key(token)
        key = self.keys.get(digest)
        if key is None and time.monotonic() - self._read_at > MIN_REREAD_S:
            await self.refresh()
            key = self.keys.get(digest)
        if key is None:
            raise AuthenticationFailed(f"Incorrect API key provided: {_masked(token)}. It is unknown or revoked.")
        if key.expired(utcnow()):
            raise AuthenticationFailed(
                f"The API key {_masked(token)} expired at {key.expires_at:%Y-%m-%d %H:%M} UTC — use its replacement "
                "(see `crossroads keys rotate`)."
            )
        return key


def _masked(token: str) -> str:
    return token[:8] + "…" + token[-4:] if len(token) > 16 else "…"
