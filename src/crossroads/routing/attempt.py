"""One attempt on one deployment: send (or open a stream up to its first chunk) under a time limit,
keep the deployment's load, latency and breaker up to date, and write the attempt's record.

An attempt record (``call.facts.attempts`` entries, ``pipeline.call.AttemptRecord``): backend, upstream_model,
status, error_type, latency_s, usage, cost, used — plus ``rejected`` when a cascade validator turned the answer down.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable
from typing import Any, TypeVar

from crossroads import formats
from crossroads.backends.base import Body, Endpoint
from crossroads.errors import CrossroadsError, GatewayTimeout
from crossroads.pipeline.call import AttemptRecord
from crossroads.routing.deployment import Deployment
from crossroads.routing.retry import counts_against, retry_after

T = TypeVar("T")


def new_record(d: Deployment) -> AttemptRecord:
    return {
        "backend": d.backend.name,
        "upstream_model": d.upstream,
        "status": None,
        "error_type": None,
        "latency_s": None,
        "usage": None,
        "cost": None,
        "used": False,
    }


def succeeded(d: Deployment, record: AttemptRecord, began: float, usage: Any = None) -> None:
    elapsed = time.perf_counter() - began
    d.observe(elapsed)
    d.breaker.success()
    record["status"], record["latency_s"] = 200, round(elapsed, 6)
    if isinstance(usage, dict):
        record["usage"], record["cost"] = usage, d.cost(usage)


def failed(d: Deployment, record: AttemptRecord, began: float, exc: CrossroadsError) -> None:
    record["status"], record["error_type"] = exc.status, exc.code or exc.type
    record["latency_s"] = round(time.perf_counter() - began, 6)
    wait = retry_after(exc)
    if wait is not None:
        record["retry_after"] = wait
    if exc.status == 429:  # alive and asking for less: a cooldown when it says how long, never a failure
        if wait is not None:
            d.breaker.cool(wait, f"rate limited, Retry-After {wait:g}s")
    elif counts_against(exc):
        d.breaker.failure(f"{exc.status} {exc.code or exc.type}")
    else:
        d.breaker.success()  # the upstream answered: it is up, the request was wrong


async def _within(work: Awaitable[T], timeout: float | None) -> T:
    if timeout is None:  # the common case: the backend's own timeouts apply, no timer to arm
        return await work
    async with asyncio.timeout(timeout):
        return await work


def _timed_out(d: Deployment, seconds: float | None) -> GatewayTimeout:
    return GatewayTimeout(f"Backend '{d.backend.name}' did not answer within the attempt limit ({seconds}s).")


async def send(d: Deployment, endpoint: Endpoint, body: Body, record: AttemptRecord, timeout: float | None) -> Body:
    began = time.perf_counter()
    d.inflight += 1
    try:
        answer = await _within(formats.send(d.backend, endpoint, body), timeout)
    except TimeoutError:
        exc = _timed_out(d, timeout)
        failed(d, record, began, exc)
        raise exc from None
    except CrossroadsError as exc:
        failed(d, record, began, exc)
        raise
    except asyncio.CancelledError:
        d.breaker.probing = False  # a probe the client abandoned proves nothing
        raise
    finally:
        d.inflight -= 1
    succeeded(d, record, began, formats.answer_usage(endpoint, answer))
    return answer


async def open_stream(
    d: Deployment, endpoint: Endpoint, body: Body, record: AttemptRecord, timeout: float | None
) -> AsyncIterator[Body]:
    """The stream with its first chunk already received; a failure before it raises here."""
    began = time.perf_counter()
    chunks = formats.stream(d.backend, endpoint, body)
    d.inflight += 1
    try:
        first = await _within(anext(chunks, None), timeout)
    except BaseException as exc:
        d.inflight -= 1
        await _close(chunks)
        error = _timed_out(d, timeout) if isinstance(exc, TimeoutError) else exc
        if isinstance(error, CrossroadsError):
            failed(d, record, began, error)
            raise error from None
        raise
    return _tracked(d, record, began, first, chunks, endpoint)


async def _tracked(
    d: Deployment,
    record: AttemptRecord,
    began: float,
    first: Body | None,
    rest: AsyncIterator[Body],
    endpoint: Endpoint,
) -> AsyncIterator[Body]:
    usage = None
    try:
        if first is not None:
            usage = formats.chunk_usage(endpoint, first) or usage
            yield first
        async for chunk in rest:
            usage = formats.chunk_usage(endpoint, chunk) or usage
            yield chunk
    except CrossroadsError as exc:
        failed(d, record, began, exc)
        raise
    else:
        succeeded(d, record, began, usage)
    finally:
        d.inflight -= 1
        await _close(rest)


async def _close(chunks: AsyncIterator[Body]) -> None:
    aclose = getattr(chunks, "aclose", None)
    if aclose is not None:
        await aclose()
