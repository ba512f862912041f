"""The time ranges a page can show: each starts on a whole hour (the rollups' grain) and ends now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from crossroads.errors import InvalidRequest
from crossroads.metering.keys import utcnow
from crossroads.metering.rollup import hour_of

SPANS = {"1h": timedelta(hours=1), "6h": timedelta(hours=6), "24h": timedelta(days=1), "7d": timedelta(days=7),
         "30d": timedelta(days=30)}  # fmt: skip
NAMES = {"1h": "last hour", "6h": "last 6 hours", "24h": "last 24 hours", "7d": "last 7 days",
         "30d": "last 30 days", "today": "today", "month": "this month"}  # fmt: skip
DEFAULT = "24h"


@dataclass(frozen=True, slots=True)
class Range:
    name: str
    start: datetime  # a whole hour, UTC
    now: datetime

    @property
    def minutes(self) -> bool:
        """Series by minute (short ranges) rather than by hour."""
        return self.now - self.start <= timedelta(hours=7)

    @property
    def hourly(self) -> bool:
        """Series by hour (up to two days) rather than by day."""
        return self.now - self.start <= timedelta(hours=48)

    @property
    def edge(self) -> datetime:
        """The first midnight at or after the start: the range reads hours before it and days from it."""
        day = day_start(self.start)
        return day if day == self.start else day + timedelta(days=1)

    @property
    def seconds(self) -> float:
        return max(1.0, (self.now - self.start).total_seconds())

    @property
    def label(self) -> str:
        return f"{NAMES[self.name]} (since {self.start:%Y-%m-%d %H:%M} UTC)"


def day_start(now: datetime) -> datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def month_start(now: datetime) -> datetime:
    return day_start(now).replace(day=1)


def parse(name: str | None, now: datetime | None = None) -> Range:
    now = now or utcnow()
    name = name or DEFAULT
    if name == "today":
        return Range(name, day_start(now), now)
    if name == "month":
        return Range(name, month_start(now), now)
    if name not in SPANS:
        raise InvalidRequest(f"range must be one of {', '.join(NAMES)}.", param="range")
    return Range(name, hour_of(now - SPANS[name]), now)
