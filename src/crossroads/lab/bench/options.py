"""Parsing the command line's compound values: load levels, headers, money. Errors say how to write them."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from crossroads.lab.bench.errors import BenchError


def parse_levels(text: str, option: str, *, integers: bool) -> list[float]:
    """'1,2,4,8' -> [1, 2, 4, 8]; positive, integers for concurrency."""
    example = "1,2,4,8" if integers else "5,10,20"
    kind = "positive integers" if integers else "positive numbers"
    levels: list[float] = []
    for part in text.split(","):
        try:
            value = float(part.strip())
        except ValueError:
            value = -1.0
        if value <= 0 or (integers and not value.is_integer()) or value != value:
            bad = part.strip()
            raise BenchError(f"{option} '{text}': '{bad}' is wrong — give {kind} separated by commas, e.g. {example}")
        levels.append(value)
    if len(set(levels)) != len(levels):
        raise BenchError(f"{option} '{text}': a level is repeated — list each level once, e.g. {option} {example}")
    return levels


def parse_headers(values: tuple[str, ...]) -> dict[str, str]:
    headers = {}
    for value in values:
        name, sep, content = value.partition(":")
        if not sep or not name.strip():
            raise BenchError(f"--header '{value}': write it as 'Name: value', e.g. --header 'x-team: lab'")
        headers[name.strip().lower()] = content.strip()
    return headers


def parse_money(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or value < 0:
        raise BenchError(f"--cost-per-hour '{text}': give a non-negative amount per hour, e.g. --cost-per-hour 1.20")
    return value
