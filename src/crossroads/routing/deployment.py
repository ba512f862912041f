"""A deployment at run time: one backend + upstream model, with its breaker, load and latency, and price."""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from crossroads.backends.base import Backend
from crossroads.routing.breaker import Breaker
from crossroads.routing.config import BreakerConfig, Price

log = logging.getLogger("crossroads.routing")
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
        price: Price | None = None,
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
        prompt, completion = usage.get("prompt_tokens") or 0, usage.get("completion_tokens") or 0
        return (prompt * self.price.input + completion * self.price.output) / Decimal(1_000_000)

    def unit_price(self) -> Decimal | None:
        """Input + output USD per 1M tokens: the lowest-cost strategy's sort key."""
        return None if self.price is None else self.price.input + self.price.output

    def __repr__(self) -> str:
        return f"Deployment({self.key}, {self.location})"


def catalog_prices() -> Callable[[str], Price | None]:
    """Look up hosted models in the bundled price catalog (loaded once per router)."""
    from crossroads.catalog import CatalogError, load_catalog

    try:
        catalog = load_catalog()
    except CatalogError as exc:  # routing still works; lowest_cost then relies on configured prices
        log.warning("price catalog not loaded, costs unknown: %s", exc)
        return lambda upstream: None

    def lookup(upstream: str) -> Price | None:
        found = catalog.price(upstream)
        return None if found is None else Price(input=found.input, output=found.output)

    return lookup
