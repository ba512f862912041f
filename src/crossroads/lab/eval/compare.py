"""``compare_runs``: two result files of the same suite, compared case by case (paired).

Models present in both runs are compared with themselves (``A:smollm2`` vs ``B:smollm2``: did a
prompt, parameter or model-file change help?); with no model in common every model of run A is
compared with every model of run B. Cases are matched by id. The measure is pass/fail when both
sides have assertions, else the first score both have (judge, similarity, rouge_l).
"""

from __future__ import annotations

import itertools

from crossroads.lab.eval.result import Answer, Pairwise, RunResult
from crossroads.lab.eval.stats import compare_pairs

MEASURES = ("judge", "similarity", "rouge_l")


def model_pairs(a: RunResult, b: RunResult) -> list[tuple[str, str]]:
    common = [m for m in a.models if m in b.models]
    return [(m, m) for m in common] if common else list(itertools.product(a.models, b.models))


def compare_runs(a: RunResult, b: RunResult) -> tuple[list[Pairwise], list[str]]:
    """Pairwise results (labelled ``A:model``/``B:model``) and warnings about what does not match."""
    warnings = []
    if a.suite.sha256 != b.suite.sha256:
        warnings.append(
            f"the suites differ ({a.suite.name} {a.suite.sha256[:8]} vs {b.suite.name} {b.suite.sha256[:8]}); "
            "comparing cases with the same id"
        )
    cases_b = {c.id: c for c in b.cases}
    shared = [(c, cases_b[c.id]) for c in a.cases if c.id in cases_b]
    if len(shared) < max(len(a.cases), len(b.cases)):
        warnings.append(f"{len(shared)} cases in common (run A has {len(a.cases)}, run B {len(b.cases)})")
    out = []
    for ma, mb in model_pairs(a, b):
        rows = [(x.answers[ma], y.answers[mb]) for x, y in shared if ma in x.answers and mb in y.answers]
        pair = _compare(f"A:{ma}", f"B:{mb}", rows)
        if pair is None:
            warnings.append(f"A:{ma} vs B:{mb}: no measure both runs have")
        else:
            out.append(pair)
    return out, warnings


def _compare(label_a: str, label_b: str, pairs: list[tuple[Answer, Answer]]) -> Pairwise | None:
    judged = [(x, y) for x, y in pairs if x.passed is not None and y.passed is not None]
    if judged:
        outcomes = [int(bool(x.passed)) - int(bool(y.passed)) for x, y in judged]
        return compare_pairs(label_a, label_b, outcomes, "pass")
    for metric in MEASURES:
        diffs = [x.scores[metric] - y.scores[metric] for x, y in pairs if metric in x.scores and metric in y.scores]
        if diffs:
            outcomes = [0 if abs(d) <= 1e-9 else (1 if d > 0 else -1) for d in diffs]
            return compare_pairs(label_a, label_b, outcomes, f"score:{metric}", diffs)
    return None
