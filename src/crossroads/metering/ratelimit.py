"""Rate limits per key: requests and tokens per minute, as token buckets.

``LocalLimiter`` keeps the buckets in process (one replica); ``RedisLimiter`` keeps them in Redis and
updates both buckets in one Lua script, so replicas share them. A request takes 1 from the request
bucket and its estimated tokens from the token bucket (at most a full bucket, so a large request
waits for a full minute instead of never passing); ``adjust`` corrects the estimate afterwards.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any

RATE = 1 / 60  # buckets refill their capacity per minute


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    retry_after: float = 0.0
    limit: str | None = None  # "requests" or "tokens"


@dataclass
class _Bucket:
    level: float
    at: float

    def refill(self, capacity: float, now: float) -> float:
        self.level = min(capacity, self.level + (now - self.at) * capacity * RATE)
        self.at = now
        return self.level


@dataclass
class LocalLimiter:
    buckets: dict[str, _Bucket] = field(default_factory=dict)

    async def acquire(self, key_id: str, rpm: int | None, tpm: int | None, tokens: int) -> Verdict:
        now = time.monotonic()
        wanted = [(f"{key_id}:r", rpm, 1.0, "requests"), (f"{key_id}:t", tpm, float(tokens), "tokens")]
        needs = [(name, float(cap), min(need, cap), kind) for name, cap, need, kind in wanted if cap]
        waits = []
        for name, cap, need, kind in needs:
            level = self._bucket(name, cap, now).refill(cap, now)
            if level < need:
                waits.append(((need - level) / (cap * RATE), kind))
        if waits:
            wait, kind = max(waits)
            return Verdict(False, wait, kind)
        for name, _cap, need, _kind in needs:
            self.buckets[name].level -= need
        return Verdict(True)

    async def adjust(self, key_id: str, tpm: int | None, delta: int) -> None:
        """Give back (``delta`` > 0) or take more (< 0) tokens once the actual count is known."""
        bucket = self.buckets.get(f"{key_id}:t")
        if tpm and bucket is not None:
            bucket.level = min(float(tpm), bucket.level + delta)

    async def aclose(self) -> None:
        return None

    def _bucket(self, name: str, capacity: float, now: float) -> _Bucket:
        bucket = self.buckets.get(name)
        if bucket is None:
            bucket = self.buckets[name] = _Bucket(capacity, now)
        return bucket


class RedisLimiter:
    """The same buckets in Redis (``<prefix>:rl:<key id>:r|t``), shared by every replica."""

    def __init__(self, url: str, prefix: str) -> None:
        import redis.asyncio as redis

        self.redis: Any = redis.Redis.from_url(url)
        self.prefix = prefix
        source = (files("crossroads.metering") / "ratelimit.lua").read_text(encoding="utf-8")
        self._acquire = self.redis.register_script(source.split("-- ADJUST --")[0])
        self._adjust = self.redis.register_script(source.split("-- ADJUST --")[1])

    def _keys(self, key_id: str) -> list[str]:
        return [f"{self.prefix}:rl:{key_id}:r", f"{self.prefix}:rl:{key_id}:t"]

    async def acquire(self, key_id: str, rpm: int | None, tpm: int | None, tokens: int) -> Verdict:
        wait, kind = await self._acquire(keys=self._keys(key_id), args=[rpm or 0, tpm or 0, tokens])
        wait = float(wait)
        return Verdict(True) if wait <= 0 else Verdict(False, wait, kind.decode())

    async def adjust(self, key_id: str, tpm: int | None, delta: int) -> None:
        if tpm:
            await self._adjust(keys=self._keys(key_id)[1:], args=[tpm, delta])

    async def aclose(self) -> None:
        await self.redis.aclose()
