"""Reference metrics: ROUGE-L (F1 of the longest common subsequence of words) and embedding similarity.

ROUGE-L follows Lin (2004) with beta = 1: tokens are lowercased runs of letters and digits, so
``rouge_l("The cat sat.", "the cat sat")`` is 1.0. Similarity is the cosine of two sentence
embeddings (all-MiniLM-L6-v2 by default, offline), clipped to [0, 1].
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence

import numpy as np

_TOKEN = re.compile(r"[a-z0-9]+")

Embedder = Callable[[Sequence[str]], Awaitable[np.ndarray]]


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence (O(len(a) * len(b)) time, O(len(b)) memory)."""
    if not a or not b:
        return 0
    row = [0] * (len(b) + 1)
    for x in a:
        prev = 0
        for j, y in enumerate(b, start=1):
            prev, row[j] = row[j], prev + 1 if x == y else max(row[j], row[j - 1])
    return row[-1]


def rouge_l(candidate: str, reference: str) -> float:
    """ROUGE-L F1 between a candidate and a reference (0.0 when either has no tokens)."""
    cand, ref = tokens(candidate), tokens(reference)
    lcs = lcs_length(cand, ref)
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(cand), lcs / len(ref)
    return 2 * precision * recall / (precision + recall)


async def similarities(embed: Embedder, candidates: Sequence[str], references: Sequence[str]) -> list[float]:
    """Cosine similarity of each candidate to its reference, embedded in one batch."""
    if not candidates:
        return []
    vectors = np.asarray(await embed([*candidates, *references]), dtype=float)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = vectors / np.where(norms == 0, 1.0, norms)
    n = len(candidates)
    cosines = np.sum(unit[:n] * unit[n:], axis=1)
    return [float(np.clip(c, 0.0, 1.0)) for c in cosines]
