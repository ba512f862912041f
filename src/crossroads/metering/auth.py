"""Which key a request carries: an in-memory map of key hashes, re-read from the store periodically.

No key in the store means the gateway is open (no key needed); once a key was created, every request
needs a valid one (revoking the last key does not open the gateway again). An unknown key triggers one
early re-read (at most once a second), so a key created a moment ago works at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping

from sqlalchemy import Engine

from crossroads.errors import AuthenticationFailed
from crossroads.metering.keys import KeyRecord, active_keys, hash_key

log = logging.getLogger("crossroads.metering")
MIN_REREAD_S = 1.0


def presented_key(headers: Mapping[str, str]) -> str | None:
    """The key from ``Authorization: Bearer …`` or Azure's ``api-key`` header."""
    auth = headers.get("authorization")
    if auth:
        scheme, _, token = auth.partition(" ")
        return token.strip() if scheme.lower() == "bearer" else None
    return headers.get("api-key")


class KeyCache:
    def __init__(self, engine: Engine, refresh_s: float) -> None:
        self.engine = engine
        self.refresh_s = refresh_s
        self.keys: dict[str, KeyRecord] = {}
        self.required = False  # True once any key exists (revoked ones included)
        self._read_at = 0.0
        self._task: asyncio.Task[None] | None = None

    @property
    def active(self) -> bool:
        return self.required

    async def start(self) -> None:
        await self.reread()
        self._task = asyncio.create_task(self._refresh_forever(), name="crossroads-keys")

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def reread(self) -> None:
        self._read_at = time.monotonic()
        self.keys, self.required = await asyncio.to_thread(active_keys, self.engine)

    async def _refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(self.refresh_s)
            try:
                await self.reread()
            except Exception:
                log.exception("could not re-read API keys; keeping the %d known ones", len(self.keys))

    async def authenticate(self, headers: Mapping[str, str]) -> KeyRecord:
        token = presented_key(headers)
        if not token:
            raise AuthenticationFailed(
                "You didn't provide an API key. Send it as 'Authorization: Bearer sk-cr-…' "
                "(create one with `crossroads keys create`)."
            )
        digest = hash_key(token)
        key = self.keys.get(digest)
        if key is None and time.monotonic() - self._read_at > MIN_REREAD_S:
            await self.reread()
            key = self.keys.get(digest)
        if key is None:
            raise AuthenticationFailed(f"Incorrect API key provided: {_masked(token)}. It is unknown or revoked.")
        return key


def _masked(token: str) -> str:
    return token[:8] + "…" + token[-4:] if len(token) > 16 else "…"
