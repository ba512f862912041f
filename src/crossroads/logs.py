"""Where crossroads' own log lines go when it runs as a server (one process or many workers)."""

from __future__ import annotations

import logging


def log_to_stderr(level: str) -> None:
    """crossroads' own log lines, in uvicorn's style."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s:     %(message)s"))
    logger = logging.getLogger("crossroads")
    logger.handlers = [handler]
    logger.setLevel(level.upper())
    logger.propagate = False
