"""The price catalog: exact known values, aliases, Azure deployments, overrides, GPU prices."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from crossroads.catalog import CatalogError, cost_per_million, load_catalog, load_gpu_catalog, self_hosted_price

D = Decimal


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def test_gpt35_0613_known_value_is_exact(catalog) -> None:
    price = catalog.require("gpt-3.5-turbo-0613")
    assert (price.input, price.output) == (D("1.50"), D("2.00"))
    assert price.cost(1_500, 500) == D("0.00325")  # 1500 x 1.50/1M + 500 x 2.00/1M
    assert price.source_date == date(2023, 6, 13)


def test_every_price_is_decimal_and_dated(catalog) -> None:
    for price in catalog.prices:
        assert isinstance(price.input, Decimal) and isinstance(price.output, Decimal), price.key
        assert price.source_date is not None, price.key
    assert catalog.as_of == date(2026, 11, 27)


def test_alias_resolves_to_current_snapshot(catalog) -> None:
    assert catalog.price("gpt-4o").name == "gpt-4o-2024-08-06"
    assert catalog.price("gpt-4o-mini").cost(1_000_000, 1_000_000) == D("0.75")
    assert catalog.price("gpt-3.5-turbo").name == "gpt-3.5-turbo-0125"
    assert catalog.price("no-such-model") is None


def test_cached_and_batch_prices(catalog) -> None:
    price = catalog.require("gpt-4o")  # 2.50 input, 1.25 cached, 10.00 output
    # 1,000 cached of 3,000 prompt: 2,000 x 2.50 + 1,000 x 1.25 + 1,000 x 10.00 = 16,250 per 1M
    assert price.cost(3_000, 1_000, cached_tokens=1_000) == D("0.01625")
    assert price.cost(3_000, 1_000, cached_tokens=1_000, batch=True) == D("0.008125")
    no_cache = catalog.require("gpt-3.5-turbo-0613")
    assert no_cache.cost(1_000, 0, cached_tokens=1_000) == no_cache.cost(1_000, 0)
    with pytest.raises(CatalogError, match="no batch price"):
        no_cache.cost(1, 1, batch=True)


def test_cost_rejects_impossible_token_counts(catalog) -> None:
    price = catalog.require("gpt-4o")
    with pytest.raises(ValueError, match="cannot exceed prompt_tokens"):
        price.cost(10, 0, cached_tokens=11)
    with pytest.raises(ValueError, match="negative"):
        price.cost(-1, 0)


def test_azure_global_regional_and_data_zone(catalog) -> None:
    assert catalog.price("gpt-4o", provider="azure").deployment == "global"
    regional = catalog.require("azure/gpt-4o@regional")
    assert (regional.input, regional.cached_input, regional.output) == (D("2.75"), D("1.375"), D("11.00"))
    assert catalog.require("gpt-4o-mini", provider="azure", deployment="data_zone").input == D("0.165")
    assert regional.batch_discount is None


def test_require_names_close_matches(catalog) -> None:
    with pytest.raises(CatalogError, match=r"did you mean .*gpt-4o-mini"):
        catalog.require("gpt-4o-mnii")


def test_overrides_change_and_add_entries() -> None:
    catalog = load_catalog(overrides={"gpt-4o": {"input": "2.00"}, "my-llama": {"input": 0.1, "output": "0.2"}})
    assert catalog.require("gpt-4o").input == D("2.00")
    assert catalog.require("gpt-4o").output == D("10.00")
    mine = catalog.require("my-llama")
    assert (mine.provider, mine.input) == ("custom", D("0.1"))  # a YAML float goes through str(): exact


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"x": {"input": "1"}}, "needs both input and output"),
        ({"x": {"input": "abc", "output": "1"}}, "not a number"),
        ({"x": {"input": "-1", "output": "1"}}, "non-negative"),
        ({"gpt-4o": {"imput": "1"}}, "unknown field"),
        ({"x": {"input": "1", "output": "1", "source_date": "last year"}}, "YYYY-MM-DD"),
    ],
)
def test_bad_overrides_say_how_to_fix(overrides, message) -> None:
    with pytest.raises(CatalogError, match=message):
        load_catalog(overrides=overrides)


def test_extra_file(tmp_path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text('catalog: acme\nas_of: "2026-01-01"\nmodels:\n  - {name: m, input: "1", output: "3"}\n')
    assert load_catalog(extra_files=(path,)).require("acme/m").cost(1_000_000, 0) == D(1)
    with pytest.raises(CatalogError, match="cannot read"):
        load_catalog(extra_files=(tmp_path / "missing.yaml",))


def test_gpu_catalog_issue_figures() -> None:
    gpus = load_gpu_catalog()
    assert gpus.require("p4d.24xlarge").monthly(count=2) == D("47844.20")  # 32.77 x 730 x 2
    assert gpus.require("aws/p4de.24xlarge").monthly(count=2) == D("59816.20")  # 40.97 x 730 x 2
    assert {i.provider for i in gpus.instances} >= {"aws", "gcp", "azure", "lambda"}
    with pytest.raises(CatalogError, match="unknown GPU instance"):
        gpus.require("p9.huge")
    assert load_gpu_catalog({"p4d.24xlarge": "20"}).require("p4d.24xlarge").hourly == D(20)


def test_self_hosted_price() -> None:
    # $36/h at 10 tokens/s: 36,000 tokens an hour -> $1,000 per 1M tokens; at 50% use -> $2,000
    assert cost_per_million(D(36), D(10)) == D(1000)
    assert cost_per_million(D(36), D(10), D("0.5")) == D(2000)
    price = self_hosted_price("llama", D(36), D(10), prompt_tokens_per_second=D(100))
    assert (price.input, price.output, price.provider) == (D(100), D(1000), "self-hosted")
    with pytest.raises(CatalogError, match="positive tokens/s"):
        cost_per_million(D(1), D(0))
    with pytest.raises(CatalogError, match="utilization"):
        cost_per_million(D(1), D(1), D("1.5"))
