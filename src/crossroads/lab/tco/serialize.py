"""The analysis as JSON (schema ``crossroads.tco`` 1): money and ratios as exact decimal strings.

``crossroads tco --json`` prints it and ``--out`` writes it; ``crossroads report --tco`` reads it back
with ``read_analysis()``. Fields are only added within a schema version."""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from crossroads.lab.tco.analysis import TcoAnalysis
from crossroads.lab.tco.errors import TcoError

SCHEMA = "crossroads.tco"
SCHEMA_VERSION = 1


def to_dict(analysis: TcoAnalysis) -> dict[str, Any]:
    p = analysis.profile
    profile = {f.name: getattr(p, f.name) for f in dataclasses.fields(p)}
    profile |= {
        "tokens_per_query": p.tokens_per_query,
        "queries_per_month": p.queries_per_month,
        "tokens_per_month": p.tokens_per_month,
        "average_tokens_per_second": p.average_tokens_per_second,
        "peak_tokens_per_second": p.peak_tokens_per_second,
    }
    data = {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "assumptions": analysis.assumptions,
        "horizon_months": analysis.horizon_months,
        "profile": profile,
        "cheapest": analysis.cheapest.name,
        "options": [dataclasses.asdict(o) for o in analysis.options],
        "break_evens": [dataclasses.asdict(b) for b in analysis.break_evens],
        "hybrid": {k: [{**dataclasses.asdict(pt), "total": pt.total} for pt in v] for k, v in analysis.hybrid.items()},
        "curve": analysis.curve,
        "sensitivity": [{**dataclasses.asdict(r), "cheapest": r.cheapest} for r in analysis.sensitivity],
        "uncertainty": dataclasses.asdict(analysis.uncertainty) if analysis.uncertainty else None,
        "findings": analysis.findings,
    }
    return _plain(data)


def to_json(analysis: TcoAnalysis) -> str:
    return json.dumps(to_dict(analysis), indent=2)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def read_analysis(path: str | Path) -> dict[str, Any]:
    """A file written by ``crossroads tco --out``; refuses anything else with a message saying so."""
    file = Path(path)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TcoError(f"{file}: no such file — write one with `crossroads tco ... --out {file}`") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TcoError(f"{file}: cannot read it as JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise TcoError(f"{file} is not a crossroads TCO file — write one with `crossroads tco ... --out {file}`")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise TcoError(f"{file}: schema_version {data.get('schema_version')} is not {SCHEMA_VERSION}")
    return data
