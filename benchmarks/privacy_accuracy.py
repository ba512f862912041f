"""Privacy detection accuracy on public test sets: crossroads and Presidio (same spaCy model) side by side.

    python benchmarks/privacy_accuracy.py --mirrors DIR [--sets a,b] [--n 1000] [--seed 7] [--out FILE]

The sets (``eval_sets.SETS``: template text, news, social posts, German news and Wikipedia) are test splits of
public corpora, read from repositories brought onto the machine with git (``--mirrors``: the directory holding
``owner+name/repo``) and cached under ``benchmarks/.cache``. Nothing here is trained or tuned on them.

A finding is a true positive when it has the gold type and overlaps a gold span of that type not matched yet.
A second finding on a value already found counts neither way, and an address labelled in pieces (street, suite,
city, postcode) is one address. Only the types a set labels are scored on it; a finding on a span the set labels
with a type the guard has no counterpart for (CoNLL's MISC, a product) counts neither way. "structured" is e-mail,
phone, card, IBAN, SSN and IP together. Presidio runs with its default recognizers; its score threshold is the one
(of 0, 0.3, 0.5) that gives it the best micro-F1 on each set (in its favour). Both read the same texts, timed.
Goals: structured recall and precision ≥ 0.95; names recall ≥ 0.85 at precision ≥ 0.80 on template text and
news, ≥ 0.60 / 0.60 on social posts; street addresses recall ≥ 0.70; dates of birth recall ≥ 0.90.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

from eval_sets import BY_NAME, IGNORED, SETS, Doc, load, sample
from harness import RESULTS, environment, write_json
from presidio_baseline import offline_analyzer
from rich.console import Console
from rich.table import Table

from crossroads.privacy.config import PrivacyConfig
from crossroads.privacy.detect.analyzer import Analyzer

Found = tuple[str, int, int, float]
NER = frozenset({"PERSON", "LOCATION", "ORGANIZATION"})
STRUCTURED = frozenset({"EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN", "IP_ADDRESS"})
GROUPS = {"structured": STRUCTURED}


class Labeled(Protocol):
    spans: list[tuple[str, int, int]]
    text: str


def crossroads_predictions(docs: Sequence[Doc], ours: Analyzer) -> tuple[list[list[Found]], float]:
    began = time.perf_counter()
    out = [[(s.entity_type, s.start, s.end, s.score) for s in ours.scan(d.text, NER)] for d in docs]
    return out, time.perf_counter() - began


def presidio_predictions(docs: Sequence[Doc], analyzer: Any) -> tuple[list[list[Found]], float]:
    began = time.perf_counter()
    out = [[(r.entity_type, r.start, r.end, r.score) for r in analyzer.analyze(d.text, language="en")] for d in docs]
    return out, time.perf_counter() - began


def _row() -> dict[str, int]:
    return {"tp": 0, "fp": 0, "fn": 0}


def score(
    samples: Sequence[Labeled], predictions: Sequence[Iterable[Found]], threshold: float = 0.0
) -> dict[str, dict[str, int]]:
    """tp / fp / fn per entity type, for the types the samples label."""
    scored = {g[0] for s in samples for g in s.spans} - {IGNORED}
    counts: dict[str, dict[str, int]] = {t: _row() for t in scored}
    for labeled, found in zip(samples, predictions, strict=True):
        text = getattr(labeled, "text", None)
        gold = merged(labeled.spans, text) if text is not None else list(labeled.spans)
        matched: list[tuple[str, int, int]] = []
        for entity, start, end, s in sorted(found, key=lambda f: -f[3]):
            if s < threshold or entity not in scored:
                continue
            hit = next((g for g in gold if g[0] == entity and g[1] < end and start < g[2]), None)
            if hit is not None:
                counts[entity]["tp"] += 1
                gold.remove(hit)
                matched.append(hit)
            elif not any(g[0] in (IGNORED, entity) and g[1] < end and start < g[2] for g in matched + gold):
                counts[entity]["fp"] += 1  # not a second piece of a value already found, nor an ignored label
        for entity, _, _ in gold:
            if entity != IGNORED:
                counts[entity]["fn"] += 1
    return counts


_BETWEEN_PARTS = frozenset(" \t\n,;")
MERGED = frozenset({"STREET_ADDRESS"})  # labelled in pieces (street, suite, city, postcode): one address


def merged(spans: Sequence[tuple[str, int, int]], text: str) -> list[tuple[str, int, int]]:
    """Gold spans, with the pieces of one address (only spaces and commas between them) joined."""
    out: list[tuple[str, int, int]] = []
    for span in sorted(spans, key=lambda g: g[1]):
        last = out[-1] if out else None
        if (last is not None and span[0] == last[0] and span[0] in MERGED
                and set(text[last[2] : span[1]]) <= _BETWEEN_PARTS):  # fmt: skip
            out[-1] = (last[0], last[1], max(last[2], span[2]))
        else:
            out.append(span)
    return out


def metrics(row: dict[str, int]) -> dict[str, float]:
    tp, fp, fn = row["tp"], row["fp"], row["fn"]
    p = tp / (tp + fp) if tp + fp else float("nan")
    r = tp / (tp + fn) if tp + fn else float("nan")
    f = 2 * p * r / (p + r) if tp else 0.0
    return {"precision": p, "recall": r, "f1": f, **row}


def micro(counts: dict[str, dict[str, int]], gold_types: Iterable[str] | None = None) -> dict[str, float]:
    types = set(counts) if gold_types is None else set(gold_types) & set(counts)
    return metrics({k: sum(counts[t][k] for t in types) for k in ("tp", "fp", "fn")})


def best_threshold(samples: Sequence[Labeled], predictions: Sequence[list[Found]], gold_types: Any = None) -> float:
    return max((0.0, 0.3, 0.5), key=lambda t: micro(score(samples, predictions, t))["f1"])


def per_type(counts: dict[str, dict[str, int]]) -> dict[str, dict[str, float]]:
    out = {t: metrics(c) for t, c in sorted(counts.items())}
    for group, types in GROUPS.items():
        if len(types & set(counts)) > 1:
            out[group] = micro(counts, types)
    return out


def evaluate(docs: Sequence[Doc], ours: Analyzer, analyzer: Any) -> dict[str, Any]:
    ours_pred, ours_s = crossroads_predictions(docs, ours)
    theirs_pred, theirs_s = presidio_predictions(docs, analyzer)
    threshold = best_threshold(docs, theirs_pred)
    ours, theirs = score(docs, ours_pred), score(docs, theirs_pred, threshold)
    return {
        "texts": len(docs),
        "chars": sum(len(d.text) for d in docs),
        "presidio_threshold": threshold,
        "crossroads": {"types": per_type(ours), "micro": micro(ours), "seconds": ours_s},
        "presidio": {"types": per_type(theirs), "micro": micro(theirs), "seconds": theirs_s},
    }


def _fmt(value: float) -> str:
    return "—" if value != value else f"{value:.2f}"  # NaN: nothing to score


def table(results: dict[str, dict[str, Any]]) -> Table:
    out = Table(title="privacy detection on public test sets (precision / recall)")
    for column in ("set", "entity type", "gold", "crossroads P", "R", "presidio P", "R"):
        out.add_column(column, justify="left" if column in ("set", "entity type") else "right", no_wrap=True)
    for name, result in results.items():
        ours, theirs = result["crossroads"]["types"], result["presidio"]["types"]
        for t in ours:
            a, b = ours[t], theirs[t]
            out.add_row(name, t, str(a["tp"] + a["fn"]), _fmt(a["precision"]), _fmt(a["recall"]),
                        _fmt(b["precision"]), _fmt(b["recall"]))  # fmt: skip
        out.add_section()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--mirrors",
        type=Path,
        default=Path(__file__).resolve().parents[2] / ".mirror",
        help="where fetched repositories are",
    )
    parser.add_argument("--sets", default=",".join(s.name for s in SETS), help="comma-separated set names")
    parser.add_argument("--n", type=int, default=1000, help="texts drawn from each set (all if fewer)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=RESULTS / "privacy_accuracy.json")
    args = parser.parse_args()
    unknown = [s for s in args.sets.split(",") if s not in BY_NAME]
    if unknown:
        parser.error(f"unknown set(s) {', '.join(unknown)} — choose from {', '.join(BY_NAME)}")
    ours = Analyzer(PrivacyConfig(default={"*": "redact"}, ner={"cache_size": 0}))
    ours.load_ner()
    analyzer = offline_analyzer()
    analyzer.analyze("warm up", language="en")
    ours.scan("warm up", NER)
    results: dict[str, dict[str, Any]] = {}
    for name in args.sets.split(","):
        spec = BY_NAME[name]
        docs = sample(load(spec, args.mirrors), args.n, args.seed)
        results[name] = {"genre": spec.genre, "source": f"github:{spec.repo}@{spec.commit}:{spec.path}",
                         "licence": spec.licence, **evaluate(docs, ours, analyzer)}  # fmt: skip
    console = Console(width=120)
    console.print(table(results))
    ours_s = sum(r["crossroads"]["seconds"] for r in results.values())
    theirs_s = sum(r["presidio"]["seconds"] for r in results.values())
    texts = sum(r["texts"] for r in results.values())
    speed = {"texts": texts, "crossroads_texts_per_s": texts / ours_s, "presidio_texts_per_s": texts / theirs_s,
             "speedup": theirs_s / ours_s}  # fmt: skip
    console.print(f"names on, {texts} texts: crossroads {speed['crossroads_texts_per_s']:.0f} texts/s, "
                  f"presidio {speed['presidio_texts_per_s']:.0f} texts/s ({speed['speedup']:.2f}×)")  # fmt: skip
    write_json(args.out, {"environment": environment(), "n": args.n, "seed": args.seed, "speed": speed,
                          "sets": results})  # fmt: skip
    console.print(f"written to {args.out}")


if __name__ == "__main__":
    main()
