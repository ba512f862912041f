"""Statistics for eval runs: percentile-bootstrap intervals (fixed seed), win rates and the sign test.

* ``bootstrap_mean``: mean of per-case values with a 95% percentile-bootstrap interval. The seed is
  fixed so a rerun of the same data prints the same interval. ``bootstrap_percentile`` likewise for
  a percentile (latency p50/p90 of shadow traffic).
* ``proportion``: one interval method for every share (pass rates, win rates, error rates, and the
  report's private share): the Wilson score interval. It never collapses to a point (5 of 5 passes is
  100% [57%, 100%]), stays inside [0, 1], and holds its coverage for small n better than the bootstrap.
* ``compare_pairs``: per-case outcomes of model A against model B -> wins, losses, ties; the win rate
  is wins / (wins + losses) with its Wilson interval, and the two-sided sign test
  (exact binomial, ties dropped) says whether A and B differ. Below ``ALPHA`` is "significant".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy.stats import binomtest

from crossroads.lab.eval.result import Estimate, Pairwise

SEED = 20261127
RESAMPLES = 2000
ALPHA = 0.05
CHUNK = 8_000_000  # values drawn at once by a bootstrap


def bootstrap_mean(values: Sequence[float], *, seed: int = SEED, resamples: int = RESAMPLES) -> Estimate:
    """Mean of ``values`` with a 95% percentile-bootstrap interval (None when empty)."""
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        return Estimate(value=None, n=0)
    mean = float(data.mean())
    if np.all(data == data[0]):
        return Estimate(value=mean, low=mean, high=mean, n=int(data.size))
    means = _resampled(data, lambda rows: rows.mean(axis=1), seed, resamples)
    low, high = np.quantile(means, [0.025, 0.975])
    return Estimate(value=mean, low=float(low), high=float(high), n=int(data.size))


def _resampled(data: Any, stat: Callable[[Any], Any], seed: int, resamples: int) -> Any:
    """``stat`` of ``resamples`` bootstrap samples of ``data`` (row-wise), drawn in chunks of at most
    ``CHUNK`` values, so weeks of shadow records do not need gigabytes (small data: one chunk)."""
    rng = np.random.default_rng(seed)
    per_chunk = max(1, CHUNK // data.size)
    parts = []
    for start in range(0, resamples, per_chunk):
        rows = min(per_chunk, resamples - start)
        parts.append(stat(data[rng.integers(0, data.size, size=(rows, data.size))]))
    return np.concatenate(parts)


def bootstrap_percentile(
    values: Sequence[float], q: float, *, seed: int = SEED, resamples: int = RESAMPLES
) -> Estimate:
    """The ``q``-th percentile of ``values`` with a 95% percentile-bootstrap interval (None when empty)."""
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        return Estimate(value=None, n=0)
    value = float(np.percentile(data, q))
    if np.all(data == data[0]):
        return Estimate(value=value, low=value, high=value, n=int(data.size))
    samples = _resampled(data, lambda rows: np.percentile(rows, q, axis=1), seed, resamples)
    low, high = np.quantile(samples, [0.025, 0.975])
    return Estimate(value=value, low=float(low), high=float(high), n=int(data.size))


def pass_rate(passed: Sequence[bool]) -> Estimate:
    """Share of passes with its Wilson 95% interval."""
    return proportion(sum(1 for p in passed if p), len(passed))


def percentile(values: Sequence[float], q: float) -> float | None:
    return float(np.percentile(np.asarray(values, dtype=float), q)) if len(values) else None


def sign_test(wins: int, losses: int) -> float:
    """Two-sided exact binomial test of wins vs losses against 50/50 (1.0 when nothing was decided)."""
    if wins + losses == 0:
        return 1.0
    return float(binomtest(wins, wins + losses, 0.5).pvalue)


def proportion(successes: int, trials: int) -> Estimate:
    """successes / trials with the Wilson score 95% interval (value None when there are no trials)."""
    if trials == 0:
        return Estimate(value=None, n=0, method="wilson")
    ci = binomtest(successes, trials, 0.5).proportion_ci(confidence_level=0.95, method="wilson")
    low, high = max(0.0, float(ci.low)), min(1.0, float(ci.high))
    return Estimate(value=successes / trials, low=low, high=high, n=trials, method="wilson")


def win_rate(wins: int, losses: int) -> Estimate:
    return proportion(wins, wins + losses)


def compare_pairs(
    a: str, b: str, outcomes: Sequence[int], method: str, diffs: Sequence[float] | None = None
) -> Pairwise:
    """``outcomes`` holds +1 (A better), -1 (B better) or 0 (tie) per case; ``diffs`` the per-case
    score differences when the comparison is on a score (their mean gets a paired bootstrap CI)."""
    wins = sum(1 for o in outcomes if o > 0)
    losses = sum(1 for o in outcomes if o < 0)
    ties = len(outcomes) - wins - losses
    p = sign_test(wins, losses)
    rate = win_rate(wins, losses)
    delta = bootstrap_mean(list(diffs) if diffs is not None else [float(o) for o in outcomes])
    result = Pairwise(
        a=a, b=b, method=method, wins=wins, losses=losses, ties=ties, win_rate=rate, p_value=p, mean_difference=delta
    )
    result.significant = p < ALPHA
    result.statement = statement(result)
    return result


def statement(p: Pairwise) -> str:
    """One sentence a reader can act on, saying plainly when the difference is not significant."""
    counts = f"{p.a} wins {p.wins}, loses {p.losses}, ties {p.ties} ({p.method})"
    if p.win_rate.value is None:
        return f"{counts}: every case tied — no difference measured (not significant)."
    rate = f"win rate {p.win_rate.value:.0%} [{p.win_rate.low:.0%}, {p.win_rate.high:.0%}]"
    if not p.significant:
        verdict = f"not significant — this suite cannot tell {p.a} and {p.b} apart"
        return f"{counts}; {rate}, sign test p={p.p_value:.3g}: {verdict}."
    better = p.a if p.wins > p.losses else p.b
    return f"{counts}; {rate}, sign test p={p.p_value:.3g}: {better} is better (significant at {ALPHA:.0%})."
