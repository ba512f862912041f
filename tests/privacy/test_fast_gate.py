"""The Hyperscan gate skips rows, never findings: gated and ungated detection agree on every text.

The gate scans a widened copy of each row's regex; the invariant under test is that wherever Python's regex
matches (in the whole text or in a window of it), the widened copy matches too, for ASCII and non-ASCII texts.
"""

from __future__ import annotations

import dataclasses
import random
import re
import sys
import threading
from collections.abc import Iterator

import pytest

from crossroads.privacy.config import CustomDetector, PrivacyConfig
from crossroads.privacy.detect import regex_bytes
from crossroads.privacy.detect import rows as detect
from crossroads.privacy.detect.analyzer import Analyzer, fast_detectors
from crossroads.privacy.detect.gate import Gate
from crossroads.privacy.detect.patterns import ANCHORS, BUILTIN, Pattern
from crossroads.privacy.detect.regex_bytes import class_letters, gate_bytes
from crossroads.privacy.detect.rows import RegexDetector, compile_pattern
from tests.support.pii_corpus import generate, prompts

pytest.importorskip("hyperscan")

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
ODD_CHARACTERS = "éñØ€٣５\u212a\u017f\u0130\u0131\x1c\x1d\xa0\u2028🎉?"  # Kelvin sign, long s, dotted/dotless i
CUSTOM = [
    CustomDetector(entity_type="PROJECT_CODE", pattern=r"PRJ-\d{4}", context=["project"], score=0.8),
    CustomDetector(entity_type="TICKET", pattern=r"(?P<t>T)-(?P=t)\d{3,}(?!\d)"),  # a back-reference
    CustomDetector(entity_type="CODE_WORD", pattern=r"(?i)\bk\w{3}\b"),  # ignoring case: Kelvin sign, long s
    CustomDetector(entity_type="ORDER", pattern=r"ORD-\d{2}[A-Z]{0,40000}"),  # too large for Hyperscan
    CustomDetector(entity_type="PIN", pattern=r"(?<![\d-])(?=\d{4})\d{0,4}(?!\d)"),  # its widened copy matches ""
]


def variants(text: str, rng: random.Random) -> Iterator[str]:
    """The text, and copies beyond ASCII: other digits, accents, emoji, Unicode-only spaces, random characters."""
    yield text
    yield text.translate(FULL_WIDTH)
    yield text.translate(ARABIC_INDIC)
    yield text.replace(" ", " 🎉 ", 3).replace("a", "ä", 5).replace("e", "é", 5)
    yield text.replace(" ", "\x1c", 7)
    yield text.replace("-", "‐").replace(" ", "\xa0", 9)
    chars = list(text)
    for _ in range(8):
        chars[rng.randrange(len(chars))] = rng.choice(ODD_CHARACTERS)
    yield "".join(chars)
    yield "Grüße zoë@exämple.de, İstanbul token=\u017fecret123x password: \u212aelvin5678xyz " + text[:200]


def corpus_texts() -> list[str]:
    rng = random.Random(3)
    samples = [*prompts(60, seed=21), *generate(300, seed=5)]
    return [variant for sample in samples for variant in variants(sample.text, rng)]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return corpus_texts()


def findings(detector: RegexDetector, text: str) -> list[tuple[str, int, int, float, str]]:
    return sorted((s.entity_type, s.start, s.end, s.score, s.detector) for s in detector.detect(text))


def custom_pattern(detector: CustomDetector) -> Pattern:
    return Pattern(detector.entity_type, f"custom:{detector.entity_type}", detector.pattern, detector.validator)


def test_gated_and_ungated_find_the_same(texts: list[str]) -> None:
    rows = [*(compile_pattern(p) for p in BUILTIN), *(compile_pattern(custom_pattern(d)) for d in CUSTOM)]
    gated, ungated = RegexDetector(rows), RegexDetector(rows, gate=False)
    assert gated.gate is not None and ungated.gate is None
    assert sum(not t.isascii() for t in texts) > 1000
    assert [t for t in texts if findings(gated, t) != findings(ungated, t)] == []
    assert sum(len(findings(gated, t)) for t in texts) > 3000  # the texts are full of findings


def test_the_gate_skips_most_rows(texts: list[str]) -> None:
    detector = RegexDetector(BUILTIN)
    assert detector.gate is not None
    ascii_texts = [t for t in texts if t.isascii()][:200]
    admitted = [sum(scan.admitted) for t in ascii_texts if (scan := detector.gate.scan(t)) is not None]
    assert len(admitted) == len(ascii_texts)
    assert sum(admitted) / len(admitted) < len(BUILTIN) / 2


def test_rows_hyperscan_cannot_take_always_run() -> None:
    analyzer = Analyzer(PrivacyConfig(detectors=CUSTOM))
    regex_detector = analyzer.fast.detectors[0]
    assert isinstance(regex_detector, RegexDetector) and regex_detector.gate is not None
    names = [row.pattern.name for row in regex_detector.rows]
    for name in ("custom:ORDER", "custom:PIN"):
        index = names.index(name)
        assert regex_detector.gate.ascii.ungated[index] == regex_detector.gate.any.ungated[index] == 1
    assert regex_detector.gate.ascii.ungated[names.index("custom:TICKET")] == 0  # a back-reference is no obstacle
    text = "order ORD-12AB, pin 4321, ticket T-T123, code kilo or \u212aelv"
    assert [(s.entity_type, text[s.start : s.end]) for s in analyzer.scan_fast(text)] == [
        ("ORDER", "ORD-12AB"),
        ("PIN", "4321"),
        ("TICKET", "T-T123"),
        ("CODE_WORD", "kilo"),
        ("CODE_WORD", "\u212aelv"),
    ]


def test_without_hyperscan_every_row_runs(monkeypatch: pytest.MonkeyPatch, texts: list[str]) -> None:
    gated = Analyzer(PrivacyConfig(detectors=CUSTOM))
    monkeypatch.setitem(sys.modules, "hyperscan", None)  # import hyperscan → ImportError
    plain = Analyzer(PrivacyConfig(detectors=CUSTOM))
    detector = plain.fast.detectors[0]
    assert isinstance(detector, RegexDetector) and detector.gate is None
    for text in texts[:400]:
        assert plain.scan_fast(text) == gated.scan_fast(text)


def test_scans_from_several_threads(texts: list[str]) -> None:
    detector = RegexDetector(BUILTIN)
    sample = texts[:80]
    expected = [findings(detector, t) for t in sample]
    results: list[bool] = []

    def work() -> None:
        results.append(all(findings(detector, t) == e for t, e in zip(sample, expected, strict=True)))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [True] * 4


# the widening itself, on random regexes and texts

ATOMS = [
    "a", "b", "K", "k", "s", "i", "_", "-", " ", r"\.", ":", "é", "٣", r"\d", r"\D", r"\w", r"\W", r"\s", r"\S", ".",
    "[a-c]", "[^a-c]", r"[\d-]", r"[^\s/]", "[A-Z0-9]", r"[^\W\d]", "[é-ü]", "[^é]", r"\x1c", "[K]", "[Z-a]",
    r"[\s\S]", r"[^\W_]", r"\t", r"\x41", r"\u00e9", "[a-é]", "\u212a", "ſ",
]  # fmt: skip
ZERO_WIDTH = [r"\b", r"\B", "^", "$", r"\A", r"\Z", "(?=a)", "(?!b)", r"(?<=\d)", r"(?<!-)"]
QUANTIFIERS = ["*", "+", "?", "{2}", "{1,3}", "{0,2}?", "+?", "{2,}", "{,2}", "*+", "?+"]
GROUPS = ["({body})", "(?:{body})", "(?>{body})", "(?i:{body})", "(?-i:{body})", "(?a:{body})", "(?P<n{n}>{body})"]
ALPHABET = "abKks_- .:é٣５\u212a\u017f\u0130\u0131\x1c\xa0\n?\x00AZ09/"


def random_regex(rng: random.Random, depth: int = 0) -> str:
    parts = []
    for _ in range(rng.randint(1, 4)):
        roll = rng.random()
        if roll < 0.55 or depth > 2:
            part = rng.choice(ATOMS)
        elif roll < 0.7:
            part = rng.choice(ZERO_WIDTH)
        elif roll < 0.85:
            part = "(" + random_regex(rng, depth + 1) + "|" + random_regex(rng, depth + 1) + ")"
        else:
            part = rng.choice(GROUPS).format(body=random_regex(rng, depth + 1), n=rng.randrange(10**6))
        if rng.random() < 0.35:
            part += rng.choice(QUANTIFIERS)
        parts.append(part)
    regex = "".join(parts)
    if rng.random() < 0.15 and "(" in regex:
        regex += rng.choice([r"\1", "(?(1)a|b)", "(?(1)x)"])
    return (rng.choice(["", "", "(?i)", "(?a)", "(?s)", "(?ia)"]) if depth == 0 else "") + regex


def random_text(rng: random.Random) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 24)))


def test_widened_regexes_match_wherever_python_does() -> None:
    rng = random.Random(7)
    checked = 0
    for _ in range(700):
        regex = random_regex(rng)
        try:
            compiled = re.compile(regex)
        except re.error:
            continue
        rows = [compile_pattern(Pattern("X", "x", regex))]
        gate = Gate.build([row.pattern for row in rows], {})
        if gate is None or not gate.any.ids or not gate.ascii.ids:
            continue  # not gated (e.g. it matches the empty string): the row always runs
        for _ in range(25):
            text = random_text(rng)
            pos = rng.randint(0, len(text))
            endpos = rng.randint(pos, len(text))
            scan = gate.scan(text)
            if scan is None:
                continue  # not gated (a NUL beyond ASCII)
            python = rows[0].ascii_regex if detect._ascii_only(text) else compiled  # as the detector chooses
            try:
                found = python.search(text, pos, endpos)
            except SystemError:  # CPython's own bug on a few possessive patterns: nothing to compare
                continue
            if found is not None:
                assert scan.admitted[0], (regex, text, pos, endpos)
                checked += 1
    assert checked > 500


def test_gate_bytes_keep_offsets() -> None:
    text = "a?é🎉\x1c\ud800?b"
    assert gate_bytes(text) == b"a?\x80\x80\x1c\x80?b"
    assert gate_bytes("plain? text") == b"plain? text"
    assert gate_bytes("é\x00") is None


def test_caseless_matches_beyond_ascii_only_for_the_folded_letters() -> None:
    """Ignoring case, an ASCII character matches a character beyond ASCII only if it is one of regex_bytes._FOLDS."""
    beyond = "".join(chr(c) for c in range(0x80, 0x110000) if not 0xD800 <= c < 0xE000)
    matched = set()
    for code in range(128):
        if re.search("(?i)" + re.escape(chr(code)), beyond):
            matched.add(code)
    assert matched <= set(regex_bytes._FOLDS)


@pytest.mark.parametrize("ascii", [True, False])
def test_categories_are_exact_on_ascii(ascii: bool) -> None:
    flags = re.ASCII if ascii else 0
    for category, escape in [
        ("CATEGORY_DIGIT", r"\d"),
        ("CATEGORY_NOT_DIGIT", r"\D"),
        ("CATEGORY_WORD", r"\w"),
        ("CATEGORY_NOT_WORD", r"\W"),
        ("CATEGORY_SPACE", r"\s"),
        ("CATEGORY_NOT_SPACE", r"\S"),
    ]:
        chars = regex_bytes._CATEGORIES[getattr(regex_bytes.sre, category)][1 if ascii else 0]
        assert {c for c in range(128) if re.match(escape, chr(c), flags)} == chars - {regex_bytes._BEYOND}


def test_class_letters_find_what_the_regex_finds() -> None:
    rng = random.Random(11)
    regexes = [a.regex for a in ANCHORS.values() if a.regex] + [r"\bab+(?=\d)", r"(?<!-)[^\s:]{2,}?$", r"\w\W\d"]
    for regex in regexes:
        letters = class_letters(regex)
        assert letters is not None, regex
        table, translated = letters
        plain = re.compile(regex, re.ASCII)
        for _ in range(300):
            text = "".join(rng.choice("0123456789 .()/+-:aF_x\n") for _ in range(rng.randint(0, 40)))
            expected = [m.span() for m in plain.finditer(text)]
            assert [m.span() for m in translated.finditer(text.encode().translate(table))] == expected
    assert class_letters(r"(?i)ab") is None and class_letters(r"(a)\1") is None and class_letters("é") is None


def test_fast_detectors_gate_the_builtin_table() -> None:
    detector = fast_detectors(PrivacyConfig())[0]
    assert isinstance(detector, RegexDetector) and detector.gate is not None
    assert not any(detector.gate.ascii.ungated) and not any(detector.gate.any.ungated)
    assert detector.gate.anchors == {name for name, a in ANCHORS.items() if a.literals}


KEY_WORD_PIECES = [
    "password", "PASSWORD", "Passwd", "pwd", "PWD", "pass", "secret", "SECRET", "token", "Token", "api_key", "apikey",
    "API_KEY", "api-key", "db_", "my", "_", "x", "=", ":", " ", "  ", '"', "'", "abc123XYZ", "hunter22", "s3cr3t!",
    "-", ".", ",", "\n", "$", "{{", "aws_", "passpass", "tokens", "sec",
]  # fmt: skip


def test_key_words_tried_at_their_literals_find_what_a_search_finds() -> None:
    """The password row is tried only where the gate found one of its anchor's literals (``at_anchor``): on texts
    made of key words, identifier prefixes, separators and values in every order, it finds what searching finds."""
    row = next(p for p in BUILTIN if p.name == "password_assignment")
    assert row.at_anchor
    tried = RegexDetector([compile_pattern(row)])
    searched = RegexDetector([compile_pattern(dataclasses.replace(row, at_anchor=False))])
    rng = random.Random(11)
    found = 0
    for _ in range(4000):
        text = "".join(rng.choice(KEY_WORD_PIECES) for _ in range(rng.randint(1, 30)))
        assert findings(tried, text) == findings(searched, text), text
        found += len(findings(tried, text))
    assert found > 300  # texts with findings, not only without


@pytest.mark.parametrize(
    ("regex", "expected"),
    [
        (r"\d{3}-\d{2}", (6, 0)),
        (r"\d{3}-\d{2}(?![\d-])", (6, 1)),
        (r"\d{2,4}\b", (4, 1)),
        (r"(?=[a-f]{0,4}:)x", (1, 5)),
        (r"(?=ab(?=cd))a", (1, 4)),  # a look-ahead inside a look-ahead reads past it
        (r"(?<=a(?=bc))b", (1, 2)),  # inside a look-behind too
        (r"(?<=ab)c", (1, 0)),
        (r"x$", (1, 1)),
        (r"(a)\1", (2, 0)),
        (r"\d+", None),
        (r"\d(?=\d+)", None),
    ],
)
def test_extent_is_the_longest_match_and_how_far_past_it_a_match_reads(
    regex: str, expected: tuple[int, int] | None
) -> None:
    assert regex_bytes.extent(regex) == expected


def located_texts(rng: random.Random) -> str:
    """Runs of digits and separators of every length (cards, IBANs, phone numbers, addresses inside longer runs,
    next to letters, hyphens and dots), IPv6-like groups and times, and noise."""
    pieces = ["4111 1111 1111 1111", "5500-0000-0000-0004", "GB82WEST12345698765432", "DE89 3704 0044 0532 0130 00",
              "123-45-6789", "+44 20 7946 0958", "(415) 555-0100", "020 7946 0958", "192.168.1.20", "2001:db8::1",
              "fe80::1:2:3:4:5:6", "10:22:33", "::", "1", "12", "123", "-", ".", " ", "  ", "x", "A", "ID", ":", "+",
              "(", ")", "/", "9" * 25, "é", "٣", "a:b:c:d:e:f:1:2:3:4", "1:2:3:4:5:6:7:8:9", "::1", "Z", "a::b",
              "10:22:01Z", "ff:", ":".join(["ffff"] * 8)]  # fmt: skip
    return "".join(rng.choice(pieces) for _ in range(rng.randint(1, 14)))


def test_located_rows_find_what_the_whole_text_gives() -> None:
    """A row the gate locates (run only around its own match ends) finds exactly what its regex finds in the whole
    text, with no anchor: on texts packed with digit runs, long and short, back to back, and IPv6-like groups."""
    rows = [p for p in BUILTIN if p.anchor and ANCHORS[p.anchor].located]
    assert {p.name for p in rows} >= {"credit_card", "iban", "us_ssn", "phone_national", "ipv4", "ipv6"}
    located = RegexDetector([compile_pattern(p) for p in rows])
    assert located.gate is not None and all(located.gate.extents)
    whole = RegexDetector([compile_pattern(dataclasses.replace(p, anchor="", min_run=0)) for p in rows], gate=False)
    rng = random.Random(17)
    found = 0
    for _ in range(6000):
        text = located_texts(rng)
        assert findings(located, text) == findings(whole, text), text
        found += len(findings(located, text))
    assert found > 2000


def test_a_final_look_ahead_becomes_a_test_of_the_next_character_only_where_safe() -> None:
    """IPv6 addresses take only characters the final look-ahead bars: their run reports one end (at the character
    after it, or at the text's end). Cards take spaces, which the look-ahead lets follow: not so."""
    ipv6 = next(p for p in BUILTIN if p.name == "ipv6")
    expression = regex_bytes.terminated(ipv6.regex, ipv6.flags, beyond=False)
    assert expression is not None and expression.endswith(b"|\\z)")
    assert regex_bytes.terminated(next(p for p in BUILTIN if p.name == "credit_card").regex) is None
    assert (
        regex_bytes.terminated(r"(?=[a-f]{3})[a-f:]{2,}(?![a-f:])") is None
    )  # another look-ahead reads past the match
    assert regex_bytes.terminated(r"[a-f](?![a-f])") is None  # one character long
    assert regex_bytes.terminated(r"[a-f]{2,}(?!\w|\.\w)") is None  # not one character class
    assert regex_bytes.terminated(r"[a-f]{2,}(?![a-f])") is not None
    located = RegexDetector([compile_pattern(ipv6)])
    assert located.gate is not None and located.gate.extents[0] == (40, 1)  # the longest match, and the character after


def test_a_text_of_long_number_runs_runs_ungated_and_finds_the_same() -> None:
    """Spaced digit groups make located rows report most of their digits: past one end per few characters the
    scan stops and the text runs ungated, with the same findings."""
    gated, ungated = RegexDetector(BUILTIN), RegexDetector(BUILTIN, gate=False)
    assert gated.gate is not None
    runs = "4111 " * 2000 + "card 4111 1111 1111 1111, mail ann@example.com, ip 2001:db8::1 " + "1234 5678 " * 500
    assert gated.gate.scan(runs) is None  # stopped: too many match ends
    prompt = "card 4111 1111 1111 1111, mail ann@example.com"
    assert gated.gate.scan(prompt) is not None
    for text in (runs, prompt):
        assert findings(gated, text) == findings(ungated, text)
    assert {"CREDIT_CARD", "EMAIL_ADDRESS", "IP_ADDRESS"} <= {s[0] for s in findings(gated, runs)}
