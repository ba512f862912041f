"""The metering stage (outermost): who is calling, may they, and what did it cost.

Before the call: the key (401/403; a request without a valid key is counted, not recorded), rate
limits (429 + Retry-After) and the budget reservation (429 insufficient_quota) — all skipped while no
key exists. After it: a ``Pending`` for the ledger
writer. Streams get ``stream_options.include_usage`` so the upstream reports usage; the extra usage
chunk is removed again when the client did not ask for it. Nothing here waits on the database except
a budget reservation.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from crossroads import formats
from crossroads.backends.base import Body
from crossroads.errors import AuthenticationFailed, CrossroadsError
from crossroads.metering.admission import Admission, Ticket, capped, limit_fields
from crossroads.metering.auth import KeyCache
from crossroads.metering.config import MeteringConfig
from crossroads.metering.keys import KeyRecord, utcnow
from crossroads.metering.ledger import LedgerWriter
from crossroads.metering.metrics import Metrics
from crossroads.metering.rows import Pending
from crossroads.metering.strangers import Strangers
from crossroads.metering.streams import UsageStream, as_error
from crossroads.pipeline import Call, Next, NextStream, PassThrough
from crossroads.pipeline.call import AttemptRecord, Facts

if TYPE_CHECKING:
    from sqlalchemy import Engine

SHADOW_ACCOUNT = KeyRecord(id="shadow", name="shadow", prefix="")  # the ledger's key_id for mirrored calls


class Lifecycle(Protocol):
    """Start and shutdown of what the stage owns besides its parts (``runtime.Runtime``)."""

    config: MeteringConfig
    engine: Engine

    async def start(self, stage: MeteringStage) -> None: ...

    async def aclose(self, stage: MeteringStage) -> None: ...


class MeteringStage(PassThrough):
    def __init__(
        self, keys: KeyCache, admission: Admission, writer: LedgerWriter, metrics: Metrics, lifecycle: Lifecycle
    ) -> None:
        self.keys = keys
        self.strangers = Strangers(lifecycle.config.unauthenticated_per_minute)
        self.admission = admission
        self.writer = writer
        self.metrics = metrics
        self.lifecycle = lifecycle  # start/aclose of the store, migrations and limiter
        self.store = lifecycle.engine  # the SQLAlchemy engine: ledger, keys, audit
        self._mirrors = itertools.count(1)

    async def start(self) -> None:
        await self.lifecycle.start(self)

    async def aclose(self) -> None:
        await self.lifecycle.aclose(self)

    async def _admit(self, call: Call) -> Ticket | None:
        if not self.keys.active:
            return None  # no API keys configured: nothing to authenticate or admit against
        key = await self.authenticate(call.headers, call.client)
        call.key = key
        try:
            ticket = await self.admission.admit(call, key)
        except CrossroadsError as exc:
            self.metrics.rejections.labels(exc.code or exc.type).inc()
            await self.record(call, None, exc)
            raise
        call.body = capped(call.body, ticket.cap, limit_fields(call.endpoint))
        return ticket

    async def authenticate(self, headers: Mapping[str, str], client: str | None) -> KeyRecord:
        """The caller's key; a request without a valid one is only counted (``strangers``), not recorded."""
        try:
            return await self.keys.authenticate(headers)
        except AuthenticationFailed as exc:
            answer = await self.strangers.refused(client, exc)
            self.metrics.unauthenticated.labels(answer.code or answer.type).inc()
            raise answer from None

    async def send(self, call: Call, next: Next) -> Body:
        ticket = await self._admit(call)
        try:
            body = await next(call)
        except BaseException as exc:
            await self.record(call, ticket, as_error(exc))
            raise
        usage = formats.answer_usage(call.endpoint, body)
        await self.record(call, ticket, None, usage=usage, model=body.get("model"), body=body)
        return body

    async def stream(self, call: Call, next: NextStream) -> AsyncIterator[Body]:
        ticket = await self._admit(call)
        fmt = formats.format_for(call.endpoint)  # other formats always send their usage
        wanted = fmt is not None or bool((call.body.get("stream_options") or {}).get("include_usage"))
        if not wanted:
            options = {**(call.body.get("stream_options") or {}), "include_usage": True}
            call.body = {**call.body, "stream_options": options}
        try:
            chunks = await next(call)
        except BaseException as exc:
            await self.record(call, ticket, as_error(exc))
            raise
        ttft = time.perf_counter() - call.started
        done = lambda s: self._streamed(call, ticket, ttft, s)  # noqa: E731
        return UsageStream(chunks, keep_usage=wanted, done=done, fmt=fmt).run()

    async def _streamed(self, call: Call, ticket: Ticket | None, ttft: float, stream: UsageStream) -> None:
        await self.record(
            call, ticket, stream.error, usage=stream.usage, model=stream.model, text=stream.text, ttft=ttft
        )

    async def record_shadow(self, call: Call, record: AttemptRecord, reply: Body | None) -> None:
        """A mirrored call: its own ledger row on the shadow account, never on the client's key or budget."""
        copy = Call(
            call.endpoint,
            call.body,
            call.model,
            request_id=f"{call.request_id}.shadow{next(self._mirrors)}",
            started=call.started,
        )
        reason = f"shadow copy of {call.request_id}"
        copy.facts = Facts(backend=record["backend"], upstream_model=record["upstream_model"], route_reason=reason)
        pending = Pending(
            call=copy,
            at=utcnow(),
            latency_s=record["latency_s"] or 0.0,
            status=record["status"] or 499,
            key=SHADOW_ACCOUNT,
            error_type=record["error_type"],
            usage=record["usage"],
            response_model=record["upstream_model"],
            response=reply,
        )
        await self.writer.put(pending)

    async def record(
        self,
        call: Call,
        ticket: Ticket | None,
        error: CrossroadsError | None,
        *,
        usage: dict[str, Any] | None = None,
        model: str | None = None,
        body: Body | None = None,
        text: str | None = None,
        ttft: float | None = None,
    ) -> None:
        pending = Pending(
            call=call,
            at=utcnow(),
            latency_s=time.perf_counter() - call.started,
            status=error.status if error is not None else 200,
            key=call.key,
            ttft_s=ttft,
            error_type=(error.code or error.type) if error is not None else None,
            usage=usage,
            text=text,
            response_model=model,
            response=body,
            reservation=ticket.reservation if ticket is not None else None,
            estimated_tokens=ticket.estimated_tokens if ticket is not None else 0,
        )
        await self.writer.put(pending)
