"""Responses kept for ``previous_response_id`` and ``GET /v1/responses/{id}`` (``responses.storage: database``).

What is kept is what left the gateway and what came back before the guard restored it: the guard's request
body (placeholders where it found values; the guard's strictest rewrite, whatever target served the call)
and the upstream's response object (placeholders, as the model wrote them). So a kept response never holds
a value the guard replaced; ``GET`` shows the placeholders, and a conversation continued with
``previous_response_id`` sends the upstream the same placeholders again. Each is owned by the API key that
made it (or by nobody while no key exists) and deleted ``ttl_hours`` after it was made.

``StorageStage`` sits inside the privacy guard (next to the router), where it sees exactly that.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from crossroads.backends.base import Body, Endpoint
from crossroads.errors import InvalidRequest, NotFound
from crossroads.metering.keys import utcnow
from crossroads.pipeline import Call, Next, NextStream, PassThrough
from crossroads.store.models import StoredResponse

log = logging.getLogger("crossroads.responses")
FINISHED = ("response.completed", "response.incomplete")
SWEEP_SECONDS = 3600.0


class ResponseStore:
    def __init__(self, engine: Engine, ttl_hours: float) -> None:
        self.engine = engine
        self.ttl = timedelta(hours=ttl_hours)

    def put(self, owner: str | None, model: str, items: list[Any], response: Body) -> None:
        now = utcnow()
        row = StoredResponse(id=response["id"], key_id=owner, model=model, created_at=now, expires_at=now + self.ttl,
                             input=items, response=response)  # fmt: skip
        with Session(self.engine) as db, db.begin():
            db.merge(row)

    def get(self, ident: str, owner: str | None) -> StoredResponse:
        with Session(self.engine, expire_on_commit=False) as db:
            row = db.get(StoredResponse, ident)
        if row is None or row.key_id != owner or row.expires_at <= utcnow():
            raise NotFound(f"Response with id '{ident}' not found.", param="response_id")
        return row

    def delete(self, ident: str, owner: str | None) -> None:
        self.get(ident, owner)
        with self.engine.begin() as db:
            db.execute(delete(StoredResponse).where(StoredResponse.id == ident))

    def sweep(self, now: datetime | None = None) -> int:
        """Delete every expired response; returns how many."""
        with self.engine.begin() as db:
            gone = db.execute(select(StoredResponse.id).where(StoredResponse.expires_at <= (now or utcnow())))
            ids = [row[0] for row in gone]
            if ids:
                db.execute(delete(StoredResponse).where(StoredResponse.id.in_(ids)))
        return len(ids)

    async def conversation(self, ident: str, owner: str | None) -> list[Any]:
        """The input items that continue response ``ident``: its own input, then its output."""
        row = await asyncio.to_thread(self.get, ident, owner)
        return [*row.input, *(row.response.get("output") or ())]


def input_items(body: Body) -> list[Any]:
    given = body.get("input")
    return [{"role": "user", "content": given}] if isinstance(given, str) else list(given or [])


def wants_storing(body: Body) -> bool:
    return body.get("store") is not False


class StorageStage(PassThrough):
    """Keeps each stored Responses call's guarded request and unrestored answer; other calls pass by. Without a
    store (``responses.storage: off``) it only says so in the answer (``store: false``)."""

    def __init__(self, store: ResponseStore | None, migrate: Any = None) -> None:
        self.store = store
        self.migrate = migrate  # brings the database's schema up to date on start (None: someone else does)
        self.sweeper: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.store is None:
            return
        if self.migrate is not None:
            await asyncio.to_thread(self.migrate)
        self.sweeper = asyncio.create_task(self._sweep(self.store))

    async def aclose(self) -> None:
        if self.sweeper is not None:
            self.sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.sweeper

    async def _sweep(self, store: ResponseStore) -> None:
        while True:
            try:
                removed = await asyncio.to_thread(store.sweep)
                if removed:
                    log.info("deleted %d expired stored responses", removed)
            except Exception as exc:  # the next sweep tries again; reads never return an expired response
                log.warning("sweeping stored responses failed: %s", type(exc).__name__)
            await asyncio.sleep(SWEEP_SECONDS)

    async def send(self, call: Call, next: Next) -> Body:
        if call.endpoint is not Endpoint.RESPONSES:
            return await next(call)
        answer = await next(call)
        await self._keep(call, answer)
        return answer

    async def stream(self, call: Call, next: NextStream) -> AsyncIterator[Body]:
        events = await next(call)
        if call.endpoint is not Endpoint.RESPONSES or self.store is None:
            return events  # without a store, the answer already says store: false (nothing to watch for)
        return self._kept(call, events)

    async def _kept(self, call: Call, events: AsyncIterator[Body]) -> AsyncIterator[Body]:
        try:
            async for event in events:
                if event.get("type") in FINISHED and isinstance(event.get("response"), dict):
                    await self._keep(call, event["response"])
                elif isinstance(event.get("response"), dict):
                    _echo(call, event["response"], stored=self.store is not None and wants_storing(call.body))
                yield event
        finally:
            aclose = getattr(events, "aclose", None)
            if aclose is not None:
                await aclose()

    async def _keep(self, call: Call, answer: Body) -> None:
        """Written before the answer goes on (the guard restores it in place next, and the client may name it in
        its very next request); a failed write is logged and the answer says ``store: false``."""
        stored = self.store is not None and wants_storing(call.body) and isinstance(answer.get("id"), str)
        _echo(call, answer, stored)
        if not stored or self.store is None:
            return
        copy = orjson.loads(orjson.dumps(answer))
        items = orjson.loads(orjson.dumps(input_items(call.body)))
        try:
            await asyncio.to_thread(self.store.put, getattr(call.key, "id", None), call.model, items, copy)
        except Exception as exc:
            log.error("keeping response %s failed: %s", answer["id"], type(exc).__name__)
            answer["store"] = False


def _echo(call: Call, answer: Body, stored: bool) -> None:
    answer["store"] = stored
    answer["previous_response_id"] = call.body.get("previous_response_id")


def refused_previous() -> InvalidRequest:
    return InvalidRequest(
        "previous_response_id needs stored responses, and this gateway keeps none: set responses.storage: database "
        "in crossroads.yaml (or send the conversation's items in input).",
        param="previous_response_id",
        code="responses_not_stored",
    )


def storage_stage(settings: Any, metering: Any) -> StorageStage:
    """The stage for ``settings.responses``; a store in the ledger's database shares the metering stage's engine."""
    config = settings.responses
    if config.storage == "off":
        return StorageStage(None)
    from crossroads.metering.build import database_url
    from crossroads.store import make_engine, upgrade

    url = config.database_url or database_url(settings.metering)
    if metering is not None and url == database_url(settings.metering):
        return StorageStage(ResponseStore(metering.store, config.ttl_hours))  # metering migrates it
    engine = make_engine(url)
    return StorageStage(ResponseStore(engine, config.ttl_hours), migrate=lambda: upgrade(engine))


def store_of(stages: Any) -> ResponseStore | None:
    """The gateway's response store, if it keeps responses."""
    return next((s.store for s in stages if isinstance(s, StorageStage)), None)
