"""Admission: may this key send this request now? Model allow-list, rate limits, budget reservation."""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from decimal import Decimal

from crossroads.errors import PermissionDenied, QuotaExceeded, RateLimited
from crossroads.metering import tokens
from crossroads.metering.budget import Budgets, Reservation
from crossroads.metering.keys import KeyRecord, usd
from crossroads.metering.pricing import Pricer
from crossroads.metering.ratelimit import LocalLimiter, RedisLimiter
from crossroads.pipeline import Call


@dataclass(frozen=True, slots=True)
class Ticket:
    key: KeyRecord
    reservation: Reservation | None = None
    estimated_tokens: int = 0


class Admission:
    def __init__(
        self,
        budgets: Budgets,
        limiter: LocalLimiter | RedisLimiter,
        pricer: Pricer,
        targets: dict[str, tuple[str, str]],
        completion_estimate: int,
    ) -> None:
        self.budgets = budgets
        self.limiter = limiter
        self.pricer = pricer
        self.targets = targets  # public model -> (backend, upstream model)
        self.completion_estimate = completion_estimate

    async def admit(self, call: Call, key: KeyRecord) -> Ticket:
        if not key.allows(call.model):
            allowed = ", ".join(sorted(key.models or ()))
            raise PermissionDenied(
                f"The key '{key.name}' may not use model '{call.model}' (allowed: {allowed}).",
                param="model",
                code="model_not_allowed",
            )
        if key.tpm is None and key.rpm is None and key.budget is None:
            return Ticket(key)
        prompt, completion = self.estimate(call) if (key.tpm or key.budget is not None) else (0, 0)
        if key.rpm or key.tpm:
            await self._limit(call, key, prompt + completion)
        reservation = await self._reserve(call, key, prompt, completion) if key.budget is not None else None
        return Ticket(key, reservation, prompt + completion)

    def estimate(self, call: Call) -> tuple[int, int]:
        """(prompt tokens counted, completion tokens at most) of the request."""
        body = call.body
        prompt = tokens.count_prompt(call.model, body)
        if str(call.endpoint) == "embeddings":
            return prompt, 0
        limit = body.get("max_completion_tokens") or body.get("max_tokens") or self.completion_estimate
        return prompt, int(limit) * max(1, int(body.get("n") or 1))

    async def _limit(self, call: Call, key: KeyRecord, estimated: int) -> None:
        verdict = await self.limiter.acquire(key.id, key.rpm, key.tpm, estimated)
        if not verdict.allowed:
            wait = max(1, math.ceil(verdict.retry_after))
            per_minute = key.rpm if verdict.limit == "requests" else key.tpm
            raise RateLimited(
                f"Rate limit reached for key '{key.name}': {per_minute} {verdict.limit} per minute. "
                f"Try again in {wait} s.",
                headers={"retry-after": str(wait)},
            )

    async def _reserve(self, call: Call, key: KeyRecord, prompt: int, completion: int) -> Reservation:
        backend, upstream = self.targets.get(call.model, (None, None))
        price = self.pricer.price(backend, [upstream, call.model])
        amount = self.pricer.cost(price, prompt, completion) or Decimal(0)
        reservation = await asyncio.to_thread(self.budgets.reserve, key, amount)
        if reservation is None:
            raise QuotaExceeded(
                f"The key '{key.name}' has used its budget of ${usd(key.budget)} for this {key.period} "
                f"(this request could cost up to ${amount:.6f}). Raise the budget or wait for the next period."
            )
        return reservation
