"""Prices for eval costs: a lookup ``model name -> Price`` (USD per 1M input/output tokens) or None.

``catalog_prices()`` reads the dated price catalog (``crossroads.catalog``: OpenAI and Azure list
prices, ``Decimal``). The upstream model name is tried first, then the public name. Self-hosted
models have no per-token price: their cost is reported as unknown with a note, never invented.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

MILLION = Decimal(1_000_000)


@dataclass(frozen=True, slots=True)
class Price:
    input_per_1m: Decimal
    output_per_1m: Decimal
    source: str = ""

    def cost(self, prompt_tokens: int, completion_tokens: int) -> Decimal:
        return (self.input_per_1m * prompt_tokens + self.output_per_1m * completion_tokens) / MILLION


PriceLookup = Callable[[str], Price | None]


def no_prices(model: str) -> Price | None:
    return None


def catalog_prices(extra_files: tuple[str, ...] = ()) -> PriceLookup:
    """Look prices up in the bundled catalog (plus ``extra_files`` in the catalog's YAML format)."""
    from crossroads.catalog import load_catalog

    catalog = load_catalog(extra_files=extra_files)

    def price_for(model: str) -> Price | None:
        found = catalog.price(model)
        if found is None:
            return None
        return Price(found.input, found.output, f"{found.key} (catalog {found.catalog_version}, {found.source_date})")

    return price_for
