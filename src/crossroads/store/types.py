"""Column types: money as an exact integer count of picodollars, read back as ``Decimal``."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy import BigInteger, Dialect
from sqlalchemy.types import TypeDecorator

PICO = Decimal("1e-12")


class Money(TypeDecorator[Decimal]):
    """USD stored as a BIGINT of 1e-12 USD: exact on SQLite and PostgreSQL alike, summable in SQL.

    $1 per 1M tokens is 1,000,000 picodollars per token, so every catalog price is a whole number of
    units; the range (±9.2 million USD per value) covers any single budget or request."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        return int(Decimal(value).quantize(PICO, rounding=ROUND_HALF_EVEN).scaleb(12))

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(value).scaleb(-12)

    def coerce_compared_value(self, op: Any, value: Any) -> Any:
        return self
