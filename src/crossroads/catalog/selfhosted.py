"""Price self-hosted tokens from what the hardware costs per hour and how fast it generates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from crossroads.catalog.model import MILLION, CatalogError, ModelPrice

SECONDS_PER_HOUR = Decimal(3600)


def cost_per_million(hourly: Decimal, tokens_per_second: Decimal, utilization: Decimal = Decimal(1)) -> Decimal:
    """USD per 1M tokens from a machine at ``hourly`` USD producing ``tokens_per_second`` when busy,
    busy a ``utilization`` share of the time (idle hours are paid too)."""
    if hourly < 0:
        raise CatalogError("GPU $/hour cannot be negative")
    if tokens_per_second <= 0:
        raise CatalogError("throughput must be positive tokens/s — measure it with `crossroads bench` or pass it")
    if not 0 < utilization <= 1:
        raise CatalogError(f"utilization is a share of the time in (0, 1], got {utilization}")
    return hourly * MILLION / (tokens_per_second * SECONDS_PER_HOUR * utilization)


def self_hosted_price(
    name: str,
    hourly: Decimal,
    tokens_per_second: Decimal,
    *,
    prompt_tokens_per_second: Decimal | None = None,
    utilization: Decimal = Decimal(1),
    source_date: date | None = None,
) -> ModelPrice:
    """A ``ModelPrice`` for a self-hosted model, so a local request has a cost like a hosted one.

    ``tokens_per_second`` is the generation throughput of one machine (all its concurrent requests
    together); prompt tokens are priced at ``prompt_tokens_per_second`` (prefill, usually far faster)
    when given, else like generated tokens."""
    output = cost_per_million(hourly, tokens_per_second, utilization)
    prompt_rate = prompt_tokens_per_second or tokens_per_second
    return ModelPrice(
        name=name,
        provider="self-hosted",
        input=cost_per_million(hourly, prompt_rate, utilization),
        output=output,
        kind="chat",
        source_date=source_date,
    )
