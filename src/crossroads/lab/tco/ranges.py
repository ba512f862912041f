"""How far each uncertain input may be off: the stated ranges that the sensitivity table, the tornado
chart and the Monte Carlo cost ranges all use. Factors multiply the given value; utilization is the
target peak utilization itself. Override with ``crossroads tco --range NAME=LOW,HIGH``."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from crossroads.lab.tco.errors import TcoError


@dataclass(frozen=True)
class InputRange:
    name: str
    label: str
    low: Decimal
    high: Decimal
    why: str
    factor: bool = True  # a multiplier of the given value (else the value itself)

    def describe(self) -> str:
        ends = f"×{self.low}–×{self.high}" if self.factor else f"{self.low * 100:.0f}%–{self.high * 100:.0f}%"
        return f"{self.label} {ends} ({self.why})"


DEFAULT_RANGES = (
    InputRange("gpu_price", "GPU hourly price", Decimal("0.6"), Decimal("1.1"), "list; committed use 30-45% less"),
    InputRange("throughput", "throughput per machine", Decimal("0.6"), Decimal("1.4"), "engine, batch and model vary"),
    InputRange("utilization", "target utilization", Decimal("0.5"), Decimal("0.9"), "headroom for bursts", False),
    InputRange("traffic", "traffic", Decimal("0.5"), Decimal("2"), "forecasts are rarely within 2×"),
    InputRange("tokens", "tokens per query", Decimal("0.75"), Decimal("1.5"), "prompts grow with features"),
    InputRange("api_price", "API price", Decimal("0.7"), Decimal("1.1"), "list prices fall; discounts"),
    InputRange("effort", "engineering & operations effort", Decimal("0.5"), Decimal("2"), "estimates run over"),
)


def parse_ranges(specs: tuple[str, ...] | list[str]) -> tuple[InputRange, ...]:
    """The defaults with ``NAME=LOW,HIGH`` overrides, e.g. ``gpu_price=0.5,1`` or ``utilization=0.6,0.8``."""
    ranges = {r.name: r for r in DEFAULT_RANGES}
    for spec in specs:
        name, _, ends = spec.partition("=")
        if name not in ranges:
            raise TcoError(f"--range {spec}: NAME is one of {', '.join(ranges)}")
        low, high = _ends(spec, ends)
        ranges[name] = dataclasses.replace(ranges[name], low=low, high=high, why="stated")
    return tuple(ranges.values())


def _ends(spec: str, text: str) -> tuple[Decimal, Decimal]:
    try:
        low, high = (Decimal(part) for part in text.split(","))
    except (InvalidOperation, ValueError):
        raise TcoError(f"--range {spec}: give two numbers, LOW,HIGH (e.g. gpu_price=0.5,1)") from None
    if not (0 < low <= high) or not high.is_finite():
        raise TcoError(f"--range {spec}: needs 0 < LOW <= HIGH")
    return low, high
