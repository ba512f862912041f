"""Requests without a valid key: counted, never written to the ledger or the audit chain, and limited
per client address, so nobody without a key can fill the store or the logs.

Each client address gets a bucket of ``metering.unauthenticated_per_minute`` refused requests; past
it the answer is 429 with Retry-After instead of 401. The buckets live in process (a replica limits
on its own); past ``MAX_CLIENTS`` addresses they are forgotten and start full again, so a flood of
addresses cannot grow memory without bound.
"""

from __future__ import annotations

import math

from crossroads.errors import AuthenticationFailed, RateLimited
from crossroads.metering.ratelimit import LocalLimiter

MAX_CLIENTS = 10_000


class Strangers:
    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self.limiter = LocalLimiter()

    async def refused(self, client: str | None, exc: AuthenticationFailed) -> RateLimited | AuthenticationFailed:
        """The error to answer with: the 401 itself, or 429 once this client has been refused too often."""
        if len(self.limiter.buckets) >= MAX_CLIENTS:
            self.limiter.buckets.clear()
        verdict = await self.limiter.acquire(f"anon:{client or '?'}", self.per_minute, None, 0)
        if verdict.allowed:
            return exc
        wait = max(1, math.ceil(verdict.retry_after))
        return RateLimited(
            f"Too many requests without a valid API key from this address; try again in {wait} s "
            "with a key (see `crossroads keys create`).",
            code="too_many_unauthenticated",
            headers={"retry-after": str(wait)},
        )
