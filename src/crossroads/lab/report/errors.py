"""The report's error: an input that is missing, unreadable or of the wrong kind."""

from __future__ import annotations

from crossroads.errors import ConfigError


class ReportError(ConfigError):
    """A report input cannot be used; the message names the file and the fix."""
