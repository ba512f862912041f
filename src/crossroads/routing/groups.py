"""Model groups built from the models' config: each public model becomes its deployments, ordered by a strategy.

A plain ``backend:`` model is a group of one. A deployment (backend + upstream model) is one object
shared by every group that names it, so its breaker, load and latency are counted once. Its price comes
from ``PriceOf`` (the gateway passes ``metering.pricing.Pricer.price``: the one place prices are resolved).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from random import Random
from typing import TYPE_CHECKING

from crossroads.backends.base import Backend
from crossroads.routing.config import BreakerConfig, CascadeConfig, DeploymentConfig, ModelConfig
from crossroads.routing.deployment import Deployment
from crossroads.routing.strategies import STRATEGIES, Prepared, prepare

if TYPE_CHECKING:
    from crossroads.catalog import ModelPrice

PriceOf = Callable[[str, Sequence[str | None]], "ModelPrice | None"]  # (backend, [upstream, public]) -> price


@dataclass(frozen=True, slots=True)
class Shadow:
    deployment: Deployment
    sample: float


@dataclass(frozen=True, slots=True)
class Group:
    name: str
    strategy: str
    prepared: Prepared
    fallbacks: tuple[str, ...]
    cascade: CascadeConfig | None
    shadows: tuple[Shadow, ...]

    def order(self, rng: Random) -> Sequence[Deployment]:
        return STRATEGIES[self.strategy].order(self.prepared, rng)


class Registry:
    """Every deployment by key, created on first mention."""

    def __init__(self, backends: Mapping[str, Backend], breaker: BreakerConfig, price: PriceOf) -> None:
        self.backends = backends
        self.breaker = breaker
        self.price = price
        self.deployments: dict[str, Deployment] = {}

    def get(self, backend: str, upstream: str, public: str, weight: float = 1.0, priority: int = 0) -> Deployment:
        key = f"{backend}:{upstream}"
        found = self.deployments.get(key)
        if found is None:
            price = self.price(backend, [upstream, public])
            b = self.backends[backend]
            found = Deployment(b, upstream, self.breaker, weight=weight, priority=priority, price=price)
            self.deployments[key] = found
        return found


def _configs(public: str, model: ModelConfig) -> list[DeploymentConfig]:
    deployments: list[DeploymentConfig] = model.deployments
    if deployments:
        return deployments
    return [DeploymentConfig(backend=model.backend, upstream_model=model.upstream_model)]


def build_group(public: str, model: ModelConfig, registry: Registry) -> Group:
    ds = [
        registry.get(c.backend, c.upstream_model or public, public, c.weight, c.priority)
        for c in _configs(public, model)
    ]
    shadows = tuple(Shadow(registry.get(s.backend, s.upstream_model or public, public), s.sample) for s in model.shadow)
    strategy: str = model.strategy
    fallbacks = tuple(model.fallbacks)
    return Group(public, strategy, prepare(strategy, ds), fallbacks, model.cascade, shadows)


def build_groups(models: Mapping[str, ModelConfig], registry: Registry) -> dict[str, Group]:
    return {public: build_group(public, model, registry) for public, model in models.items()}
