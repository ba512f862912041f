"""Quality against cost per model, from eval results (and the TCO's self-hosted price for local models)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crossroads.lab.eval.result import BackendSummary, Estimate, RunResult

THOUSAND = Decimal(1000)
MILLION = Decimal(1_000_000)


@dataclass(frozen=True)
class QualityPoint:
    label: str
    location: str
    quality: float
    low: float | None
    high: float | None
    metric: str
    cost: Decimal  # USD per 1,000 cases
    cost_basis: str
    n_cases: int


def quality_points(evals: list[RunResult], tco: dict[str, Any] | None) -> tuple[list[QualityPoint], list[str]]:
    """One point per model with a quality estimate and a cost; notes say what could not be placed."""
    points: list[QualityPoint] = []
    notes: list[str] = []
    for run in evals:
        for s in run.summaries:
            estimate, metric = _quality(s)
            cost, basis = _cost(s, tco)
            if estimate is None or estimate.value is None:
                notes.append(f"{s.model} ({run.suite.name}): no pass rate or score to plot")
            elif cost is None:
                notes.append(f"{s.model} ({run.suite.name}): {basis}")
            else:
                label = s.model if len(evals) == 1 else f"{s.model} ({run.suite.name})"
                quality = (estimate.value, estimate.low, estimate.high)
                points.append(QualityPoint(label, s.location, *quality, metric, cost, basis, s.n_cases))
    return points, notes


def _quality(s: BackendSummary) -> tuple[Estimate | None, str]:
    if s.pass_rate is not None and s.pass_rate.value is not None:
        return s.pass_rate, "pass rate"
    for metric in ("judge", "similarity", "rouge_l"):
        if metric in s.scores:
            return s.scores[metric], metric
    return None, ""


def _cost(s: BackendSummary, tco: dict[str, Any] | None) -> tuple[Decimal | None, str]:
    if s.cost_per_1k_cases_usd is not None:
        return s.cost_per_1k_cases_usd, "measured in the eval at catalog prices"
    hosted = [o for o in (tco or {}).get("options", []) if o["kind"] == "self-hosted" and o["per_million_tokens"]]
    if s.location != "local" or not hosted or not s.n_cases:
        return None, s.cost_note or "no price known (add the model to the catalog, or a TCO file for local models)"
    best = min(hosted, key=lambda o: Decimal(o["per_million_tokens"]))
    tokens_per_case = Decimal(s.prompt_tokens + s.completion_tokens) / s.n_cases
    cost = Decimal(best["per_million_tokens"]) * tokens_per_case * THOUSAND / MILLION
    return cost, f"self-hosted on {best['name']} at the TCO's cost per 1M tokens"
