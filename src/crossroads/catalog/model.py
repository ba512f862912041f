"""Price records: one model's token prices and one GPU instance's hourly price, all in ``Decimal``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from crossroads.errors import ConfigError

MILLION = Decimal(1_000_000)
Tokens = int | Decimal  # a count, or a mean count per request (exact either way)
HOURS_PER_MONTH = Decimal(730)  # the cloud providers' convention: 8,760 h / 12


class CatalogError(ConfigError):
    """A price catalog (bundled, overridden or user-supplied) is missing, invalid or lacks a price."""


@dataclass(frozen=True, slots=True)
class ModelPrice:
    """USD per 1M tokens for one model snapshot on one provider (and deployment type)."""

    name: str
    provider: str
    input: Decimal
    output: Decimal
    cached_input: Decimal | None = None
    batch_discount: Decimal | None = None
    deployment: str | None = None
    kind: str = "chat"
    source_date: date | None = None
    retired: date | None = None
    catalog_version: str | None = None

    @property
    def key(self) -> str:
        """``provider/name`` plus ``@deployment`` when there is one, e.g. ``azure/gpt-4o-2024-11-20@regional``."""
        suffix = f"@{self.deployment}" if self.deployment else ""
        return f"{self.provider}/{self.name}{suffix}"

    def cost(
        self, prompt_tokens: Tokens, completion_tokens: Tokens, cached_tokens: Tokens = 0, batch: bool = False
    ) -> Decimal:
        """Exact cost in USD. ``cached_tokens`` is the part of ``prompt_tokens`` served from the prompt cache
        (OpenAI's ``usage.prompt_tokens_details.cached_tokens``); ``batch`` applies the Batch API discount."""
        _check_tokens(prompt_tokens, completion_tokens, cached_tokens)
        cached_rate = self.input if self.cached_input is None else self.cached_input
        total = (prompt_tokens - cached_tokens) * self.input + cached_tokens * cached_rate
        total = (total + completion_tokens * self.output) / MILLION
        if batch:
            if self.batch_discount is None:
                raise CatalogError(f"{self.key} has no batch price — drop batch, or set batch_discount in overrides")
            total *= 1 - self.batch_discount
        return total

    def usage_cost(self, usage: Mapping[str, Any]) -> Decimal:
        """The cost of an OpenAI ``usage`` object (cached prompt tokens at the cached rate)."""
        details = usage.get("prompt_tokens_details")
        cached = _count(details.get("cached_tokens") if isinstance(details, dict) else 0)
        prompt = _count(usage.get("prompt_tokens"))
        return self.cost(prompt, _count(usage.get("completion_tokens")), min(cached, prompt))


def _count(value: Any) -> int:
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError):
        return 0


def _check_tokens(prompt_tokens: Tokens, completion_tokens: Tokens, cached_tokens: Tokens) -> None:
    if min(prompt_tokens, completion_tokens, cached_tokens) < 0:
        raise ValueError("token counts cannot be negative")
    if cached_tokens > prompt_tokens:
        raise ValueError(f"cached_tokens ({cached_tokens}) cannot exceed prompt_tokens ({prompt_tokens})")


@dataclass(frozen=True, slots=True)
class GpuInstance:
    """One rentable GPU machine and its on-demand price in USD per hour."""

    provider: str
    name: str
    gpus: int
    gpu: str
    gpu_memory_gb: int
    hourly: Decimal
    region: str
    source_date: date
    source: str = ""

    @property
    def key(self) -> str:
        return f"{self.provider}/{self.name}"

    def monthly(self, count: int = 1, hours: Decimal = HOURS_PER_MONTH) -> Decimal:
        """Cost of running ``count`` of these all month (730 h by default)."""
        return self.hourly * hours * count
