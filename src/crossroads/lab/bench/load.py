"""Load patterns: a closed loop at fixed concurrency, or an open loop at a constant or Poisson request rate.

Each level runs ``requests`` requests or for ``duration`` seconds (whichever is given; a duration stops
new sends, requests in flight finish), after ``warmup`` requests whose records are dropped. Bodies are
used in turn from a pre-encoded list. ``on_record`` is called with each measured record (progress bars).
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from crossroads.lab.bench.client import BenchClient, Record

OnRecord = Callable[[Record], None]


@dataclass(frozen=True, slots=True)
class Plan:
    pattern: str  # concurrency | constant | poisson
    requests: int | None = None
    duration: float | None = None
    warmup: int = 0
    seed: int = 0


@dataclass(frozen=True, slots=True)
class LevelRun:
    level: float
    records: list[Record]
    duration: float


async def run_level(
    client: BenchClient, bodies: list[bytes], level: float, plan: Plan, on_record: OnRecord
) -> LevelRun:
    cycle = itertools.cycle(bodies)
    if plan.warmup:
        warm = Plan("concurrency", requests=plan.warmup)
        await _closed(client, cycle, max(1, min(int(level), plan.warmup)), warm, lambda r: None)
    began = time.perf_counter()
    if plan.pattern == "concurrency":
        records = await _closed(client, cycle, int(level), plan, on_record)
    else:
        records = await _open(client, cycle, level, plan, on_record)
    end = max((r.end for r in records), default=time.perf_counter())
    return LevelRun(level, records, end - began)


async def _closed(client: BenchClient, bodies: Iterator[bytes], workers: int, plan: Plan, on: OnRecord) -> list[Record]:
    records: list[Record] = []
    deadline = None if plan.duration is None else time.perf_counter() + plan.duration
    budget = plan.requests

    async def worker() -> None:
        nonlocal budget
        while True:
            if budget is not None:
                if budget <= 0:
                    return
                budget -= 1
            if deadline is not None and time.perf_counter() >= deadline:
                return
            record = await client.send(next(bodies))
            records.append(record)
            on(record)

    await asyncio.gather(*(worker() for _ in range(workers)))
    return records


def arrivals(rate: float, poisson: bool, seed: int) -> Iterator[float]:
    """Send times in seconds from the start: evenly spaced, or exponential gaps (a Poisson process)."""
    rng, at = random.Random(seed), 0.0
    while True:
        yield at
        at += rng.expovariate(rate) if poisson else 1.0 / rate


async def _open(client: BenchClient, bodies: Iterator[bytes], rate: float, plan: Plan, on: OnRecord) -> list[Record]:
    records: list[Record] = []
    tasks: set[asyncio.Task[None]] = set()

    async def one(body: bytes) -> None:
        record = await client.send(body)
        records.append(record)
        on(record)

    start = time.perf_counter()
    for sent, at in enumerate(arrivals(rate, plan.pattern == "poisson", plan.seed)):
        if (plan.requests is not None and sent >= plan.requests) or (plan.duration is not None and at >= plan.duration):
            break
        delay = start + at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one(next(bodies)))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.gather(*tasks)
    return records
