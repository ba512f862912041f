"""Model groups built from settings: each public model becomes its deployments, ordered by a strategy.

A plain ``backend:`` model is a group of one. A deployment (backend + upstream model) is one object
shared by every group that names it, so its breaker, load and latency are counted once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from random import Random
from typing import TYPE_CHECKING

from crossroads.backends.base import Backend
from crossroads.config import ModelConfig, Settings
from crossroads.routing.config import CascadeConfig, DeploymentConfig
from crossroads.routing.deployment import Deployment
from crossroads.routing.strategies import STRATEGIES, Prepared, prepare

if TYPE_CHECKING:
    from crossroads.metering.pricing import Pricer


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

    def __init__(self, settings: Settings, backends: Mapping[str, Backend]) -> None:
        self.settings = settings
        self.backends = backends
        self.breaker = settings.routing.breaker
        self.deployments: dict[str, Deployment] = {}
        self._pricer: Pricer | None = None

    def pricer(self) -> Pricer:
        """The one price resolution (deployment ``price:``, catalog, self-hosted), loaded once per router."""
        if self._pricer is None:
            from crossroads.metering.pricing import Pricer

            self._pricer = Pricer.from_settings(self.settings)
        return self._pricer

    def get(self, backend: str, upstream: str, public: str, weight: float = 1.0, priority: int = 0) -> Deployment:
        key = f"{backend}:{upstream}"
        found = self.deployments.get(key)
        if found is None:
            price = self.pricer().price(backend, [upstream, public])
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


def build_groups(settings: Settings, backends: Mapping[str, Backend]) -> tuple[dict[str, Group], Registry]:
    registry = Registry(settings, backends)
    models = settings.models
    groups = {public: build_group(public, model, registry) for public, model in models.items()}
    return groups, registry
