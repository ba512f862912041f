"""What ``/ready`` and ``crossroads models list`` show about routing: each deployment's breaker."""

from __future__ import annotations

import time
from typing import Any

from crossroads.routing.groups import Group


def breakers(groups: dict[str, Group], now: float | None = None) -> dict[str, dict[str, Any]]:
    """``backend:upstream`` → breaker state, failures in the window, seconds until a probe, why open;
    plus the models (groups) that use the deployment."""
    now = time.monotonic() if now is None else now
    result: dict[str, dict[str, Any]] = {}
    for name, group in groups.items():
        for d in group.prepared.deployments:
            entry = result.setdefault(d.key, {**d.breaker.status(now), "location": d.location, "models": []})
            entry["models"].append(name)
    return result
