"""Price catalog: dated, versioned token prices (OpenAI, Azure OpenAI) and GPU instance prices, as data.

The prices live in YAML files shipped with the package (``crossroads/catalog/data/*.yaml``); each
entry carries its ``source_date`` and each file a ``version`` and ``as_of`` date. Money is ``Decimal``
everywhere — exact, never float — and is rounded only when shown.

Token prices (USD per 1M tokens)::

    from crossroads.catalog import load_catalog

    catalog = load_catalog()                                  # bundled openai.yaml + azure.yaml
    price = catalog.price("gpt-3.5-turbo-0613")               # ModelPrice | None
    price.cost(1_500, 500)                                    # Decimal('0.00325')
    catalog.price("gpt-4o").name                              # alias -> 'gpt-4o-2024-08-06'
    catalog.price("azure/gpt-4o@regional").input              # Decimal('2.75'); azure defaults to global
    catalog.price("gpt-4o", provider="azure", deployment="data_zone")
    catalog.require("gpt-4o")                                 # raises CatalogError with close matches

``ModelPrice.cost(prompt_tokens, completion_tokens, cached_tokens=0, batch=False) -> Decimal``:
``cached_tokens`` is the part of ``prompt_tokens`` read from the prompt cache, priced at
``cached_input`` (at ``input`` when the model has no cache discount); ``batch=True`` takes
``batch_discount`` off everything and raises ``CatalogError`` for a model without a Batch API.

Overrides (e.g. from crossroads.yaml) change known entries or add new ones (provider ``custom`` unless
the key names one, as in ``"azure/my-deployment@regional"``)::

    load_catalog(overrides={"gpt-4o": {"input": "2.00"}, "my-llama": {"input": "0.1", "output": "0.2"}})
    load_catalog(extra_files=("my-prices.yaml",))            # same format as the bundled files

Self-hosted models are priced from GPU $/hour and measured throughput::

    from crossroads.catalog import self_hosted_price, cost_per_million
    cost_per_million(Decimal("32.77"), Decimal("2000"))        # USD per 1M generated tokens at full use
    self_hosted_price("llama-3.1-8b", Decimal("1.006"), Decimal("450"), utilization=Decimal("0.5"))

GPU instances (USD per hour, on demand)::

    gpus = load_gpu_catalog()
    gpus.require("p4d.24xlarge").monthly(count=2)             # Decimal('47844.20') = 32.77 x 730 h x 2
"""

from crossroads.catalog.catalog import Catalog, GpuCatalog
from crossroads.catalog.loader import load_catalog, load_gpu_catalog
from crossroads.catalog.model import HOURS_PER_MONTH, CatalogError, GpuInstance, ModelPrice
from crossroads.catalog.selfhosted import cost_per_million, self_hosted_price

__all__ = [
    "HOURS_PER_MONTH",
    "Catalog",
    "CatalogError",
    "GpuCatalog",
    "GpuInstance",
    "ModelPrice",
    "cost_per_million",
    "load_catalog",
    "load_gpu_catalog",
    "self_hosted_price",
]
