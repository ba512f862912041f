"""What a request cost: catalog prices for hosted models, GPU $/hour over throughput for local ones.

A hosted request is priced by the first name the catalog knows among the snapshot the upstream
reported (``gpt-3.5-turbo-0613``), the upstream model name and the public name; Azure backends use
Azure prices. A local request is priced only from ``metering.self_hosted`` (unpriced otherwise).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from crossroads.catalog import Catalog, ModelPrice, load_catalog, load_gpu_catalog, self_hosted_price
from crossroads.metering.config import MeteringConfig, SelfHostedPrice


@functools.cache
def _bundled_catalog() -> Catalog:
    return load_catalog()


class Pricer:
    def __init__(self, config: MeteringConfig, backends: dict[str, Any], catalog: Catalog | None = None) -> None:
        self.catalog = catalog or _bundled_catalog()
        self.azure = {name for name, b in backends.items() if getattr(b, "flavor", None) == "azure"}
        self.local = {name for name, b in backends.items() if getattr(b, "location", "hosted") == "local"}
        self.self_hosted = {name: _local_price(name, cfg) for name, cfg in config.self_hosted.items()}
        self._cache: dict[tuple[str | None, tuple[str | None, ...]], ModelPrice | None] = {}

    def price(self, backend: str | None, names: Sequence[str | None]) -> ModelPrice | None:
        """The price for a request served by ``backend`` under the first known of ``names``."""
        key = (backend, tuple(names))
        if key not in self._cache:
            self._cache[key] = self._lookup(backend, names)
        return self._cache[key]

    def _lookup(self, backend: str | None, names: Sequence[str | None]) -> ModelPrice | None:
        for name in filter(None, names):
            if name in self.self_hosted:
                return self.self_hosted[name]
        if backend in self.local:
            return None
        provider = "azure" if backend in self.azure else None
        for name in filter(None, names):
            found = self.catalog.price(name, provider=provider)
            if found is not None:
                return found
        return None

    def cost(self, price: ModelPrice | None, prompt: int, completion: int, cached: int = 0) -> Decimal | None:
        if price is None:
            return None
        return price.cost(prompt, completion, min(cached, prompt))


def _local_price(name: str, cfg: SelfHostedPrice) -> ModelPrice:
    hourly = cfg.gpu_hourly if cfg.gpu_hourly is not None else load_gpu_catalog().require(str(cfg.gpu)).hourly
    return self_hosted_price(
        name,
        hourly,
        cfg.tokens_per_second,
        prompt_tokens_per_second=cfg.prompt_tokens_per_second,
        utilization=cfg.utilization,
    )
