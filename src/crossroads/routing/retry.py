"""Which failures may be retried elsewhere, and how long to wait before a retry round.

Retryable: 429, 408, 409, any 5xx, timeouts, connection failures, malformed answers (all ``BadGateway``),
and a backend that cannot serve now (``ServiceUnavailable``). Any other 4xx is the client's problem and
goes back unchanged. The wait doubles each round, loses a random share (jitter), and is never shorter
than the longest ``Retry-After`` an upstream asked for.
"""

from __future__ import annotations

from random import Random

from crossroads.errors import BadGateway, CrossroadsError, GatewayTimeout, ServiceUnavailable, UpstreamStatusError
from crossroads.routing.config import RetryConfig

RETRYABLE_STATUS = frozenset({408, 409, 429})


def retryable(exc: CrossroadsError) -> bool:
    if isinstance(exc, BadGateway | GatewayTimeout | ServiceUnavailable):
        return True
    return isinstance(exc, UpstreamStatusError) and (exc.status in RETRYABLE_STATUS or exc.status >= 500)


def counts_against(exc: CrossroadsError) -> bool:
    """Does this failure count toward the deployment's circuit breaker? (a 4xx from the client does not)"""
    return retryable(exc) and exc.status != 409


def retry_after(exc: CrossroadsError) -> float | None:
    """Seconds from a ``Retry-After`` header in its delta-seconds form (an HTTP date is ignored)."""
    value = exc.headers.get("Retry-After") or exc.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def backoff(config: RetryConfig, round_: int, rng: Random, at_least: float = 0.0) -> float:
    """Seconds to wait before retry round ``round_`` (1, 2, …)."""
    base = min(config.max_backoff, config.backoff * 2 ** (round_ - 1))
    return max(base * (1 - config.jitter * rng.random()), at_least)
