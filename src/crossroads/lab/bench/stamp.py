"""The environment stamp of a result: what ran the benchmark, on which machine, when."""

from __future__ import annotations

import os
from pathlib import Path

from crossroads.lab.bench.result import Environment


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return os.uname().machine


def memory_gib() -> float | None:
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        return None


def environment(hardware: str = "") -> Environment:
    return Environment(cpu=cpu_model(), memory_gib=memory_gib(), hardware=hardware)
