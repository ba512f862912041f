"""The attempt loop: try a call's candidates in order, round after round, until one answers.

    round 1        each candidate once (a deployment whose breaker is open is skipped)
    round 2 …      after a backoff (≥ any Retry-After asked), the candidates again — ``retry.retries`` times

A failure the client caused (a 4xx other than 408/409/429) ends the loop at once. A cascade may turn an
answer down: the next candidate is tried, and the turned-down answer is kept in case none does better.
Every exit explains itself in ``call.facts`` and the ``x-crossroads-*`` headers, errors included.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from random import Random
from typing import Any, Generic, TypeVar

from crossroads.backends.base import Body
from crossroads.errors import CrossroadsError, PrivacyRefused
from crossroads.pipeline.call import AttemptRecord, Call, Target
from crossroads.routing import attempt, plan
from crossroads.routing.cascade import Cascade
from crossroads.routing.config import RetryConfig
from crossroads.routing.deployment import Deployment
from crossroads.routing.groups import Group
from crossroads.routing.retry import backoff, retryable

T = TypeVar("T")
Opener = Callable[[Deployment, Call, Body, AttemptRecord, float | None], Awaitable[T]]


@dataclass(slots=True)
class Served(Generic[T]):
    result: T  # an answer body, or a chunk stream
    deployment: Deployment
    record: AttemptRecord


@dataclass(slots=True)
class _Run:
    """One call's way through its candidates."""

    call: Call
    group: Group
    order: Sequence[Deployment]
    deadline: float | None
    attempts: list[AttemptRecord] = field(default_factory=list)
    answered: set[str] = field(default_factory=set)  # gave an answer (a cascade may have turned it down)
    kept: tuple[Deployment, AttemptRecord, Any] | None = None  # the last answer a cascade turned down
    last: tuple[Deployment, CrossroadsError] | None = None  # the last failure


class AttemptLoop:
    def __init__(
        self, retry: RetryConfig, groups: Mapping[str, Group], cascade: Cascade, rng: Random, reasons: str = "brief"
    ) -> None:
        self.retry, self.groups, self.cascade, self.rng = retry, groups, cascade, rng
        self.reasons = reasons  # the x-crossroads-route-reason header: brief, full or off

    async def route(self, call: Call, group: Group, opener: Opener[T]) -> Served[T]:
        run = _Run(call, group, plan.candidates(call, group, self.groups, self.rng), self._deadline())
        call.facts.attempts = run.attempts
        for round_ in range(self.retry.retries + 1):
            if round_ and all(d.key in run.answered for d in run.order):
                break  # every candidate answered or was refused by the privacy policy: nothing to retry
            if round_ and not await self._wait(round_, run.attempts, run.deadline):
                break
            served = await self._round(run, opener)
            if served is not None:
                return served
        if run.kept is not None:
            return self._done(run, *run.kept)
        raise self._exhausted(run)

    async def _round(self, run: _Run, opener: Opener[T]) -> Served[T] | None:
        """One pass over the candidates that may be tried now (breaker closed, or its half-open probe)."""
        for d in run.order:
            timeout = self._timeout(run.deadline)
            if timeout is not None and timeout <= 0:
                return None
            if d.key in run.answered or not d.breaker.allows(time.monotonic()):
                continue
            served = await self._try(run, d, opener, timeout)
            if served is not None:
                return served
        return None

    async def _try(self, run: _Run, d: Deployment, opener: Opener[T], timeout: float | None) -> Served[T] | None:
        target = Target(d.location, d.backend.name, plan.served_model(run.group, d, self.groups), d.upstream)
        try:
            body = await run.call.body_for(target)
        except PrivacyRefused as exc:  # the policy forbids this target: nothing is sent, the next one may do
            run.answered.add(d.key)
            run.last = (d, exc)
            return None
        record = attempt.new_record(d)
        run.attempts.append(record)
        try:
            result = await opener(d, run.call, body, record, timeout)
        except CrossroadsError as exc:
            if not retryable(exc):  # the client's mistake: no other deployment would answer better
                raise self._explained(run, d, exc) from None
            run.last = (d, exc)
            return None
        run.answered.add(d.key)
        accepted, result = await self.cascade.review(run.call, run.group, d, record, result, run.order)
        if accepted:
            return self._done(run, d, record, result)
        if result is not None:
            run.kept = (d, record, result)
        return None

    async def _wait(self, round_: int, attempts: list[AttemptRecord], deadline: float | None) -> bool:
        """Back off before a retry round; False when the wait would pass a limit."""
        asked = max((r["retry_after"] for r in attempts if r.get("retry_after") is not None), default=0.0)
        if asked > self.retry.max_retry_after:
            return False
        delay = backoff(self.retry, round_, self.rng, asked)
        if deadline is not None and time.perf_counter() + delay >= deadline:
            return False
        await asyncio.sleep(delay)
        return True

    def _deadline(self) -> float | None:
        total = self.retry.total_timeout
        return None if total is None else time.perf_counter() + total

    def _timeout(self, deadline: float | None) -> float | None:
        if deadline is None:
            return self.retry.attempt_timeout
        left = deadline - time.perf_counter()
        return left if self.retry.attempt_timeout is None else min(left, self.retry.attempt_timeout)

    def _done(self, run: _Run, d: Deployment, record: AttemptRecord, result: T) -> Served[T]:
        record["used"] = True
        self._explain(run, d)
        return Served(result, d, record)

    def _explain(self, run: _Run, d: Deployment | None) -> None:
        call = run.call
        reason = plan.explain(call, run.group, d, run.attempts, self.groups)
        call.facts.route_reason = reason
        if self.reasons != "off":
            told = reason if self.reasons == "full" else plan.brief(call, run.group, d, run.attempts, self.groups)
            call.response_headers["x-crossroads-route-reason"] = plan.header_safe(told)
        if d is not None:
            call.facts.backend, call.facts.upstream_model, call.facts.location = d.backend.name, d.upstream, d.location
            call.response_headers["x-crossroads-backend"] = d.backend.name

    def _explained(self, run: _Run, d: Deployment | None, exc: CrossroadsError) -> CrossroadsError:
        self._explain(run, d)
        return plan.with_route_headers(exc, run.call)

    def _exhausted(self, run: _Run) -> CrossroadsError:
        """Every candidate failed (the last error goes back), or none could be tried (429/503)."""
        if run.last is not None:
            return self._explained(run, *run.last)
        return self._explained(run, None, plan.nothing_to_try(run.call, run.order))
