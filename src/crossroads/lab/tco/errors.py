"""The TCO model's one error: inputs that are missing or do not fit together."""

from __future__ import annotations

from crossroads.errors import ConfigError


class TcoError(ConfigError):
    """Missing or inconsistent TCO inputs; the message says which and how to fix it."""
