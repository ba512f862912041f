"""Public evaluation sets for privacy detection: test splits of corpora nobody here wrote, read from mirrors.

Each set is a row of ``SETS``: the public repository and commit it is read from, the file (its test split only),
its licence, and a reader turning it into ``Doc(text, gold)`` values with character offsets. A repository is
brought onto the machine as a bare git directory (``<mirrors>/<owner>+<name>/repo``); the texts are read from
it with ``git show`` and cached as JSON lines under ``benchmarks/.cache`` (not committed: several of the sets
may not be redistributed).

Gold labels map to the guard's entity types; labels with no counterpart there (CoNLL's MISC, WNUT's products)
are kept as ``IGNORED``: a finding on them counts neither way.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

CACHE = Path(__file__).parent / ".cache" / "privacy_sets"
IGNORED = "IGNORED"
Gold = tuple[str, int, int]


@dataclass
class Doc:
    text: str = ""
    spans: list[Gold] = field(default_factory=list)


@dataclass(frozen=True)
class EvalSet:
    name: str
    genre: str
    repo: str  # owner/name on GitHub
    commit: str
    path: str  # the test split
    licence: str
    read: Callable[[str], list[Doc]]
    note: str = ""


# --- token-per-line formats (CoNLL-2003, WNUT-17, GermEval 2014) -------------------------------------------------

_NO_SPACE_BEFORE = {".", ",", ":", ";", "!", "?", ")", "]", "}", "'s", "n't", "'re", "'ve", "'ll", "'d", "'m", "%"}
_NO_SPACE_AFTER = {"(", "[", "{", "$", "#", "@"}


def from_tokens(tokens: Sequence[str], labels: Sequence[str | None]) -> Doc:
    """A sentence from its tokens, spaced as written text is (no space before a comma), with each token's
    entity label (None: outside; a label starting a new entity is written ``B-TYPE``, continuing ``I-TYPE``)."""
    doc, previous, open_entity = Doc(), "", None
    starts: list[int] = []
    for token, label in zip(tokens, labels, strict=True):
        if doc.text and token not in _NO_SPACE_BEFORE and previous not in _NO_SPACE_AFTER:
            doc.text += " "
        starts.append(len(doc.text))
        doc.text += token
        previous = token
        if label is None:
            open_entity = None
            continue
        begin, kind = label.split("-", 1)
        if open_entity is not None and open_entity[0] == kind and begin == "I":
            doc.spans[-1] = (kind, doc.spans[-1][1], len(doc.text))
        else:
            doc.spans.append((kind, starts[-1], len(doc.text)))
        open_entity = (kind,)
    return doc


def _sentences(lines: Sequence[str], split: Callable[[str], tuple[str, str] | None]) -> Iterator[list[tuple[str, str]]]:
    sentence: list[tuple[str, str]] = []
    for line in lines:
        row = split(line) if line.strip() else None
        if row is None:
            if sentence:
                yield sentence
            sentence = []
        else:
            sentence.append(row)
    if sentence:
        yield sentence


def _mapped(docs: Iterator[Doc], types: dict[str, str]) -> list[Doc]:
    out = []
    for doc in docs:
        doc.spans = [(types.get(t, IGNORED), s, e) for t, s, e in doc.spans]
        if doc.text.strip():
            out.append(doc)
    return out


def _iob1(tags: Sequence[str]) -> list[str | None]:
    """CoNLL-2003's IOB1 (B- only between two entities of one type) as B-/I- per entity."""
    out: list[str | None] = []
    before = "O"
    for tag in tags:
        if tag == "O":
            out.append(None)
        else:
            kind = tag[2:]
            starts = tag.startswith("B-") or before == "O" or before[2:] != kind
            out.append(("B-" if starts else "I-") + kind)
        before = tag
    return out


def read_conll2003(content: str) -> list[Doc]:
    def split(line: str) -> tuple[str, str] | None:
        parts = line.split()
        return None if parts[0] == "-DOCSTART-" else (parts[0], parts[-1])

    sentences = _sentences(content.splitlines(), split)
    docs = (from_tokens([w for w, _ in s], _iob1([t for _, t in s])) for s in sentences)
    return _mapped(docs, {"PER": "PERSON", "LOC": "LOCATION", "ORG": "ORGANIZATION"})


def read_wnut17(content: str) -> list[Doc]:
    def split(line: str) -> tuple[str, str] | None:
        word, tag = line.rsplit("\t", 1) if "\t" in line else line.rsplit(" ", 1)
        return word.strip(), tag.strip()

    sentences = _sentences(content.splitlines(), split)
    docs = (from_tokens([w for w, _ in s], [None if t == "O" else t for _, t in s]) for s in sentences)
    return _mapped(docs, {"person": "PERSON", "location": "LOCATION", "corporation": "ORGANIZATION"})


def read_germeval2014(content: str) -> list[Doc]:
    def split(line: str) -> tuple[str, str] | None:
        if line.startswith("#"):
            return None
        parts = line.split("\t")
        return parts[1], parts[2]

    lines = content.splitlines()
    sentences = _sentences(lines, split)
    docs = (from_tokens([w for w, _ in s], [None if t == "O" else t for _, t in s]) for s in sentences)
    # PERderiv ("deutsche"), PERpart ("Goethe-Institut") and OTH are not names of a person, place or organisation
    return _mapped(docs, {"PER": "PERSON", "LOC": "LOCATION", "ORG": "ORGANIZATION"})


# --- presidio-research's synthetic PII set (JSON with character offsets) --------------------------------------------

_PRESIDIO_TYPES = {
    "PERSON": "PERSON", "GPE": "LOCATION", "ORGANIZATION": "ORGANIZATION", "STREET_ADDRESS": "STREET_ADDRESS",
    "PHONE_NUMBER": "PHONE_NUMBER", "CREDIT_CARD": "CREDIT_CARD", "EMAIL_ADDRESS": "EMAIL_ADDRESS",
    "IBAN_CODE": "IBAN_CODE", "US_SSN": "US_SSN", "IP_ADDRESS": "IP_ADDRESS",
}  # fmt: skip
_BIRTH = re.compile(r"\b(?:birth|born|dob|d\.o\.b)\b", re.I)


def read_presidio_synth(content: str) -> list[Doc]:
    """A date is a DATE_OF_BIRTH when a birth word ("born", "date of birth") is in the 40 characters before it;
    other dates (and ages, titles, zip codes alone, domain names, driving licences) are ignored."""
    docs = []
    for row in json.loads(content):
        text = row["full_text"]
        gold = []
        for span in row["spans"]:
            kind, start, end = span["entity_type"], span["start_position"], span["end_position"]
            if kind == "DATE_TIME" and _BIRTH.search(text[max(0, start - 40) : start]):
                mapped = "DATE_OF_BIRTH"
            else:
                mapped = _PRESIDIO_TYPES.get(kind, IGNORED)
            gold.append((mapped, start, end))
        docs.append(Doc(text, gold))
    return docs


SETS = [
    EvalSet("presidio-synth", "template text (support messages, forms, letters)", "microsoft/presidio-research",
            "7622dec1e5f7d25dc60b57c28c39f4c4af197018", "data/synth_dataset_v2.json", "MIT", read_presidio_synth,
            "one file (no train split): used as a test set only, never trained on"),
    EvalSet("conll2003", "news (Reuters, 1996)", "synalp/NER", "c0ea07c81ec3512b5047dcd804b0ac2b10a3bdfc",
            "corpus/CoNLL-2003/eng.testb", "Reuters RCV1 research licence (annotations: CoNLL-2003); "
            "not redistributable, never shipped", read_conll2003),
    EvalSet("wnut17", "social (Twitter, Reddit, YouTube, Stack Overflow)", "leondz/emerging_entities_17",
            "e52a2d2a71ac1a051ca2d532eef28653c5c02603", "emerging.test.annotated", "CC BY 4.0", read_wnut17),
    EvalSet("germeval2014", "German news and Wikipedia (non-ASCII names)", "davidsbatista/NER-datasets",
            "db7ff3ca4ba1df39907f8bdc036a556fed5ecde7", "GermEval2014/NER-de-test.tsv", "CC BY 4.0",
            read_germeval2014),
]  # fmt: skip
BY_NAME = {s.name: s for s in SETS}

# train and dev splits: what the name model learns from (``scripts/train_names.py``); never the sets above
TRAIN_SETS = [
    EvalSet("conll2003-train", "news (Reuters, 1996)", "synalp/NER", "c0ea07c81ec3512b5047dcd804b0ac2b10a3bdfc",
            "corpus/CoNLL-2003/eng.train", "Reuters RCV1 research licence (annotations: CoNLL-2003)", read_conll2003),
    EvalSet("wnut17-train", "social", "leondz/emerging_entities_17", "e52a2d2a71ac1a051ca2d532eef28653c5c02603",
            "wnut17train.conll", "CC BY 4.0", read_wnut17),
    EvalSet("germeval2014-dev", "German news and Wikipedia", "davidsbatista/NER-datasets",
            "db7ff3ca4ba1df39907f8bdc036a556fed5ecde7", "GermEval2014/NER-de-dev.tsv", "CC BY 4.0",
            read_germeval2014),
]  # fmt: skip


def git_dir(mirrors: Path, repo: str) -> Path:
    base = mirrors / repo.replace("/", "+") / "repo"
    return base / ".git" if (base / ".git").is_dir() else base


def load(spec: EvalSet, mirrors: Path, cache: Path = CACHE) -> list[Doc]:
    """The set's documents, from the cache or else from the mirrored repository at the pinned commit."""
    cached = cache / f"{spec.name}.jsonl"
    if cached.exists():
        rows = [json.loads(line) for line in cached.read_text(encoding="utf-8").splitlines()]
        return [Doc(r["text"], [tuple(g) for g in r["spans"]]) for r in rows]  # type: ignore[misc]
    where = git_dir(mirrors, spec.repo)
    if not where.is_dir():
        raise SystemExit(f"{spec.name}: no mirror of {spec.repo} at {where} — fetch github:{spec.repo} first "
                         f"(or pass --mirrors DIR)")  # fmt: skip
    shown = subprocess.run(["git", "--git-dir", str(where), "show", f"{spec.commit}:{spec.path}"],
                           capture_output=True, check=False)  # fmt: skip
    if shown.returncode != 0:
        raise SystemExit(f"{spec.name}: {spec.path} at {spec.commit[:12]} is not in {where}: {shown.stderr.decode()}")
    docs = spec.read(shown.stdout.decode("utf-8"))
    cache.mkdir(parents=True, exist_ok=True)
    cached.write_text("".join(json.dumps({"text": d.text, "spans": d.spans}) + "\n" for d in docs), encoding="utf-8")
    return docs


def sample(docs: Sequence[Doc], n: int, seed: int) -> list[Doc]:
    """``n`` documents drawn without replacement (all of them if fewer), in their order in the set."""
    if n >= len(docs):
        return list(docs)
    picked = sorted(random.Random(seed).sample(range(len(docs)), n))
    return [docs[i] for i in picked]
