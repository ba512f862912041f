"""The analyzer: built-in table + user detectors + deny-lists (fast), and the NER model (slow).

``Analyzer(config).scan(text, ner_types)`` is synchronous and used by the gateway stage (the NER part on
worker threads) and by ``crossroads scan``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from crossroads.privacy.config import CustomDetector, PrivacyConfig
from crossroads.privacy.detect.names.spacy_ner import NerDetector
from crossroads.privacy.detect.patterns import BUILTIN, Pattern
from crossroads.privacy.detect.rows import DenyListDetector, Detector, RegexDetector, Scanner, compile_pattern
from crossroads.privacy.spans import Span, resolve

if TYPE_CHECKING:
    from crossroads.privacy.detect.names.tagger import NameModel

NAME_MODEL = "crossroads-names"  # ``privacy.ner.model`` naming the shipped name model (``names.tagger``)


def _custom(detector: CustomDetector) -> Pattern:
    name = detector.name or f"custom:{detector.entity_type}"
    return Pattern(detector.entity_type, name, detector.pattern, detector.validator, detector.score)


def fast_detectors(config: PrivacyConfig, gate: bool = True) -> list[Detector]:
    custom = [compile_pattern(_custom(d), d.context) for d in config.detectors]
    deny = [DenyListDetector(entity, terms) for entity, terms in config.deny_lists.items()]
    return [RegexDetector([*(compile_pattern(p) for p in BUILTIN), *custom], gate=gate), *deny]


class Analyzer:
    def __init__(self, config: PrivacyConfig, gate: bool = True) -> None:
        """``gate=False``: no Hyperscan pre-scan (it takes seconds to compile; worth it for a server, not for one
        short text)."""
        self.config = config
        self.fast = Scanner(fast_detectors(config, gate), config.min_score)
        self.ner: NerDetector | NameModel | None = None

    def load_ner(self) -> None:
        """The shipped name model (``ner.model: crossroads-names``, the default) or an installed spaCy pipeline."""
        if self.ner is None:
            ner = self.config.ner
            if ner.model == NAME_MODEL:
                from crossroads.privacy.detect.names.tagger import (
                    NameModel,  # numpy and the weights: when the guard is built
                )

                self.ner = NameModel(cache_size=ner.cache_size)
            else:
                self.ner = NerDetector(
                    ner.model, ner.sentence_start_names, cache_size=ner.cache_size, context_words=ner.context_words
                )

    def scan_fast(self, text: str) -> list[Span]:
        return self.fast.scan(text)

    def scan_ner(self, text: str, ner_types: frozenset[str]) -> list[Span]:
        if not ner_types or not text.strip():
            return []
        if self.ner is None:
            raise RuntimeError("the NER model is not loaded")
        return self.ner.detect(text, ner_types)

    def scan(self, text: str, ner_types: frozenset[str] = frozenset()) -> list[Span]:
        return combine(self.scan_fast(text), self.scan_ner(text, ner_types), self.config.min_score)


def combine(fast: Sequence[Span], ner: Sequence[Span], min_score: float) -> list[Span]:
    """Identifiers and secrets win: a name the model finds inside one (an email's user part) is dropped."""
    kept = [n for n in ner if not any(n.overlaps(f) for f in fast)]
    return resolve([*fast, *kept], min_score)
