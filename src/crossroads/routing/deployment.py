"""A deployment at run time: one backend + upstream model, with its breaker, load and latency, and price."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from crossroads.backends.base import Backend
from crossroads.routing.breaker import Breaker
from crossroads.routing.config import BreakerConfig

if TYPE_CHECKING:
    from crossroads.catalog import ModelPrice

EWMA = 0.2  # weight of the newest latency in the moving average


class Deployment:
    __slots__ = (
        "backend",
        "breaker",
        "inflight",
        "key",
        "latency",
        "location",
        "price",
        "priority",
        "upstream",
        "weight",
    )

    def __init__(
        self,
        backend: Backend,
        upstream: str,
        breaker: BreakerConfig,
        *,
        weight: float = 1.0,
        priority: int = 0,
        price: ModelPrice | None = None,
    ) -> None:
        self.backend = backend
        self.upstream = upstream
        self.key = f"{backend.name}:{upstream}"
        self.location = backend.location
        self.weight = weight
        self.priority = priority
        self.price = price
        self.breaker = Breaker(breaker)
        self.inflight = 0
        self.latency: float | None = None

    def observe(self, seconds: float) -> None:
        self.latency = seconds if self.latency is None else self.latency + EWMA * (seconds - self.latency)

    def cost(self, usage: Any) -> Decimal | None:
        """USD for one answer's ``usage``, when the price is known."""
        if self.price is None or not isinstance(usage, dict):
            return None
        return self.price.usage_cost(usage)

    def unit_price(self) -> Decimal | None:
        """Input + output USD per 1M tokens: the lowest-cost strategy's sort key."""
        return None if self.price is None else self.price.input + self.price.output

    def __repr__(self) -> str:
        return f"Deployment({self.key}, {self.location})"
