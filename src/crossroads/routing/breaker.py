"""A circuit breaker per deployment.

    closed ──(N failures within the window)──► open ──(cooldown passed)──► half_open
      ▲                                          ▲                             │ one probe request
      └────────────────── success ───────────────┴────────── failure ──────────┘

A failed health check opens it for one check interval. A 429 is not a failure: the deployment is up and
asks for less traffic, so a 429 never counts toward opening the circuit. With ``Retry-After`` the deployment
cools down for that long (``cool``: no request is sent to it, then it is back as it was — no probe);
without one, nothing changes and the retry backoff spaces the next attempts. The event loop runs one
request step at a time, so the state needs no lock; the happy path reads three fields.
"""

from __future__ import annotations

import time
from collections import deque

from crossroads.routing.config import BreakerConfig

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


class Breaker:
    __slots__ = ("config", "cool_reason", "cool_until", "failures", "open_until", "probing", "reason", "state")

    def __init__(self, config: BreakerConfig) -> None:
        self.config = config
        self.state = CLOSED
        self.failures: deque[float] = deque()
        self.open_until = 0.0
        self.probing = False
        self.reason: str | None = None
        self.cool_until = 0.0  # rate limited upstream (429 + Retry-After) until then
        self.cool_reason: str | None = None

    def allows(self, now: float) -> bool:
        """May a request go to this deployment now? Not while it cools down; in half-open, one probe at a time."""
        if not self.config.enabled:
            return True
        if now < self.cool_until:
            return False
        if self.state == CLOSED:
            return True
        if self.state == OPEN and now >= self.open_until:
            self.state, self.probing = HALF_OPEN, False
        if self.state == HALF_OPEN and not self.probing:
            self.probing = True
            return True
        return False

    def success(self) -> None:
        if self.state != CLOSED or self.failures:
            self.state, self.probing, self.reason = CLOSED, False, None
            self.failures.clear()

    def failure(self, reason: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        if self.state == HALF_OPEN:
            self.open(self.config.cooldown, f"probe failed: {reason}", now)
            return
        self.failures.append(now)
        while self.failures and self.failures[0] < now - self.config.window:
            self.failures.popleft()
        if len(self.failures) >= self.config.failures:
            self.open(self.config.cooldown, f"{len(self.failures)} failed in {self.config.window:g}s: {reason}", now)

    def open(self, seconds: float, reason: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self.state, self.probing, self.reason = OPEN, False, reason
        self.open_until = max(self.open_until, now + seconds)

    def cool(self, seconds: float, reason: str, now: float | None = None) -> None:
        """Send nothing here for ``seconds`` (an upstream's Retry-After); not a failure."""
        now = time.monotonic() if now is None else now
        self.cool_until = max(self.cool_until, now + seconds)
        self.cool_reason = reason

    def cooling(self, now: float) -> bool:
        return now < self.cool_until

    def retry_in(self, now: float) -> float | None:
        waits = [self.open_until - now] if self.state == OPEN else []
        waits += [self.cool_until - now] if now < self.cool_until else []
        return max(0.0, *waits) if waits else None

    def status(self, now: float | None = None) -> dict[str, object]:
        now = time.monotonic() if now is None else now
        retry = self.retry_in(now)
        state = "cooling" if self.cooling(now) and self.state == CLOSED else self.state
        return {
            "state": state if self.config.enabled else "disabled",
            "failures": len(self.failures),
            "retry_in_s": None if retry is None else round(retry, 3),
            "reason": self.cool_reason if self.cooling(now) else self.reason,
        }
