"""Names, places and organisations with the real spaCy model, and the cheap filters around it."""

from __future__ import annotations

from crossroads.privacy.detect.analyzer import Analyzer
from crossroads.privacy.detect.memo import digest
from crossroads.privacy.detect.names.spacy_ner import NerDetector, candidate_sentences, clean, windows

NAMES = frozenset({"PERSON", "LOCATION", "ORGANIZATION"})


def found(analyzer: Analyzer, text: str) -> list[tuple[str, str]]:
    return [(s.entity_type, text[s.start : s.end]) for s in analyzer.scan(text, NAMES)]


def test_people_places_and_organisations(ner_analyzer: Analyzer) -> None:
    text = "Dear Priya Patel,\nthe team at Deutsche Bank in Frankfurt will call you tomorrow."
    assert found(ner_analyzer, text) == [
        ("PERSON", "Priya Patel"),
        ("ORGANIZATION", "Deutsche Bank"),
        ("LOCATION", "Frankfurt"),
    ]


def test_identifiers_win_over_names(ner_analyzer: Analyzer) -> None:
    text = "Write to john.smith@example.com about the SSN 078-05-1120."
    assert [t for t, _ in found(ner_analyzer, text)] == ["EMAIL_ADDRESS", "US_SSN"]


def test_only_sentences_that_could_hold_a_name_reach_the_model() -> None:
    text = "the build failed again. Please retry. Then ask Marta.\nversion 2.3.1 is out"
    assert [s for _, s in candidate_sentences(text)] == [" Please retry. Then ask Marta."]  # short: with context
    assert [s for _, s in candidate_sentences("Berlin is lovely.", first_word=False)] == []
    assert [s for _, s in candidate_sentences("Berlin is lovely.")] == ["Berlin is lovely."]


def test_common_words_do_not_make_a_sentence_a_candidate() -> None:
    assert [s for _, s in candidate_sentences("Summarize the Invoice. Nothing else.\nUse the Order form.")] == []
    assert [s for _, s in candidate_sentences("Summarize the Invoice for Marta.")] == [
        "Summarize the Invoice for Marta."
    ]
    stop_words = frozenset({"everything"})
    assert [s for _, s in candidate_sentences("Everything is fine.", common=stop_words)] == []


def test_windows_keep_the_words_around_each_possible_name() -> None:
    piece = "please send the signed copy of the contract to Ann Lee before the end of the quarter, thanks"
    offset = 100
    parts = list(windows(offset, piece, 3))
    assert [text for _, text in parts] == ["the contract to Ann Lee before the end"]
    assert all(piece[at - offset : at - offset + len(text)] == text for at, text in parts)
    two = "Ann wrote the first long draft of the plan and then she gave it to Bob for a careful review"
    assert [t for _, t in windows(0, two, 2)] == ["Ann wrote the", "it to Bob for a"]
    assert list(windows(5, "short sentence for Ann", 3)) == [(5, "short sentence for Ann")]
    assert list(windows(0, piece, 0)) == [(0, piece)]  # 0: the whole piece


def test_windows_find_what_whole_sentences_find(ner_analyzer: Analyzer) -> None:
    detector = ner_analyzer.ner
    assert isinstance(detector, NerDetector)
    text = (
        "After a very long and tiring week of meetings about the budget, the new contract was finally signed by "
        "Maria Gonzalez on behalf of the Berlin office of Siemens, and everybody went home happy."
    )
    assert detector.context_words == 3  # the default
    windowed = [(s.entity_type, text[s.start : s.end]) for s in detector.detect(text, NAMES)]
    detector.context_words = 0
    try:
        whole = [(s.entity_type, text[s.start : s.end]) for s in detector.detect(text, NAMES)]
    finally:
        detector.context_words = 3
    assert windowed == whole
    assert ("PERSON", "Maria Gonzalez") in windowed


def test_clean_trims_non_name_words_and_fixes_organisations() -> None:
    dear = clean("PERSON", "Dear Ann Lee", 10)
    assert dear is not None and (dear.start, dear.end) == (15, 22)
    wayne = clean("PERSON", "Wayne Enterprises", 0)
    assert wayne is not None and wayne.entity_type == "ORGANIZATION"
    assert clean("ORGANIZATION", "boto3.client('s3", 0) is None
    assert clean("ORGANIZATION", "SSN", 0) is None


def test_entity_types_not_asked_for_are_not_reported(ner_analyzer: Analyzer) -> None:
    detector = ner_analyzer.ner
    assert isinstance(detector, NerDetector)
    assert [s.entity_type for s in detector.detect("Ann Lee moved to Oslo.", frozenset({"LOCATION"}))] == ["LOCATION"]


def test_sentence_cache_gives_the_same_findings_and_is_bounded(ner_analyzer: Analyzer) -> None:
    detector = ner_analyzer.ner
    assert isinstance(detector, NerDetector)
    detector.cache_size, detector.cache = 2, type(detector.cache)()
    text = "Ann Lee moved to Oslo. Then Bob Stone moved to Rome."
    first = detector.detect(text, NAMES)
    # by a keyed digest: the cache holds no sentence
    assert list(detector.cache) == [digest("Ann Lee moved to Oslo."), digest(" Then Bob Stone moved to Rome.")]
    assert all(isinstance(key, bytes) and len(key) == 16 for key in detector.cache)
    assert detector.detect("ok. " + text, NAMES) == [
        type(s)(s.entity_type, s.start + 4, s.end + 4, s.score, s.detector) for s in first
    ]
    detector.detect("Then Cleo Park called.", NAMES)
    assert len(detector.cache) == 2 and digest("Ann Lee moved to Oslo.") not in detector.cache
    detector.cache_size, detector.cache = 0, type(detector.cache)()


def test_one_word_field_labels_are_not_names(ner_analyzer: Analyzer) -> None:
    for label in ("Email", "Query", "Phone", "Status"):  # enum items and titles of JSON schemas
        assert found(ner_analyzer, label) == []
    assert found(ner_analyzer, "Email Ann Lee today.") == [("PERSON", "Ann Lee")]
