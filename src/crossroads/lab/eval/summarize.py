"""Per-model summaries and pairwise comparisons of a run's case results."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from decimal import Decimal

from crossroads.config import Settings
from crossroads.lab.eval.result import Answer, BackendSummary, CaseResult, Pairwise
from crossroads.lab.eval.scoring import per_model
from crossroads.lab.eval.stats import bootstrap_mean, compare_pairs, pass_rate, percentile

METRICS = ("assertions", "rouge_l", "similarity", "judge")


def summarize(results: list[CaseResult], models: list[str], settings: Settings) -> list[BackendSummary]:
    grouped = per_model(results)
    return [_summary(model, grouped.get(model, []), settings) for model in models]


def _summary(model: str, answers: list[Answer], settings: Settings) -> BackendSummary:
    entry = settings.models[model]
    backend = settings.backends[entry.backend]
    ok = [a for a in answers if a.error is None]
    verdicts = [bool(a.passed) for a in answers if a.passed is not None]
    latencies = [a.latency_s for a in ok if a.latency_s is not None]
    speeds = [a.completion_tokens / a.latency_s for a in ok if a.latency_s and a.completion_tokens]
    cost, note = _cost_per_1k(answers, backend.location)
    return BackendSummary(
        model=model,
        backend=entry.backend,
        location=backend.location,
        n_cases=len(answers),
        n_errors=len(answers) - len(ok),
        pass_rate=pass_rate(verdicts) if verdicts else None,
        scores={m: bootstrap_mean(v) for m in METRICS if (v := [a.scores[m] for a in ok if m in a.scores])},
        cost_per_1k_cases_usd=cost,
        cost_note=note,
        latency_p50_s=percentile(latencies, 50),
        latency_p90_s=percentile(latencies, 90),
        prompt_tokens=sum(a.prompt_tokens for a in answers),
        completion_tokens=sum(a.completion_tokens for a in answers),
        tokens_per_s=percentile(speeds, 50),
    )


def _cost_per_1k(answers: list[Answer], location: str) -> tuple[Decimal | None, str | None]:
    costs = [a.cost_usd for a in answers if a.error is None]
    if costs and all(c is not None for c in costs):
        total = sum((c for c in costs if c is not None), Decimal(0))
        return (total / len(costs) * 1000).quantize(Decimal("0.000001")), None
    if location == "local":
        return None, "self-hosted: no per-token price (hardware cost belongs to the TCO model)"
    return None, "no price in the catalog for this model"


def pass_pairwise(results: list[CaseResult], models: list[str]) -> list[Pairwise]:
    """Every pair compared case by case on pass/fail (cases without assertions skipped)."""
    out = []
    for a, b in itertools.combinations(models, 2):
        outcomes = [_pass_outcome(r, a, b) for r in results if _both(r, a, b, lambda x: x.passed is not None)]
        if outcomes:
            out.append(compare_pairs(a, b, outcomes, "pass"))
    return out


def score_pairwise(results: list[CaseResult], models: list[str], metric: str) -> list[Pairwise]:
    out = []
    for a, b in itertools.combinations(models, 2):
        rows = [r for r in results if _both(r, a, b, lambda x: metric in x.scores)]
        diffs = [r.answers[a].scores[metric] - r.answers[b].scores[metric] for r in rows]
        if diffs:
            out.append(compare_pairs(a, b, [_sign(d) for d in diffs], f"score:{metric}", diffs))
    return out


def _both(result: CaseResult, a: str, b: str, test: Callable[[Answer], bool]) -> bool:
    x, y = result.answers.get(a), result.answers.get(b)
    return x is not None and y is not None and test(x) and test(y)


def _pass_outcome(result: CaseResult, a: str, b: str) -> int:
    return int(bool(result.answers[a].passed)) - int(bool(result.answers[b].passed))


def _sign(value: float, eps: float = 1e-9) -> int:
    return 0 if abs(value) <= eps else (1 if value > 0 else -1)
