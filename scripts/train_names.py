"""Train the guard's name model (people, places, organisations): an averaged structured perceptron.

    python scripts/train_names.py --mirrors DIR [--epochs 5] [--synthetic 8000] [--out DIR]   (or: make train-names)

Learns from the TRAIN splits (GermEval 2014: its dev split) of public corpora — ``benchmarks/eval_sets.TRAIN_SETS``:
CoNLL-2003, WNUT-17, GermEval 2014, read from repositories fetched onto the machine, never their test splits —
and from text generated with Faker in many locales (``names_synth``); a quarter of the public texts are also seen
lower-cased and some in capitals. Gazetteers of first names, surnames and places come from Faker's locales (MIT).
The features and the decoder are the package's own (``crossroads.privacy.detect.names.tagger``), so training and
the guard read text alike. Writes ``weights.npz`` and ``gazetteer.tsv.gz`` to ``src/crossroads/privacy/models/names``.
Seeded; CPU only; a few minutes.
"""

from __future__ import annotations

import argparse
import gzip
import random
import sys
import time
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "scripts"))

import eval_sets  # noqa: E402
import names_synth  # noqa: E402

from crossroads.privacy.detect.names import tagger  # noqa: E402

OUT = ROOT / "src" / "crossroads" / "privacy" / "models" / "names"
Example = tuple[str, list[tuple[str, int, int]]]


def gazetteer_lines(seed: int, per_locale: int = 400) -> list[str]:
    """First names (F), surnames (L) and one-word places (C) drawn from each Faker locale, lower-cased."""
    from faker import Faker

    found: set[str] = set()
    for locale in names_synth.LOCALES:
        fake = Faker(locale)
        fake.seed_instance(seed)
        for kind, make in (("F", fake.first_name), ("L", fake.last_name), ("C", fake.city), ("C", fake.country)):
            for _ in range(per_locale if kind != "C" else per_locale // 4):
                value = make().lower()
                if kind != "C" or " " not in value:
                    found.add(f"{kind}\t{value}")
    return sorted(found)


def examples(mirrors: Path, synthetic: int, seed: int) -> list[Example]:
    rng = random.Random(seed)
    data: list[Example] = []
    for spec in eval_sets.TRAIN_SETS:
        docs = eval_sets.load(spec, mirrors)
        data += [(d.text, d.spans) for d in docs]
        draws = [(d, rng.random()) for d in docs]
        data += [(d.text.lower(), d.spans) for d, draw in draws if draw < 0.25]
        data += [(d.text.upper(), d.spans) for d, draw in draws if 0.25 <= draw < 0.3]
        print(f"{spec.name}: {len(docs)} texts ({spec.licence})", flush=True)
    data += list(names_synth.generate(synthetic, seed))
    print(f"synthetic: {synthetic} texts; {len(data)} in all with the re-cased copies", flush=True)
    rng.shuffle(data)
    return data


def gold_tags(tokens: list[tuple[int, int]], spans: list[tuple[str, int, int]]) -> list[int]:
    tags, inside = [], None
    for start, _ in tokens:
        hit = next((g for g in spans if g[0] in ("PERSON", "LOCATION", "ORGANIZATION") and g[1] <= start < g[2]), None)
        if hit is None:
            tags.append(0)
        else:
            tags.append(tagger.LABELS.index(("I-" if inside == hit else "B-") + hit[0]))
        inside = hit
    return tags


def prepare(data: list[Example], gazetteer: tagger.Gazetteer) -> list[tuple[np.ndarray, list[int]]]:
    rows = []
    for text, spans in data:
        tokens = tagger.tokenize(text)
        if tokens:
            rows.append((tagger.hashed(tagger.features(text, tokens, gazetteer)), gold_tags(tokens, spans)))
    return rows


def train(rows: list[tuple[np.ndarray, list[int]]], epochs: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Averaged structured perceptron (Collins 2002), averaging by the lazy-update trick."""
    tags = len(tagger.LABELS)
    weights = np.zeros((tagger.BUCKETS, tags), dtype=np.float32)
    totals = np.zeros_like(weights)
    transitions = np.zeros((tags + 1, tags), dtype=np.float32)  # the last row: from the start
    transition_totals = np.zeros_like(transitions)
    step, rng = 1, random.Random(seed)
    for epoch in range(epochs):
        began, mistakes = time.time(), 0
        rng.shuffle(rows)
        for features, gold in rows:
            scores = weights[features].sum(axis=1)
            guess = tagger.viterbi(scores, transitions)
            if guess != gold:
                mistakes += 1
                for i, (g, p) in enumerate(zip(gold, guess, strict=True)):
                    if g != p:
                        np.add.at(weights[:, g], features[i], 1.0)
                        np.add.at(weights[:, p], features[i], -1.0)
                        np.add.at(totals[:, g], features[i], step)
                        np.add.at(totals[:, p], features[i], -step)
                    previous_gold = gold[i - 1] if i else tags
                    previous_guess = guess[i - 1] if i else tags
                    if (g, previous_gold) != (p, previous_guess):
                        transitions[previous_gold, g] += 1
                        transitions[previous_guess, p] -= 1
                        transition_totals[previous_gold, g] += step
                        transition_totals[previous_guess, p] -= step
            step += 1
        print(f"epoch {epoch}: {mistakes}/{len(rows)} sentences wrong, {time.time() - began:.0f}s", flush=True)
    return weights - totals / step, transitions - transition_totals / step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mirrors", type=Path, default=Path(__file__).resolve().parents[2] / ".mirror")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--synthetic", type=int, default=8000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--recall-bias",
        type=float,
        default=18.0,
        help="lowers every token's score for 'outside a name' (recall first); 18 was chosen on the DEV splits "
        "(CoNLL-2003 testa, WNUT-17 dev): PERSON P/R 0.91/0.91 and 0.79/0.63 there",
    )
    args = parser.parse_args()
    lines = gazetteer_lines(args.seed)
    print(f"gazetteer: {len(lines)} names and places", flush=True)
    rows = prepare(examples(args.mirrors, args.synthetic, args.seed), tagger.Gazetteer(lines))
    weights, transitions = train(rows, args.epochs, args.seed)
    weights[zlib.crc32(b"b") & (tagger.BUCKETS - 1), 0] -= args.recall_bias  # every token's "outside" score
    args.out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out / "weights.npz", weights=weights.astype(np.float16), transitions=transitions)
    with gzip.open(args.out / "gazetteer.tsv.gz", "wt", encoding="utf-8", compresslevel=9) as out:
        out.write("\n".join(lines) + "\n")
    print("written to", args.out)


if __name__ == "__main__":
    main()
