"""Privacy detection accuracy: precision, recall and F1 per entity type, crossroads vs Presidio (same spaCy model).

    python benchmarks/privacy_accuracy.py [--n 600] [--seed 7] [--out FILE]

The corpus comes from ``crossroads.privacy.corpus`` (labeled by construction, hard negatives included).
A prediction is a true positive when it has the gold type and overlaps an unmatched gold span.
Presidio runs with its default recognizers; its score threshold is the one (of 0, 0.3, 0.5) that gives it
the best micro-F1. Targets: recall and precision ≥ 0.95 on structured identifiers and secrets; on PERSON,
LOCATION and ORGANIZATION at least Presidio's recall at no lower precision.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from harness import RESULTS, environment, write_json
from rich.console import Console
from rich.table import Table

from crossroads.privacy.config import PrivacyConfig
from crossroads.privacy.corpus import Sample, generate
from crossroads.privacy.engine import Engine
from crossroads.privacy.presidio import offline_analyzer

Found = tuple[str, int, int, float]
NER = frozenset({"PERSON", "LOCATION", "ORGANIZATION"})
NOT_SCORED = {"DATE_TIME", "NRP"}  # opt-in model extras, not labeled in the corpus
NAMES = ("PERSON", "LOCATION", "ORGANIZATION")


def crossroads_predictions(samples: Sequence[Sample]) -> tuple[list[list[Found]], float]:
    engine = Engine(PrivacyConfig(default={"*": "redact"}, ner={"cache_size": 0}))
    engine.load_ner()
    began = time.perf_counter()
    out = [[(s.entity_type, s.start, s.end, s.score) for s in engine.scan(x.text, NER)] for x in samples]
    return out, time.perf_counter() - began


def presidio_predictions(samples: Sequence[Sample]) -> tuple[list[list[Found]], float]:
    analyzer = offline_analyzer()
    analyzer.analyze("warm up", language="en")
    began = time.perf_counter()
    out = [[(r.entity_type, r.start, r.end, r.score) for r in analyzer.analyze(x.text, language="en")] for x in samples]
    return out, time.perf_counter() - began


def score(
    samples: Sequence[Sample], predictions: Sequence[Iterable[Found]], threshold: float = 0.0
) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for sample, found in zip(samples, predictions, strict=True):
        gold = list(sample.spans)
        for entity, start, end, s in found:
            if s < threshold or entity in NOT_SCORED:
                continue
            row = counts.setdefault(entity, {"tp": 0, "fp": 0, "fn": 0})
            hit = next((g for g in gold if g[0] == entity and g[1] < end and start < g[2]), None)
            if hit is None:
                row["fp"] += 1
            else:
                row["tp"] += 1
                gold.remove(hit)
        for entity, _, _ in gold:
            counts.setdefault(entity, {"tp": 0, "fp": 0, "fn": 0})["fn"] += 1
    return counts


def metrics(row: dict[str, int]) -> dict[str, float]:
    tp, fp, fn = row["tp"], row["fp"], row["fn"]
    p = tp / (tp + fp) if tp + fp else float("nan")
    r = tp / (tp + fn) if tp + fn else float("nan")
    f = 2 * p * r / (p + r) if tp else 0.0
    return {"precision": p, "recall": r, "f1": f, **row}


def micro(counts: dict[str, dict[str, int]], gold_types: set[str]) -> dict[str, float]:
    total = {k: sum(counts[t][k] for t in counts if t in gold_types) for k in ("tp", "fp", "fn")}
    total["fp"] += sum(c["fp"] for t, c in counts.items() if t not in gold_types)  # findings of types never labeled
    return metrics(total)


def best_threshold(samples: Sequence[Sample], predictions: Sequence[list[Found]], gold_types: set[str]) -> float:
    return max((0.0, 0.3, 0.5), key=lambda t: micro(score(samples, predictions, t), gold_types)["f1"])


def table(ours: dict[str, Any], theirs: dict[str, Any], types: list[str]) -> Table:
    out = Table(title="privacy detection accuracy (P / R / F1)")
    for column in ("entity type", "gold", "crossroads P", "R", "F1", "presidio P", "R", "F1"):
        out.add_column(column, justify="left" if column == "entity type" else "right", no_wrap=True)
    for t in types:
        a, b = (
            ours.get(t) or metrics({"tp": 0, "fp": 0, "fn": 0}),
            theirs.get(t) or metrics({"tp": 0, "fp": 0, "fn": 0}),
        )
        out.add_row(t, str(a["tp"] + a["fn"]), *(f"{a[k]:.3f}" for k in ("precision", "recall", "f1")),
                    *(f"{b[k]:.3f}" for k in ("precision", "recall", "f1")))  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=600)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=RESULTS / "privacy_accuracy.json")
    args = parser.parse_args()
    samples = list(generate(args.n, args.seed))
    gold_types = {g[0] for s in samples for g in s.spans}
    ours_pred, ours_s = crossroads_predictions(samples)
    theirs_pred, theirs_s = presidio_predictions(samples)
    threshold = best_threshold(samples, theirs_pred, gold_types)
    ours_counts, theirs_counts = score(samples, ours_pred), score(samples, theirs_pred, threshold)
    ours = {t: metrics(c) for t, c in ours_counts.items()}
    theirs = {t: metrics(c) for t, c in theirs_counts.items()}
    types = sorted(gold_types) + sorted((set(ours) | set(theirs)) - gold_types)
    console = Console(width=120)
    console.print(table(ours, theirs, types))
    summary = {"crossroads": micro(ours_counts, gold_types), "presidio": micro(theirs_counts, gold_types)}
    console.print(f"micro F1: crossroads {summary['crossroads']['f1']:.3f} ({ours_s:.1f} s), "
                  f"presidio {summary['presidio']['f1']:.3f} ({theirs_s:.1f} s, threshold {threshold})")  # fmt: skip
    result = {"environment": environment(), "n": args.n, "seed": args.seed, "chars": sum(len(s.text) for s in samples),
              "presidio_threshold": threshold, "micro": summary, "crossroads": ours, "presidio": theirs}  # fmt: skip
    write_json(args.out, result)
    console.print(f"written to {args.out}")


if __name__ == "__main__":
    main()
