"""Presentation only: money and numbers rounded for people (the model itself never rounds)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def usd(amount: Decimal | None, places: int = 0) -> str:
    """``Decimal('47844.20')`` -> ``'$47,844'``; small amounts keep enough places to be non-zero."""
    if amount is None:
        return "-"
    if 0 < abs(amount) < 1 and places == 0:
        places = 2 if abs(amount) >= Decimal("0.01") else 5
    rounded = amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    sign = "-" if rounded < 0 else ""
    return f"{sign}${abs(rounded):,.{places}f}"


def num(value: Decimal | int | None, places: int = 0) -> str:
    if value is None:
        return "-"
    rounded = Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{rounded:,.{places}f}"


def pct(share: Decimal | None, places: int = 1) -> str:
    return "-" if share is None else f"{num(share * 100, places)}%"


def times(ratio: Decimal) -> str:
    return f"{num(ratio, 1)}×" if ratio < 100 else f"{num(ratio)}×"


def band(low: Decimal | None, high: Decimal | None, found: float) -> str:
    """A break-even band: ``2,900–9,100``, with how often one exists when not always."""
    if low is None or high is None:
        return "none in any draw"
    share = "<1%" if found < 0.01 else f"{found:.0%}"
    where = "" if found >= 0.995 else f" (exists in {share} of draws)"
    return f"{num(low)}–{num(high)}{where}"
