"""The Lab page: bench and eval results found in the runs folder (headlines only — an eval's cases hold
prompts, which the page never shows) and the decision report, served to a sandboxed frame."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson

from crossroads.ui.config import UiConfig

MAX_RUNS = 50
MAX_BYTES = 64 * 1024 * 1024


def runs_dir(config: UiConfig) -> Path:
    return Path(config.runs_dir or os.environ.get("CROSSROADS_EVAL_DIR") or "crossroads-eval")


def lab_page(config: UiConfig) -> dict[str, Any]:
    folder = runs_dir(config)
    files = (
        sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)[:MAX_RUNS]
        if folder.is_dir()
        else []
    )
    report = Path(config.report)
    return {
        "runs_dir": str(folder),
        "runs": [run for path in files if (run := _headline(path)) is not None],
        "report": {"path": str(report), "exists": report.is_file(), "url": "/ui/lab/report"},
    }


def _headline(path: Path) -> dict[str, Any] | None:
    if path.stat().st_size > MAX_BYTES:
        return None
    try:
        data = orjson.loads(path.read_bytes())
    except (orjson.JSONDecodeError, OSError):
        return None
    if not isinstance(data, dict):
        return None
    html = path.with_suffix(".html")
    base = {"file": path.name, "html": html.name if html.is_file() else None}
    if data.get("schema") == "crossroads.bench":
        return {**base, **_bench(data)}
    if "run_id" in data and "summaries" in data:
        return {**base, **_eval(data)}
    return None


def _bench(data: dict[str, Any]) -> dict[str, Any]:
    target = data.get("target") or {}
    levels = [lv for lv in data.get("levels") or [] if isinstance(lv, dict)]
    best = max(levels, key=lambda lv: float(lv.get("output_tokens_per_s") or 0), default={})
    ttft = (best.get("ttft_ms") or {}).get("p99") if isinstance(best.get("ttft_ms"), dict) else None
    return {
        "kind": "bench",
        "created": (data.get("environment") or {}).get("date"),
        "subject": f"{target.get('model', '?')} at {target.get('url', '?')}",
        "headline": f"{len(levels)} level(s); best {float(best.get('output_tokens_per_s') or 0):.1f} output tok/s"
        + (f", TTFT p99 {float(ttft):.0f} ms" if ttft is not None else ""),
    }


def _eval(data: dict[str, Any]) -> dict[str, Any]:
    parts = []
    for s in data.get("summaries") or []:
        if isinstance(s, dict):
            rate = s.get("pass_rate")
            value = rate.get("value", rate.get("mean")) if isinstance(rate, dict) else rate
            parts.append(f"{s.get('model')}: " + (f"{float(value):.0%} passed" if value is not None else "scored"))
    suite = data.get("suite") or {}
    return {
        "kind": "eval from shadow" if data.get("shadow") else "eval",
        "created": data.get("created_at"),
        "subject": f"{suite.get('name', '?')} · {', '.join(map(str, data.get('models') or []))}",
        "headline": "; ".join(parts) or "no summaries",
    }


def sibling(config: UiConfig, name: str) -> Path | None:
    """A result's HTML page in the runs folder, by its bare file name (nothing outside the folder)."""
    folder = runs_dir(config).resolve()
    path = (folder / name).resolve()
    return path if path.parent == folder and path.suffix == ".html" and path.is_file() else None
