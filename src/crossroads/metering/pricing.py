"""What a request cost — the one place prices are resolved, for the ledger, budgets, usage, /metrics,
routing (lowest cost, attempt costs) and the lab.

The order, first match wins:

    1. the deployment's own ``price:`` in crossroads.yaml      (by backend + upstream model)
    2. the dated price catalog, for a hosted backend            (the snapshot the upstream reported, the
                                                                 upstream name, the public name; Azure
                                                                 backends use Azure prices)
    3. ``metering.self_hosted``                                 (by upstream or public name: GPU $/hour
                                                                 over measured throughput)

Nothing found means the model is unpriced: its cost is NULL, and a key with a budget may not use it
unless ``metering.unpriced: allow``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from crossroads.catalog import Catalog, ModelPrice, load_catalog, load_gpu_catalog, self_hosted_price
from crossroads.metering.config import MeteringConfig, SelfHostedPrice

DeploymentKey = tuple[str, str]  # (backend, upstream model)


@functools.cache
def _bundled_catalog() -> Catalog:
    return load_catalog()


class Pricer:
    def __init__(
        self,
        config: MeteringConfig,
        backends: dict[str, Any],
        catalog: Catalog | None = None,
        deployments: dict[DeploymentKey, Any] | None = None,
    ) -> None:
        self.catalog = catalog or _bundled_catalog()
        self.azure = {name for name, b in backends.items() if getattr(b, "flavor", None) == "azure"}
        self.local = {name for name, b in backends.items() if getattr(b, "location", "hosted") == "local"}
        self.self_hosted = {name: _local_price(name, cfg) for name, cfg in config.self_hosted.items()}
        self.configured = {key: configured_price(key, p) for key, p in (deployments or {}).items()}
        self._cache: dict[tuple[str | None, tuple[str | None, ...]], ModelPrice | None] = {}

    @classmethod
    def from_settings(cls, settings: Any) -> Pricer:
        return cls(settings.metering, dict(settings.backends), deployments=deployment_prices(settings))

    def price(self, backend: str | None, names: Sequence[str | None]) -> ModelPrice | None:
        """The price for a request served by ``backend`` under the first known of ``names`` (the first
        name is the upstream model, or the snapshot the upstream reported followed by it)."""
        key = (backend, tuple(names))
        found = self._cache.get(key, self)
        if found is self:
            found = self._cache[key] = self._lookup(backend, names)
        return found  # type: ignore[return-value]

    def _lookup(self, backend: str | None, names: Sequence[str | None]) -> ModelPrice | None:
        known = [n for n in names if n]
        for name in known:
            if backend is not None and (backend, name) in self.configured:
                return self.configured[backend, name]
        if backend not in self.local:
            provider = "azure" if backend in self.azure else None
            for name in known:
                found = self.catalog.price(name, provider=provider)
                if found is not None:
                    return found
        return next((self.self_hosted[n] for n in known if n in self.self_hosted), None)

    def cost(self, price: ModelPrice | None, prompt: int, completion: int, cached: int = 0) -> Decimal | None:
        if price is None:
            return None
        return price.cost(prompt, completion, min(cached, prompt))


def configured_price(key: DeploymentKey, price: Any) -> ModelPrice:
    """A deployment's ``price:`` as a ``ModelPrice`` named ``config/backend:upstream``."""
    backend, upstream = key
    cached = getattr(price, "cached_input", None)
    return ModelPrice(f"{backend}:{upstream}", "config", price.input, price.output, cached_input=cached)


def deployment_prices(settings: Any) -> dict[DeploymentKey, Any]:
    """(backend, upstream) -> the ``price:`` configured for it (group deployments and shadow targets; the
    first mention wins, as the router's registry does)."""
    found: dict[DeploymentKey, Any] = {}
    for public, model in settings.models.items():
        for d in [*model.deployments, *model.shadow]:
            key = (d.backend, d.upstream_model or public)
            if d.price is not None:
                found.setdefault(key, d.price)
    return found


def _local_price(name: str, cfg: SelfHostedPrice) -> ModelPrice:
    hourly = cfg.gpu_hourly if cfg.gpu_hourly is not None else load_gpu_catalog().require(str(cfg.gpu)).hourly
    return self_hosted_price(
        name,
        hourly,
        cfg.tokens_per_second,
        prompt_tokens_per_second=cfg.prompt_tokens_per_second,
        utilization=cfg.utilization,
    )


def unpriced(pricer: Pricer, targets: Iterable[tuple[str, str, str]]) -> list[str]:
    """``backend:upstream`` of each (backend, upstream, public) target that has no price."""
    return [f"{b}:{u}" for b, u, public in targets if pricer.price(b, [u, public]) is None]
