"""What the rest of the gateway may use of metering: ``Gateway.metering`` is one of these (or None when
``metering.enabled`` is false). Routes (``/metrics``, ``/admin``, ``/v1/models``) and the dashboard read
metering only through it, never through the stage's parts.

    metering.store            the SQLAlchemy engine holding the ledger, keys and audit chain
    metering.keys_active      whether any key exists (until then the gateway is open)
    metering.authenticate()   the caller's key from request headers (401/403 as ``CrossroadsError``; a request
                              without a valid key is counted as a stranger)
    metering.check_key()      the active key a plaintext key names (``AuthenticationFailed`` if none), uncounted
    metering.refuse_stranger() the answer to a failed sign-in, counted like any request without a valid key
    metering.key_records()    the active keys as last read
    metering.keys_changed()   re-read the keys after a change (create, revoke, rotate)
    metering.queue_depth()    ledger rows waiting to be written
    metering.metrics_text()   the Prometheus exposition, ledger-queue gauge up to date
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from crossroads.errors import AuthenticationFailed, CrossroadsError
    from crossroads.metering.keys import KeyRecord
    from crossroads.metering.stage import MeteringStage


class Metering:
    def __init__(self, stage: MeteringStage) -> None:
        self._stage = stage

    @property
    def store(self) -> Engine:
        return self._stage.store

    @property
    def keys_active(self) -> bool:
        return self._stage.keys.active

    async def authenticate(self, headers: Mapping[str, str], client: str | None) -> KeyRecord:
        return await self._stage.authenticate(headers, client)

    async def check_key(self, plaintext: str) -> KeyRecord:
        return await self._stage.keys.authenticate({"authorization": f"Bearer {plaintext}"})

    async def refuse_stranger(self, client: str | None, error: AuthenticationFailed) -> CrossroadsError:
        return await self._stage.strangers.refused(client, error)

    def key_records(self) -> list[KeyRecord]:
        return list(self._stage.keys.keys.values())

    async def keys_changed(self) -> None:
        await self._stage.keys.reread()

    def queue_depth(self) -> int:
        return self._stage.writer.queue.qsize()

    def metrics_text(self) -> bytes:
        metrics = self._stage.metrics
        metrics.ledger_queue.set(self.queue_depth())
        return metrics.render()
