"""Strategies as data: how a group orders its deployments for one request (first = tried first,
the rest = its fallbacks, in order).

Each entry is a build-time sort key (applied once) and a per-request ``order`` function. The static
strategies (priority, lowest cost) return the prepared tuple itself: no work per request.
"""

from __future__ import annotations

from bisect import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import accumulate
from random import Random

from crossroads.routing.deployment import Deployment

UNPRICED = Decimal("Infinity")

Order = Callable[["Prepared", Random], Sequence[Deployment]]


@dataclass(frozen=True, slots=True)
class Prepared:
    deployments: tuple[Deployment, ...]
    cumulative: tuple[float, ...]  # running sum of weights, for 'weighted'


def _static(p: Prepared, rng: Random) -> Sequence[Deployment]:
    return p.deployments


def _weighted(p: Prepared, rng: Random) -> Sequence[Deployment]:
    ds = p.deployments
    pick = bisect(p.cumulative, rng.random() * p.cumulative[-1])
    pick = min(pick, len(ds) - 1)
    return ds if pick == 0 else (ds[pick], *ds[:pick], *ds[pick + 1 :])


def _least_inflight(p: Prepared, rng: Random) -> Sequence[Deployment]:
    return sorted(p.deployments, key=lambda d: d.inflight)


def _lowest_latency(p: Prepared, rng: Random) -> Sequence[Deployment]:
    return sorted(p.deployments, key=lambda d: d.latency or 0.0)  # unmeasured first: they get measured


def _by_priority(d: Deployment) -> tuple[float | Decimal, ...]:
    return (d.priority,)


def _by_cost(d: Deployment) -> tuple[float | Decimal, ...]:
    price = d.unit_price()
    return (UNPRICED if price is None else price, d.priority)


@dataclass(frozen=True, slots=True)
class Strategy:
    sort_key: Callable[[Deployment], tuple[float | Decimal, ...]]
    order: Order


STRATEGIES: dict[str, Strategy] = {
    "priority": Strategy(_by_priority, _static),
    "weighted": Strategy(_by_priority, _weighted),
    "least_inflight": Strategy(_by_priority, _least_inflight),
    "lowest_latency": Strategy(_by_priority, _lowest_latency),
    "lowest_cost": Strategy(_by_cost, _static),
}


def prepare(name: str, deployments: Sequence[Deployment]) -> Prepared:
    ordered = tuple(sorted(deployments, key=STRATEGIES[name].sort_key))
    return Prepared(ordered, tuple(accumulate(d.weight for d in ordered)))
