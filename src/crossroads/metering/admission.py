"""Admission: may this key send this request now? Model allow-list, rate limits, budget reservation.

A budgeted key reserves the most the request may cost wherever routing may send it (``reach``), and the
reservation bounds what the upstream may write: a request without its own output limit gets
``max_tokens`` set to the tokens reserved for it (``metering.completion_estimate``).
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from typing import Any

from crossroads import formats
from crossroads.backends.base import Endpoint
from crossroads.errors import PermissionDenied, QuotaExceeded, RateLimited
from crossroads.metering import tokens
from crossroads.metering.budget import Budgets, Reservation
from crossroads.metering.keys import KeyRecord, usd
from crossroads.metering.ratelimit import LocalLimiter, RedisLimiter
from crossroads.metering.reach import Reach
from crossroads.pipeline import Call

LIMIT_FIELDS = ("max_completion_tokens", "max_tokens")
OFFLOAD_CHARS = 64 * 1024  # prompts longer than this are counted in a worker thread


@dataclass(frozen=True, slots=True)
class Demand:
    """What a request may use: prompt tokens (counted), completion tokens per choice, choices."""

    prompt: int
    per_choice: int = 0
    choices: int = 0
    cap: int | None = None  # the output limit to set upstream (the request had none)

    @property
    def completion(self) -> int:
        return self.per_choice * self.choices

    @property
    def tokens(self) -> int:
        return self.prompt + self.completion


@dataclass(frozen=True, slots=True)
class Ticket:
    key: KeyRecord
    reservation: Reservation | None = None
    estimated_tokens: int = 0
    cap: int | None = None  # max_tokens the stage sets upstream (a budgeted key's request without a limit)


def choices(body: dict[str, Any]) -> int:
    """Answers generated: ``n`` (or ``best_of``, which is billed whole) for each prompt of a prompt list."""
    per_prompt = max(1, _int(body.get("n")), _int(body.get("best_of")))
    prompt = body.get("prompt")
    if isinstance(prompt, list) and prompt and not isinstance(prompt[0], int):
        return per_prompt * len(prompt)
    return per_prompt


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


class Admission:
    def __init__(
        self,
        budgets: Budgets,
        limiter: LocalLimiter | RedisLimiter,
        reach: dict[str, Reach],
        completion_estimate: int,
        allow_unpriced: bool = False,
    ) -> None:
        self.budgets = budgets
        self.limiter = limiter
        self.reach = reach  # public model -> where it may be served and the prices there
        self.completion_estimate = completion_estimate
        self.allow_unpriced = allow_unpriced

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
        if key.budget is not None:
            self._priced(call, key)
        demand = await self._demand(call) if (key.tpm or key.budget is not None) else Demand(0)
        if key.rpm or key.tpm:
            await self._limit(call, key, demand.tokens)
        if key.budget is None:
            return Ticket(key, None, demand.tokens)
        reservation = await self._reserve(call, key, demand)
        return Ticket(key, reservation, demand.tokens, demand.cap)

    async def _demand(self, call: Call) -> Demand:
        """Counting a large prompt takes a worker thread (tiktoken lets go of the GIL), not the event loop:
        a megabyte prompt would stall every other request for a tenth of a second."""
        if tokens.prompt_chars(call.body) > OFFLOAD_CHARS:
            return await asyncio.to_thread(self.demand, call)
        return self.demand(call)

    def demand(self, call: Call) -> Demand:
        """Prompt tokens counted, and the completion tokens the request may produce at most."""
        body = call.body
        prompt = tokens.count_prompt(call.model, body)
        if str(call.endpoint) == "embeddings":
            return Demand(prompt)
        asked = next((body[f] for f in limit_fields(call.endpoint) if _int(body.get(f)) > 0), None)
        per_choice = asked or self.completion_estimate
        return Demand(prompt, per_choice, choices(body), None if asked else per_choice)

    def _priced(self, call: Call, key: KeyRecord) -> None:
        """A budgeted key may not reach a deployment without a price (unless ``metering.unpriced: allow``)."""
        missing = self.reach[call.model].unpriced
        if missing and not self.allow_unpriced:
            raise PermissionDenied(
                f"Model '{call.model}' may be served by {', '.join(missing)}, which has no price, and the key "
                f"'{key.name}' has a budget. Price it: add price: {{input: …, output: …}} (USD per 1M tokens) to "
                "its deployment in crossroads.yaml, or a metering.self_hosted entry for a local model — or set "
                "metering.unpriced: allow to let budgeted keys use unpriced models for free.",
                param="model",
                code="model_not_priced",
            )

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

    async def _reserve(self, call: Call, key: KeyRecord, demand: Demand) -> Reservation:
        amount = self.reach[call.model].bound(demand.prompt, demand.completion)
        assert key.budget is not None
        fits = amount <= key.budget  # more than the whole budget never fits (nor reaches the database)
        reservation = await asyncio.to_thread(self.budgets.reserve, key, amount) if fits else None
        if reservation is None:
            raise QuotaExceeded(
                f"The key '{key.name}' has used its budget of ${usd(key.budget)} for this {key.period} "
                f"(this request could cost up to ${amount:.6f}). Raise the budget or wait for the next period."
            )
        return reservation


def limit_fields(endpoint: Endpoint) -> tuple[str, ...]:
    """The request fields that cap the answer's length in ``endpoint``'s format (a budget sets the last one)."""
    fmt = formats.format_for(endpoint)
    return LIMIT_FIELDS if fmt is None else fmt.output_limits


def capped(body: dict[str, Any], cap: int | None, fields: tuple[str, ...] = LIMIT_FIELDS) -> dict[str, Any]:
    """The body with its output limit (``max_tokens``, ``max_output_tokens`` …) set to ``cap`` when the request
    set none of its own."""
    if cap is None or any(_int(body.get(f)) > 0 for f in fields):
        return body
    return {**body, fields[-1]: cap}
