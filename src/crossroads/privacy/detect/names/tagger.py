"""Names, places and organisations with the shipped name model: a linear-chain tagger trained for this job, offline.

The model (``models/names``, trained by ``scripts/train_names.py`` on the train splits of public NER corpora and
Faker text in many locales, a quarter of it lower-cased) scores each word by hashed features — the word in lower
case, its prefix and suffix, its shape, whether it is a known first name, surname or place (gazetteers built from
Faker's locales), and the same of its neighbours — and the best tag sequence (BIO) is found by Viterbi. The word's
case is one feature among many, so a name in lower case, in capitals or with letters beyond ASCII is still read
as a name. Pure NumPy: a few hundred microseconds a prompt, no model server, nothing downloaded.
"""

from __future__ import annotations

import gzip
import re
import threading
import zlib
from collections import OrderedDict
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from crossroads.privacy.detect.memo import digest
from crossroads.privacy.detect.names.spacy_ner import clean
from crossroads.privacy.spans import Span

LABELS = ("O", "B-PERSON", "I-PERSON", "B-LOCATION", "I-LOCATION", "B-ORGANIZATION", "I-ORGANIZATION")
BUCKETS = 1 << 18  # hashed feature rows
MAX_SCORE = 0.85  # names score below identifiers, so a number the fast detectors found wins an overlap
# an abbreviation with its dot ("Mr.", "St."), a word (with inner apostrophes, dots and hyphens), or one character
_TOKEN = re.compile(r"[^\W\d_]{1,3}\.(?=\s)|[^\W_]+(?:['’.-][^\W_]+)*|\S")
_NEWLINE = re.compile("\n")
_SENTENCE_END = frozenset(".!?:;\n")
_TITLES = frozenset((
    "mr", "mrs", "ms", "miss", "dr", "prof", "sir", "madam", "dear", "herr", "frau", "mme", "mlle", "sr", "sra", "srta",
    "hr", "fr",
))  # fmt: skip


def model_dir() -> Path:
    return Path(str(resources.files("crossroads.privacy") / "models" / "names"))


def tokenize(text: str) -> list[tuple[int, int]]:
    """Word and punctuation tokens as (start, end); a line break is a token of its own (it ends a sentence)."""
    out = [m.span() for m in _TOKEN.finditer(text)]
    if "\n" in text:
        out += [(m.start(), m.end()) for m in _NEWLINE.finditer(text)]
        out.sort()
    return out


def shape(word: str) -> str:
    if word.isdigit():
        return "d"
    if not any(c.isalpha() for c in word):
        return "p"
    if word.isupper():
        return "X" if len(word) > 1 else "Xs"
    if word[0].isupper():
        return "Xx" if word[1:].islower() or len(word) == 1 else "XxX"
    return "x" if word.islower() else "xX"


class Gazetteer:
    """Known first names (F), surnames (L) and places (C), lower-cased, one ``kind<TAB>name`` a line."""

    def __init__(self, lines: Sequence[str]) -> None:
        self.kinds: dict[str, str] = {}
        for line in lines:
            kind, _, name = line.partition("\t")
            if name:
                self.kinds[name] = "".join(sorted(set(self.kinds.get(name, "") + kind)))

    def __call__(self, lower: str) -> str:
        return self.kinds.get(lower, "-")


def features(text: str, spans: Sequence[tuple[int, int]], gazetteer: Gazetteer) -> list[list[str]]:
    """Each token's feature strings."""
    words = [text[s:e] for s, e in spans]
    lowers = [w.lower() for w in words]
    shapes = [shape(w) for w in words]
    gaz = [gazetteer(w.rstrip(".")) for w in lowers]
    out = []
    for i, (word, lower) in enumerate(zip(words, lowers, strict=True)):
        prev = lowers[i - 1] if i else "<s>"
        prev2 = lowers[i - 2] if i > 1 else "<s>"
        after = lowers[i + 1] if i + 1 < len(words) else "</s>"
        after2 = lowers[i + 2] if i + 2 < len(words) else "</s>"
        prev_shape = shapes[i - 1] if i else "<s>"
        after_shape = shapes[i + 1] if i + 1 < len(words) else "</s>"
        start = i == 0 or prev in _SENTENCE_END
        gaz_prev, gaz_next = gaz[i - 1] if i else "<s>", gaz[i + 1] if i + 1 < len(words) else "</s>"
        out.append([
            "b", "w=" + lower, "p3=" + lower[:3], "s3=" + lower[-3:], "s2=" + lower[-2:], "sh=" + shapes[i],
            "g=" + gaz[i], "g-1=" + gaz_prev, "g+1=" + gaz_next,
            "w-1=" + prev, "w-2=" + prev2, "w+1=" + after, "w+2=" + after2,
            "sh-1=" + prev_shape, "sh+1=" + after_shape, "sh-1|sh=" + prev_shape + shapes[i],
            "sh|sh+1=" + shapes[i] + after_shape, "start|sh=" + str(start) + shapes[i], "g|sh=" + gaz[i] + shapes[i],
            "w-1|g=" + prev + gaz[i], "title-1=" + str(prev.rstrip(".") in _TITLES), "ascii=" + str(word.isascii()),
            "len=" + str(min(len(word), 8)), "w-1|w=" + prev + "|" + lower, "w|w+1=" + lower + "|" + after,
        ])  # fmt: skip
    return out


def hashed(feature_lists: Sequence[Sequence[str]]) -> np.ndarray:
    """Row indices (tokens x features) of each feature string in the weight table."""
    return np.array(
        [[zlib.crc32(f.encode()) & (BUCKETS - 1) for f in fs] for fs in feature_lists], dtype=np.int64
    ).reshape(len(feature_lists), -1)


def viterbi(scores: np.ndarray, transitions: np.ndarray) -> list[int]:
    """The best tag sequence for per-token ``scores`` (tokens x tags) and ``transitions`` (previous tag x tag;
    its last row: from the start)."""
    best = scores[0] + transitions[-1]
    back = []
    for row in scores[1:]:
        total = best[:, None] + transitions[:-1]
        back.append(total.argmax(axis=0))
        best = total.max(axis=0) + row
    tags = [int(best.argmax())]
    for pointers in reversed(back):
        tags.append(int(pointers[tags[-1]]))
    return tags[::-1]


class NameModel:
    """``detect(text, entity_types)`` like the spaCy detector. ``cache_size`` lines' findings are remembered by a
    keyed digest (chat clients resend the history): the cache holds no text."""

    name = "names"

    def __init__(self, directory: Path | None = None, cache_size: int = 0) -> None:
        where = directory or model_dir()
        with np.load(where / "weights.npz") as data:
            self.weights = data["weights"].astype(np.float32)
            self.transitions = data["transitions"].astype(np.float32)
        with gzip.open(where / "gazetteer.tsv.gz", "rt", encoding="utf-8") as lines:
            self.gazetteer = Gazetteer(lines.read().splitlines())
        self.kinds = [None if label == "O" else label[2:] for label in LABELS]
        self.cache_size = cache_size
        self.cache: OrderedDict[bytes, list[Span]] = OrderedDict()
        self.lock = threading.Lock()

    def detect(self, text: str, entity_types: frozenset[str] | None = None) -> list[Span]:
        key = digest(text) if self.cache_size else b""
        with self.lock:
            found = self.cache.get(key) if self.cache_size else None
            if found is not None:
                self.cache.move_to_end(key)
        if found is None:
            found = self._tag(text)
            if self.cache_size:
                with self.lock:
                    self.cache[key] = found
                    while len(self.cache) > self.cache_size:
                        self.cache.popitem(last=False)
        return [s for s in found if entity_types is None or s.entity_type in entity_types]

    def tags(self, text: str, spans: Sequence[tuple[int, int]]) -> tuple[list[int], np.ndarray]:
        rows = hashed(features(text, spans, self.gazetteer))
        scores = self.weights[rows].sum(axis=1)
        return viterbi(scores, self.transitions), scores

    def _tag(self, text: str) -> list[Span]:
        spans = tokenize(text)
        if not spans or not any(c.isalpha() for c in text):
            return []
        tags, scores = self.tags(text, spans)
        confidence = _softmax(scores)
        out: list[Span] = []
        current: list[Any] | None = None  # [kind, start, end, token confidences]
        for (start, end), tag, p in zip(spans, tags, confidence, strict=True):
            kind = self.kinds[tag]
            if current is not None and (kind != current[0] or LABELS[tag].startswith("B-")):
                self._close(text, current, out)
                current = None
            if kind is None:
                continue
            if current is None:
                current = [kind, start, end, [float(p[tag])]]
            else:
                current[2] = end
                current[3].append(float(p[tag]))
        if current is not None:
            self._close(text, current, out)
        return out

    def _close(self, text: str, current: list[Any], out: list[Span]) -> None:
        kind, start, end, confidences = current
        span = clean(kind, text[start:end].rstrip("."), start, self.name)
        if span is not None:
            score = 0.5 + 0.35 * (sum(confidences) / len(confidences))  # above min_score: the tag is the best one
            out.append(span._replace(score=min(MAX_SCORE, score)))


def _softmax(scores: np.ndarray) -> np.ndarray:
    shifted = np.exp((scores - scores.max(axis=1, keepdims=True)) / max(1.0, float(scores.std())))
    return shifted / shifted.sum(axis=1, keepdims=True)
