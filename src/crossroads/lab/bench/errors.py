"""The one error of the bench: a mistake in its input, worded to say how to fix it (shown without a traceback)."""

from __future__ import annotations

from crossroads.errors import CrossroadsError


class BenchError(CrossroadsError):
    """Bad arguments, an unreachable or unsuitable target, an invalid dataset or result file."""
