"""Lookups over loaded prices: names, aliases, snapshots, providers and deployment types."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import date

from crossroads.catalog.model import CatalogError, GpuInstance, ModelPrice

PROVIDER_ORDER = ("custom", "self-hosted", "openai", "azure")  # who answers an unqualified name first
DEFAULT_DEPLOYMENT = {"azure": "global"}


def split_key(model: str) -> tuple[str | None, str, str | None]:
    """``"azure/gpt-4o@regional"`` -> ``("azure", "gpt-4o", "regional")``;
    ``"gpt-4o"`` -> ``(None, "gpt-4o", None)``."""
    provider, _, rest = model.rpartition("/")
    name, _, deployment = rest.partition("@")
    return provider or None, name, deployment or None


@dataclass(frozen=True)
class Catalog:
    """Every known model price; ``price()`` answers a name as a client or a ledger row spells it."""

    prices: tuple[ModelPrice, ...]
    aliases: dict[tuple[str, str], str] = field(default_factory=dict)  # (provider, alias) -> snapshot name
    versions: dict[str, str] = field(default_factory=dict)  # catalog file -> version
    as_of: date | None = None

    def price(self, model: str, provider: str | None = None, deployment: str | None = None) -> ModelPrice | None:
        """The price of ``model`` (an alias resolves to its current snapshot), or None when unknown."""
        key_provider, name, key_deployment = split_key(model)
        provider = provider or key_provider
        deployment = deployment or key_deployment
        for candidate in (provider,) if provider else self._providers():
            found = self._find(candidate, name, deployment)
            if found is not None:
                return found
        return None

    def require(self, model: str, provider: str | None = None, deployment: str | None = None) -> ModelPrice:
        """Like ``price()`` but raises ``CatalogError`` naming close matches and the fix."""
        found = self.price(model, provider, deployment)
        if found is not None:
            return found
        names = sorted({p.name for p in self.prices} | {alias for _, alias in self.aliases})
        close = difflib.get_close_matches(split_key(model)[1], names, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise CatalogError(
            f"no price for model '{model}'{hint} — see `crossroads prices`, or add it under prices: in crossroads.yaml"
        )

    def resolve(self, name: str, provider: str) -> str:
        """The snapshot an alias points to on ``provider`` (the name itself when it is no alias)."""
        return self.aliases.get((provider, name), name)

    def search(self, text: str = "", provider: str | None = None) -> list[ModelPrice]:
        """Prices whose key or an alias of it contains ``text`` (case-insensitive), in catalog order."""
        text = text.lower()
        aliased = {(p, target) for (p, alias), target in self.aliases.items() if text in alias.lower()}
        wanted = [p for p in self.prices if provider is None or p.provider == provider]
        return [p for p in wanted if text in p.key.lower() or (p.provider, p.name) in aliased]

    def aliases_of(self, price: ModelPrice) -> list[str]:
        pairs = self.aliases.items()
        return sorted(alias for (p, alias), target in pairs if p == price.provider and target == price.name)

    def _providers(self) -> list[str]:
        present = {p.provider for p in self.prices}
        return [p for p in PROVIDER_ORDER if p in present] + sorted(present - set(PROVIDER_ORDER))

    def _find(self, provider: str, name: str, deployment: str | None) -> ModelPrice | None:
        name = self.resolve(name, provider)
        deployment = deployment or DEFAULT_DEPLOYMENT.get(provider)
        for price in self.prices:
            if price.provider == provider and price.name == name and price.deployment in (deployment, None):
                return price
        return None


@dataclass(frozen=True)
class GpuCatalog:
    """Rentable GPU instances with hourly prices."""

    instances: tuple[GpuInstance, ...]
    version: str = ""
    as_of: date | None = None
    notes: str = ""

    def instance(self, name: str) -> GpuInstance | None:
        """By ``name`` (``p4d.24xlarge``) or ``provider/name`` (``aws/p4d.24xlarge``)."""
        for inst in self.instances:
            if name in (inst.name, inst.key):
                return inst
        return None

    def require(self, name: str) -> GpuInstance:
        found = self.instance(name)
        if found is not None:
            return found
        close = difflib.get_close_matches(name, [i.name for i in self.instances], n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise CatalogError(f"unknown GPU instance '{name}'{hint} — see `crossroads prices --gpus`")

    def search(self, text: str = "") -> list[GpuInstance]:
        text = text.lower()
        return [i for i in self.instances if text in i.key.lower() or text in i.gpu.lower()]
