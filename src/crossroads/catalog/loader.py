"""Read the bundled YAML price files (package data), apply overrides, validate, build a ``Catalog``."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

from crossroads import yamlfile
from crossroads.catalog.catalog import Catalog, GpuCatalog, split_key
from crossroads.catalog.model import CatalogError, GpuInstance, ModelPrice

MODEL_FILES = ("openai.yaml", "azure.yaml", "anthropic.yaml")
GPU_FILE = "gpus.yaml"
MONEY_FIELDS = ("input", "output", "cached_input", "batch_discount")


def read_data(name: str) -> dict[str, Any]:
    """One bundled catalog file as a mapping."""
    text = (files("crossroads.catalog") / "data" / name).read_text(encoding="utf-8")
    return _mapping(yaml.safe_load(text), name)


def read_file(path: str | Path) -> dict[str, Any]:
    """A user's catalog file, in the same format as the bundled ones."""
    try:
        return _mapping(yamlfile.load(Path(path).read_text(encoding="utf-8")), str(path))
    except OSError as exc:
        raise CatalogError(f"cannot read price catalog {path}: {exc.strerror} — check the path") from exc
    except yaml.YAMLError as exc:
        raise CatalogError(f"{path} is not valid YAML: {exc}") from exc


def load_catalog(
    overrides: Mapping[str, Mapping[str, Any]] | None = None, extra_files: tuple[str | Path, ...] = ()
) -> Catalog:
    """The bundled OpenAI, Azure and Anthropic prices, then ``extra_files`` (same format), then ``overrides``
    (``{"gpt-4o": {"input": "2.00"}, "my-llama": {"input": "0.1", "output": "0.2"}}``)."""
    docs = [read_data(name) for name in MODEL_FILES] + [read_file(p) for p in extra_files]
    prices: list[ModelPrice] = []
    aliases: dict[tuple[str, str], str] = {}
    versions: dict[str, str] = {}
    for doc in docs:
        provider = str(doc.get("catalog", "custom"))
        versions[provider] = str(doc.get("version", ""))
        prices += [parse_price(entry, provider, versions[provider]) for entry in doc.get("models", [])]
        aliases.update({(provider, str(a)): str(t) for a, t in (doc.get("aliases") or {}).items()})
    dates = [d for d in (_date(doc.get("as_of"), "as_of") for doc in docs) if d is not None]
    catalog = Catalog(tuple(prices), aliases, versions, max(dates, default=None))
    return apply_overrides(catalog, overrides or {})


def apply_overrides(catalog: Catalog, overrides: Mapping[str, Mapping[str, Any]]) -> Catalog:
    """Replace fields of known entries, or add new ones (provider ``custom`` unless the key names one)."""
    prices = list(catalog.prices)
    for key, fields in overrides.items():
        existing = catalog.price(key)
        if existing is not None:
            index = prices.index(existing)
            prices[index] = dataclasses.replace(existing, **_fields(fields, key, partial=True))
        else:
            provider, name, deployment = split_key(key)
            entry = {"name": name, "deployment": deployment, **fields}
            prices.insert(0, parse_price(entry, provider or "custom", "override"))
    return dataclasses.replace(catalog, prices=tuple(prices))


def parse_price(entry: Mapping[str, Any], provider: str, version: str) -> ModelPrice:
    if not isinstance(entry, Mapping) or not entry.get("name"):
        raise CatalogError(f"{provider} catalog: every model needs a name (got {entry!r})")
    name = str(entry["name"])
    fields = _fields(entry, name, partial=False)
    return ModelPrice(name=name, provider=provider, catalog_version=version, **fields)


def _fields(entry: Mapping[str, Any], where: str, partial: bool) -> dict[str, Any]:
    known = {"name", "deployment", "kind", "source_date", "retired", "provider", *MONEY_FIELDS}
    unknown = set(entry) - known
    if unknown:
        names = ", ".join(sorted(unknown))
        raise CatalogError(f"prices.{where}: unknown field(s) {names} — use {', '.join(MONEY_FIELDS)}")
    if not partial and ("input" not in entry or "output" not in entry):
        raise CatalogError(f"prices.{where}: needs both input and output (USD per 1M tokens)")
    out: dict[str, Any] = {k: _money(entry[k], f"{where}.{k}") for k in MONEY_FIELDS if k in entry}
    for k in ("source_date", "retired"):
        if k in entry:
            out[k] = _date(entry[k], f"{where}.{k}")
    for k in ("deployment", "kind"):
        if entry.get(k) is not None:
            out[k] = str(entry[k])
    return out


def money(value: Any, where: str) -> Decimal:
    """A required amount: a number written as a string or a YAML number, exact."""
    amount = _money(value, where)
    if amount is None:
        raise CatalogError(f"prices.{where}: a price is required")
    return amount


def _money(value: Any, where: str) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise CatalogError(f"prices.{where}: expected a number, got {value!r}")
    try:
        amount = Decimal(str(value))  # str() first: a YAML float 1.5 becomes Decimal('1.5'), not its binary value
    except InvalidOperation:
        raise CatalogError(f'prices.{where}: {value!r} is not a number — write e.g. "1.50"') from None
    if not amount.is_finite() or amount < 0:
        raise CatalogError(f"prices.{where}: {value!r} must be a finite, non-negative number")
    return amount


def _date(value: Any, where: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise CatalogError(f"prices.{where}: {value!r} is not a date — write YYYY-MM-DD") from None


def _mapping(doc: Any, where: str) -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise CatalogError(f"{where}: a price catalog is a YAML mapping with models: (and aliases:)")
    return doc


def load_gpu_catalog(overrides: Mapping[str, Any] | None = None) -> GpuCatalog:
    """The bundled GPU instances; ``overrides`` maps an instance name to a new hourly price."""
    doc = read_data(GPU_FILE)
    instances = [_gpu(entry) for entry in doc.get("instances", [])]
    for name, hourly in (overrides or {}).items():
        found = GpuCatalog(tuple(instances)).require(name)
        instances[instances.index(found)] = dataclasses.replace(found, hourly=money(hourly, f"gpus.{name}"))
    as_of = _date(doc.get("as_of"), "as_of")
    return GpuCatalog(tuple(instances), str(doc.get("version", "")), as_of, str(doc.get("notes", "")))


def _gpu(entry: Mapping[str, Any]) -> GpuInstance:
    try:
        hourly = _money(entry["hourly"], f"gpus.{entry['name']}.hourly")
        when = _date(entry["source_date"], f"gpus.{entry['name']}.source_date")
        fields = {k: entry[k] for k in ("provider", "name", "gpus", "gpu", "gpu_memory_gb", "region")}
    except KeyError as exc:
        raise CatalogError(f"GPU catalog entry {entry!r} lacks {exc.args[0]}") from None
    if hourly is None or when is None:
        raise CatalogError(f"GPU catalog entry {entry['name']}: hourly and source_date are required")
    return GpuInstance(hourly=hourly, source_date=when, source=str(entry.get("source", "")), **fields)
