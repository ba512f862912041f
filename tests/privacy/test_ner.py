"""Names, places and organisations with the real spaCy model, and the cheap filters around it."""

from __future__ import annotations

from crossroads.privacy.engine import Engine
from crossroads.privacy.ner import NerDetector, candidate_sentences, clean

NAMES = frozenset({"PERSON", "LOCATION", "ORGANIZATION"})


def found(engine: Engine, text: str) -> list[tuple[str, str]]:
    return [(s.entity_type, text[s.start : s.end]) for s in engine.scan(text, NAMES)]


def test_people_places_and_organisations(ner_engine: Engine) -> None:
    text = "Dear Priya Patel,\nthe team at Deutsche Bank in Frankfurt will call you tomorrow."
    assert found(ner_engine, text) == [
        ("PERSON", "Priya Patel"),
        ("ORGANIZATION", "Deutsche Bank"),
        ("LOCATION", "Frankfurt"),
    ]


def test_identifiers_win_over_names(ner_engine: Engine) -> None:
    text = "Write to john.smith@example.com about the SSN 078-05-1120."
    assert [t for t, _ in found(ner_engine, text)] == ["EMAIL_ADDRESS", "US_SSN"]


def test_only_sentences_that_could_hold_a_name_reach_the_model() -> None:
    text = "the build failed again. Please retry. Then ask Marta.\nversion 2.3.1 is out"
    assert [s for _, s in candidate_sentences(text)] == [" Please retry. Then ask Marta."]  # short: with context
    assert [s for _, s in candidate_sentences("Berlin is lovely.", first_word=False)] == []
    assert [s for _, s in candidate_sentences("Berlin is lovely.")] == ["Berlin is lovely."]


def test_clean_trims_non_name_words_and_fixes_organisations() -> None:
    dear = clean("PERSON", "Dear Ann Lee", 10)
    assert dear is not None and (dear.start, dear.end) == (15, 22)
    wayne = clean("PERSON", "Wayne Enterprises", 0)
    assert wayne is not None and wayne.entity_type == "ORGANIZATION"
    assert clean("ORGANIZATION", "boto3.client('s3", 0) is None
    assert clean("ORGANIZATION", "SSN", 0) is None


def test_entity_types_not_asked_for_are_not_reported(ner_engine: Engine) -> None:
    detector = ner_engine.ner
    assert isinstance(detector, NerDetector)
    assert [s.entity_type for s in detector.detect("Ann Lee moved to Oslo.", frozenset({"LOCATION"}))] == ["LOCATION"]


def test_sentence_cache_gives_the_same_findings_and_is_bounded(ner_engine: Engine) -> None:
    detector = ner_engine.ner
    assert isinstance(detector, NerDetector)
    detector.cache_size, detector.cache = 2, type(detector.cache)()
    text = "Ann Lee moved to Oslo. Then Bob Stone moved to Rome."
    first = detector.detect(text, NAMES)
    assert list(detector.cache) == ["Ann Lee moved to Oslo.", " Then Bob Stone moved to Rome."]
    assert detector.detect("ok. " + text, NAMES) == [
        type(s)(s.entity_type, s.start + 4, s.end + 4, s.score, s.detector) for s in first
    ]
    detector.detect("Then Cleo Park called.", NAMES)
    assert len(detector.cache) == 2 and "Ann Lee moved to Oslo." not in detector.cache
    detector.cache_size, detector.cache = 0, type(detector.cache)()
