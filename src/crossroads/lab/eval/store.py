"""Where run results live: ``<runs dir>/<run_id>.json`` (+ ``.html``), found again by id, prefix or path.

A run id comes from a suite's name, which whoever wrote the suite file chose: ``file_name`` keeps only
safe characters and ``run_file`` checks the result stays inside the runs folder (``../../x`` or an
absolute name cannot write elsewhere).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from crossroads.lab.eval.result import RunResult
from crossroads.lab.eval.suite_errors import EvalError

RUNS_ENV = "CROSSROADS_EVAL_DIR"


def runs_dir(override: str | Path | None = None) -> Path:
    return Path(override or os.environ.get(RUNS_ENV) or "crossroads-eval")


def file_name(name: str, fallback: str = "run") -> str:
    """``name`` as one safe file name: letters, digits, ``.``, ``_`` and ``-`` only, no leading dot."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip(".-")[:100] or fallback


def run_file(directory: str | Path | None, run_id: str) -> Path:
    """``<runs dir>/<run_id>.json``, refused (EvalError) if it would not be directly inside the folder."""
    folder = runs_dir(directory).resolve()
    path = (folder / f"{run_id}.json").resolve()
    if path.parent != folder:
        raise EvalError(f"run id {run_id!r} would write outside {folder}", ["rename the suite (letters, digits, -_.)"])
    return path


def find_run(ref: str, directory: str | Path | None = None) -> Path:
    """A result file by path, run id, unique id prefix, or ``latest``; EvalError teaches when absent."""
    path = Path(ref)
    if path.is_file():
        return path
    folder = runs_dir(directory)
    runs = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime)
    if ref == "latest" and runs:
        return runs[-1]
    matches = [p for p in runs if p.stem == ref] or [p for p in runs if p.stem.startswith(ref)]
    if len(matches) == 1:
        return matches[0]
    known = ", ".join(p.stem for p in runs[-5:]) or "none yet — run `crossroads eval run SUITE --models ...`"
    why = "is ambiguous" if matches else "was not found"
    raise EvalError(
        f"run {ref!r} {why} in {folder}",
        [f"recent runs: {known}", f"pass a result file path or set --runs-dir / ${RUNS_ENV}"],
    )


def load_run(ref: str, directory: str | Path | None = None) -> RunResult:
    path = find_run(ref, directory)
    try:
        return RunResult.load(path)
    except ValueError as exc:
        raise EvalError(f"{path} is not an eval result file", [str(exc).splitlines()[0]]) from None
