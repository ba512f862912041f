"""A base for backend test doubles: the lifecycle every backend has, doing nothing."""

from __future__ import annotations


class NoLifecycle:
    """``start``, ``aclose`` and ``ready`` of a backend with nothing to open, close or wait for."""

    async def start(self) -> None:
        return None

    async def aclose(self) -> None:
        return None

    async def ready(self) -> str | None:
        return None
