"""Plausibility limits: a single stream cannot decode faster than memory bandwidth / bytes read per token.

Every decoded token reads all weights once, so ``limit = bandwidth / model bytes`` tokens/s per stream
(batching shares that read across streams, so only the per-stream rate is checked). A measured rate
above it means the tokens were not really generated (a cache, a proxy, a wrong usage count).
"""

from __future__ import annotations

import re

from crossroads.lab.bench.errors import BenchError

_UNITS = {"": 1, "b": 1, "k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12, "tb": 1e12}
_UNITS |= {"kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}
_SIZE = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*([a-zA-Z]*)\s*$")


def parse_size(text: str, what: str) -> float:
    """Bytes in '98MB', '4.1 GB', '7GiB', '1e9' … ; a clear error otherwise."""
    match = _SIZE.match(text)
    unit = match.group(2).lower() if match else ""
    if match is None or unit not in _UNITS:
        raise BenchError(f"{what}: cannot read '{text}' — write a number with a unit, e.g. 98MB or 4.1GB")
    return float(match.group(1)) * _UNITS[unit]


def decode_limit(model_bytes: float, bandwidth_bytes_per_s: float) -> float:
    """The most tokens/s one stream can decode when each token reads ``model_bytes`` of weights."""
    if model_bytes <= 0 or bandwidth_bytes_per_s <= 0:
        raise BenchError("--model-size and --bandwidth must be positive")
    return bandwidth_bytes_per_s / model_bytes
