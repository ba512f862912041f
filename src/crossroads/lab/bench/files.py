"""Reading result files with messages that say what is wrong and how to fix it."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from crossroads.lab.bench.errors import BenchError
from crossroads.lab.bench.result import BenchResult


def read_result(path: str | Path) -> BenchResult:
    file = Path(path)
    try:
        return BenchResult.read(file)
    except FileNotFoundError:
        raise BenchError(f"{file}: no such file — pass a result written by `crossroads bench run --out`") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BenchError(f"{file}: cannot read it ({exc})") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise BenchError(
            f"{file} is not a crossroads bench result: {where}: {first['msg']} — "
            "pass a file written by `crossroads bench run`"
        ) from None
