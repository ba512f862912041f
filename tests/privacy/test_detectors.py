# Over 400 lines: one table-driven test per built-in entity type, sharing the samples and the analyzer fixture.
"""Every built-in entity type is found (validated, not just matched), and the hard negatives are not."""

from __future__ import annotations

import dataclasses
import ipaddress
import random
import re
from collections.abc import Callable

import pytest

from crossroads.privacy.config import CustomDetector, PrivacyConfig
from crossroads.privacy.detect.analyzer import Analyzer
from crossroads.privacy.detect.validators import _IBAN_LENGTHS as IBAN_LENGTHS
from crossroads.privacy.detect.validators import credit_card, iban, luhn, phone_number, us_ssn
from crossroads.privacy.spans import Span, resolve
from tests.support.pii_corpus import card, iban_code, ssn

AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\n-----END RSA PRIVATE KEY-----"
AZURE_STORAGE = "A1b2" * 21 + "Zz=="

POSITIVES = [
    ("EMAIL_ADDRESS", "write to {} today", "jane.doe+tag@mail.example.co.uk"),
    ("CREDIT_CARD", "my card {} expired", "4111 1111 1111 1111"),
    ("CREDIT_CARD", "card={}", "5500-0000-0000-0004"),
    ("IBAN_CODE", "wire to {} please", "DE89 3704 0044 0532 0130 00"),
    ("IBAN_CODE", "IBAN {}", "GB82WEST12345698765432"),
    ("US_SSN", "SSN {} on file", "123-45-6789"),
    ("PHONE_NUMBER", "call {} now", "+44 20 7946 0958"),
    ("PHONE_NUMBER", "call {} now", "(415) 555-0132"),
    ("PHONE_NUMBER", "ring {} after 5", "020 7946 0958"),
    ("IP_ADDRESS", "host {} is down", "192.168.10.20"),
    ("IP_ADDRESS", "bind [{}]", "2001:db8::8a2e:370:7334"),
    ("URL_CREDENTIALS", "DSN postgres://{}@db.internal:5432/app", "admin:s3cr3tpw"),
    ("URL", "see {} for more", "https://docs.example.com/guide?page=2"),
    ("SECRET_API_KEY", "aws_access_key_id = {}", "AKIAIOSFODNN7EXAMPLE"),
    ("SECRET_API_KEY", "aws_secret_access_key = {}", AWS_SECRET),
    ("SECRET_API_KEY", "key: {}", "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q"),
    ("SECRET_API_KEY", '{{"private_key_id": "{}"}}', "0123456789abcdef0123456789abcdef01234567"),
    ("SECRET_API_KEY", "DefaultEndpointsProtocol=https;AccountKey={};EndpointSuffix=core.windows.net", AZURE_STORAGE),
    ("SECRET_API_KEY", "AZURE_OPENAI_KEY={}", "0123456789abcdef0123456789abcdef"),
    ("SECRET_API_KEY", "token {}", "ghp_" + "a1B2" * 9),
    ("SECRET_API_KEY", "token {}", "glpat-" + "x" * 20),
    ("SECRET_API_KEY", "slack {}", "xoxb-1234567890-0987654321-abcdefABCDEF"),
    ("SECRET_API_KEY", "OPENAI_API_KEY={}", "sk-proj-" + "Ab1_" * 10),
    ("SECRET_API_KEY", "ANTHROPIC_API_KEY={}", "sk-ant-api03-" + "Zy9-" * 23),
    ("SECRET_API_KEY", "STRIPE={}", "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"),
    ("IP_ADDRESS", "the gateway is {}.", "10.0.0.1"),
    ("JWT", "Authorization: Bearer {}", JWT),
    ("PRIVATE_KEY", '"private_key": "{}"', PEM),
    ("PASSWORD", "password={}", "hunter22!"),
    ("PASSWORD", "db secret: {}", "Tr0ub4dor&3"),
]

NEGATIVES = [
    "order 12345-778 shipped, ticket #4521, invoice INV-2024-00017",
    "upgrade from version 2.3.1 to 10.0.19041 (build 4111)",
    "ISBN 978-0-306-40615-7 and ISBN 0-306-40615-2",
    "at 2024-03-12T10:22:01Z and 10:22:01.123 the job ran",
    "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "commit 3f2a9c1b0d4e5f60718293a4b5c6d7e8f9a0b1c2 merged",
    "uuid 123e4567-e89b-12d3-a456-426614174000",
    "card 4111 1111 1111 1112 fails Luhn; SSN 666-12-3456 and 900-12-3456 are never issued",
    "password=${DB_PASSWORD} token: <your-token-here> secret = os.environ['X']",
    "IBAN DE89 3704 0044 0532 0130 01 has a bad check digit",
    "the ratio was 1.2.3.4.5 and 999.1.1.1 is no address",
]


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer(PrivacyConfig())


@pytest.mark.parametrize(
    ("entity", "template", "value"), POSITIVES, ids=[f"{p[0]}-{i}" for i, p in enumerate(POSITIVES)]
)
def test_finds_each_type_with_exact_offsets(analyzer: Analyzer, entity: str, template: str, value: str) -> None:
    text = template.format(value)
    spans = analyzer.scan(text)
    assert [(s.entity_type, text[s.start : s.end]) for s in spans] == [(entity, value)]


@pytest.mark.parametrize("text", NEGATIVES)
def test_hard_negatives_are_not_findings(analyzer: Analyzer, text: str) -> None:
    assert [(s.entity_type, text[s.start : s.end]) for s in analyzer.scan(text)] == []


def test_validators() -> None:
    assert luhn("4111111111111111") and not luhn("4111111111111112")
    assert credit_card("4111-1111-1111-1111") and credit_card("4111-1111 1111-1111")  # mixed: still a card
    assert iban("NL91ABNA0417164300") and not iban("NL91ABNA0417164301") and not iban("DE89370400440532013")
    assert (
        us_ssn("078-05-1120") and not us_ssn("000-12-3456") and not us_ssn("123-00-4567") and not us_ssn("123-45 6789")
    )
    assert phone_number("+1 415 555 0132") and not phone_number("+1 000 000 0000")


def test_custom_detector_with_validator_and_context() -> None:
    config = PrivacyConfig(
        detectors=[
            CustomDetector(entity_type="PROJECT_CODE", pattern=r"PRJ-\d{4}", context=["project"], score=0.8),
            CustomDetector(entity_type="LOYALTY_CARD", pattern=r"\d{16}", validator="luhn"),
        ]
    )
    analyzer = Analyzer(config)
    far = " " * 80
    found = analyzer.scan(
        f"project PRJ-1234 is late;{far}PRJ-9999 alone; loyalty 4111111111111111 and 4111111111111112"
    )
    assert [s.entity_type for s in found] == ["PROJECT_CODE", "CREDIT_CARD"]
    assert Analyzer(config.model_copy(update={"min_score": 0.3})).scan("PRJ-9999")[0].score == pytest.approx(0.4)


def test_deny_list_whole_words_any_case() -> None:
    analyzer = Analyzer(PrivacyConfig(deny_lists={"CUSTOMER": ["Globex", "Initech Corp"]}))
    text = "GLOBEX and initech corp, not Globexian"
    assert [text[s.start : s.end] for s in analyzer.scan(text)] == ["GLOBEX", "initech corp"]


def test_invalid_custom_detector_names_the_problem() -> None:
    with pytest.raises(ValueError, match="not a valid regular expression"):
        CustomDetector(entity_type="X", pattern="(")
    with pytest.raises(ValueError, match="unknown validator 'crc'"):
        CustomDetector(entity_type="X", pattern="x", validator="crc")


def test_unicode_offsets_are_characters(analyzer: Analyzer) -> None:
    text = "Grüße 👋 — schreib an zoë@exämple.de oder jürgen@example.de 🎉"
    spans = analyzer.scan(text)
    assert [text[s.start : s.end] for s in spans] == ["jürgen@example.de"]


def test_very_long_input_is_linear_and_complete(analyzer: Analyzer) -> None:
    filler = "lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 4000  # ~230 KB
    text = filler + "reach me at a@b.example " + filler + "card 4111111111111111"
    spans = analyzer.scan(text)
    assert [s.entity_type for s in spans] == ["EMAIL_ADDRESS", "CREDIT_CARD"]


def test_resolve_prefers_score_then_length() -> None:
    spans = [
        Span("A", 0, 10, 0.5, "x"),
        Span("B", 2, 5, 0.9, "y"),
        Span("C", 6, 12, 0.5, "z"),
        Span("D", 20, 22, 0.1, "w"),
    ]
    assert [s.entity_type for s in resolve(spans, min_score=0.2)] == ["B", "C"]


def _old_resolve(spans: list[Span], min_score: float) -> list[Span]:
    """Every span by rank, kept unless it overlaps one kept before (what ``resolve`` does run by run)."""
    usable = [s for s in spans if s.score >= min_score and s.end > s.start]
    ranked = sorted(usable, key=lambda s: (-s.score, s.start - s.end, s.start))
    kept: list[Span] = []
    for span in ranked:
        if not any(span.overlaps(k) for k in kept):
            kept.append(span)
    return sorted(kept, key=lambda s: s.start)


def test_resolve_run_by_run_is_resolve_by_rank() -> None:
    """Deciding each run of overlapping spans on its own keeps exactly what ranking them all would: dense random
    spans (chains, nesting, touching ends, ties in score and length, empty spans, scores under the minimum)."""
    rng = random.Random(7)
    for case in range(3000):
        spans = []
        for i in range(rng.randint(0, 14)):
            start = rng.randint(0, 40)
            spans.append(Span(f"T{i}", start, start + rng.randint(0, 9), rng.choice([0.1, 0.5, 0.8, 0.9]), "d"))
        assert resolve(spans, 0.3) == _old_resolve(spans, 0.3), (case, spans)


# The fast validators and rows against what they replaced: the same verdicts and the same findings, on inputs in
# every shape the rows produce and on noise around them.


def _old_credit_card(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    return 12 <= len(digits) <= 19 and luhn(digits) and _issued(digits)


def _issued(digits: str) -> bool:
    """Card networks' prefixes and lengths, written out one by one."""
    n, two, three, four = len(digits), int(digits[:2]), int(digits[:3]), int(digits[:4])
    return (
        (digits[0] == "4" and n in (13, 16, 19))
        or ((51 <= two <= 55 or 2221 <= four <= 2720) and n == 16)
        or (two in (34, 37) and n == 15)
        or ((300 <= three <= 305 or four == 3095 or two in (36, 38, 39)) and 14 <= n <= 19)
        or (3528 <= four <= 3589 and 15 <= n <= 19)
        or (four in (1800, 2131) and n == 15)
        or ((two == 50 or 56 <= two <= 69) and 12 <= n <= 19)
        or (2200 <= four <= 2204 and 16 <= n <= 19)
        or (four == 9792 and n == 16)
    )


def _old_luhn(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    doubled = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)
    values = [int(d) for d in reversed(digits)]
    return 12 <= len(digits) <= 19 and (sum(values[::2]) + sum(doubled[d] for d in values[1::2])) % 10 == 0


def _old_iban(text: str) -> bool:
    code = text.replace(" ", "").upper()
    expected = IBAN_LENGTHS.get(code[:2])
    if (expected and len(code) != expected) or not 15 <= len(code) <= 34:
        return False
    rearranged = code[4:] + code[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def _old_us_ssn(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    if len(digits) != 9 or len(set(re.findall(r"\D", text))) > 1:
        return False
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    return area not in {"000", "666"} and area[0] != "9" and group != "00" and serial != "0000"


def _old_ip(text: str, v6_only: bool = False) -> bool:
    if v6_only and text.count(":") < 2:
        return False
    try:
        (ipaddress.IPv6Address if v6_only else ipaddress.ip_address)(text)
    except ValueError:
        return False
    return True


def _verdict(check: Callable[[str], bool], text: str) -> object:
    try:
        return check(text)
    except ValueError as error:
        return type(error)


def _shaped(rng: random.Random) -> str:
    """Cards, SSNs, IBANs, IPv4 and IPv6 addresses, times of day, valid or not, and noise."""
    digits = lambda n: "".join(rng.choice("0123456789") for _ in range(n))  # noqa: E731
    shape = rng.randrange(9)
    if shape == 0:
        return rng.choice(" -").join(digits(4) for _ in range(4))[: rng.randint(12, 19)]
    if shape == 1:
        return digits(rng.randint(11, 20)) if rng.random() < 0.5 else iban_code(rng)
    if shape == 2:
        return f"{digits(3)}{rng.choice(' -x')}{digits(2)}{rng.choice(' -')}{digits(4)}"
    if shape == 3:
        return rng.choice(["GB", "DE", "NO", "ZZ", "gb"]) + digits(2) + " ".join(digits(4) for _ in range(4))
    if shape == 4:
        octet = lambda: rng.choice([str(rng.randint(0, 300)), "0" + digits(rng.randint(1, 2)), digits(1)])  # noqa: E731
        return ".".join(octet() for _ in range(rng.choice([3, 4, 4, 5])))
    if shape == 5:
        groups = ["", "0", "ab", "ffff", "12345", "1.2.3.4", "a%eth0", "g", "db8"]
        return ":".join(rng.choice(groups) for _ in range(rng.randint(1, 10)))
    if shape == 6:
        return ":".join(digits(2) for _ in range(rng.randint(2, 4)))
    return "".join(rng.choice("0123456789 -.:/+ABCZaz٣ı٠_%") for _ in range(rng.randint(0, 24)))


def test_fast_validators_give_the_verdicts_they_replaced() -> None:
    from crossroads.privacy.detect import validators

    rng = random.Random(11)
    checks: list[tuple[Callable[[str], bool], Callable[[str], bool]]] = [
        (credit_card, _old_credit_card),
        (luhn, _old_luhn),
        (iban, _old_iban),
        (us_ssn, _old_us_ssn),
        (validators.ip_address, _old_ip),
        (validators.ipv6, lambda text: _old_ip(text, v6_only=True)),
    ]
    for _ in range(20_000):
        text = card(rng) if rng.random() < 0.1 else ssn(rng) if rng.random() < 0.1 else _shaped(rng)
        for check, old in checks:
            assert _verdict(check, text) == _verdict(old, text), (check.__name__, text)


def _old_row_findings(regex: str, flags: int, text: str, pos: int, endpos: int) -> list[tuple[int, int]]:
    group = 1 if "(" in regex.replace("(?", "") else 0  # the password's value; all of an address or a card
    return [m.span(group) for m in re.compile(regex, flags).finditer(text, pos, endpos)]


OLD_PASSWORD = (
    r"\b(?:[a-z0-9]+_)*(?:password|passwd|pwd|pass|secret|token|api_?key)\b"
    + r"[\"']?\s*[:=]\s*[\"']?"
    + r"([^\s\"',;`]{4,200})"
)
OLD_IPV6 = r"(?:[0-9A-Fa-f]{1,4}:|:){2,7}(?::|[0-9A-Fa-f]{1,4})(?![\w:])"
OLD_CARD = r"(?=[\d .-]{12})(?:\d[ .-]?){11,18}\d(?![\d-])"


def _assignments(rng: random.Random) -> str:
    """Key words inside identifiers and words, key-value shapes, Unicode look-alikes (ſ, Kelvin sign) and noise."""
    words = ["password", "PASSWD", "pwd", "pass", "Secret", "token", "api_key", "apikey", "paſs", "api_\u212aey"]
    prefixes = ["", "db_", "my_db_", "x", "_", "__", "9_", "é_", "a-", "ü", "pass_", "secret_token_"]
    pieces = []
    for _ in range(rng.randint(1, 6)):
        pieces.append(rng.choice(prefixes) + rng.choice(words) + rng.choice(["", "s", "_x", "word"]))
        pieces.append(rng.choice(["=", ": ", " = '", '":"', " is ", "="]))
        pieces.append("".join(rng.choice("aZ9_=:-é' ,xyz") for _ in range(rng.randint(0, 12))))
        pieces.append(rng.choice([" ", "\n", ", ", "", "_", "é"]))
    return "".join(pieces)


def _digit_runs(rng: random.Random) -> str:
    if rng.random() < 0.5:  # stretches of digits 1 to 30 long (IBAN-like runs), separated
        stretches = ["".join(rng.choice("0123456789") for _ in range(rng.randint(1, 30))) for _ in range(4)]
        return "".join(stretch + rng.choice([" ", "-", "", "x", ".", "  "]) for stretch in stretches)
    return "".join(rng.choice("0123456789 --  x٣") for _ in range(rng.randint(0, 50)))


REWRITTEN = {
    "password_assignment": (OLD_PASSWORD, _assignments),
    "ipv6": (OLD_IPV6, lambda rng: _shaped(rng) + " " + _shaped(rng)),
    "credit_card": (OLD_CARD, _digit_runs),
}


@pytest.mark.parametrize("name", sorted(REWRITTEN))
def test_rewritten_rows_find_what_the_old_regexes_found(name: str) -> None:
    from crossroads.privacy.detect import rows as detect
    from crossroads.privacy.detect.patterns import BUILTIN

    pattern = next(p for p in BUILTIN if p.name == name)
    row = detect.compile_pattern(dataclasses.replace(pattern, validator="none", not_after=""))
    old, texts = REWRITTEN[name]
    rng = random.Random(5)
    for _ in range(4000):
        text = texts(rng)
        pos = rng.choice([0, rng.randint(0, len(text))])
        endpos = rng.choice([len(text), rng.randint(pos, len(text))])
        for regex in (row.regex, row.ascii_regex) if text.isascii() else (row.regex,):
            found: list[Span] = []
            detect._matches(row, regex, text, [(pos, endpos, 10**6)], found)
            assert [(s.start, s.end) for s in found] == _old_row_findings(old, regex.flags, text, pos, endpos), text


def test_windows_merge_as_before() -> None:
    """Windows around anchor matches: clipped to the text, merged where they overlap or touch, each with its
    longest match (the merge the windows had before it was written as one pass)."""
    from crossroads.privacy.detect.patterns import ANCHORS, BUILTIN
    from crossroads.privacy.detect.rows import RegexDetector

    def reference(found: list[tuple[int, int]], left: int, right: int, size: int) -> list[tuple[int, int, int]]:
        merged: list[tuple[int, int, int]] = []
        for first, until in found:
            start, end = max(0, first - left), min(size, until + right)
            if merged and start <= merged[-1][1]:
                last = merged[-1]
                merged[-1] = (last[0], max(end, last[1]), max(until - first, last[2]))
            else:
                merged.append((start, end, until - first))
        return merged

    detector = RegexDetector(BUILTIN, gate=False)
    rng = random.Random(2)
    for _ in range(3000):
        text = "x" * rng.randint(0, 120)
        starts = sorted(rng.randint(0, len(text)) for _ in range(rng.randint(0, 6)))
        found = [(at, min(len(text), at + rng.randint(0, 15))) for at in starts]
        for name, anchor in ANCHORS.items():
            windows = detector._windows(name, text, text, True, found)
            assert windows == reference(found, anchor.left, anchor.right, len(text)), (name, found, len(text))


def test_remembered_verdicts_are_kept_by_digest_and_can_be_forgotten() -> None:
    from crossroads.privacy.detect import validators

    calls: list[str] = []

    def check(text: str) -> bool:
        calls.append(text)
        return text.startswith("4")

    cached = validators.remembered(check)
    assert cached("4111") and cached("4111") and not cached("5111")
    assert calls == ["4111", "5111"]
    validators.forget()
    assert cached("4111") and calls == ["4111", "5111", "4111"]


def test_ipv6_text_check_is_ipaddress() -> None:
    """Hex digits and colons are checked without ``ipaddress``; the verdict is its verdict, on every arrangement of
    short and long groups, empty groups (``::``, ``:::``), leading and trailing colons, 1 to 10 groups."""
    from crossroads.privacy.detect import validators

    rng = random.Random(5)
    groups = ["", "", "0", "a", "ab", "fFf", "ffff", "12345", "0000", "db8", "g"]
    valid = 0
    for _ in range(100_000):
        text = ":".join(rng.choice(groups) for _ in range(rng.randint(1, 10)))
        try:
            ipaddress.IPv6Address(text)
            expected = True
        except ValueError:
            expected = False
        assert validators._ipv6(text) == expected, text
        valid += expected
    assert valid > 5_000  # valid ones and invalid ones, both


@pytest.mark.parametrize("gate", [True, False])
def test_key_words_after_letters_that_lower_case_longer_are_found(gate: bool) -> None:
    """ "İ" lower-cases to two characters: positions in the lower-cased text are not the text's. Key words are
    found in the text itself, so a hundred of them before an assignment hide nothing."""
    from crossroads.privacy.detect.patterns import BUILTIN
    from crossroads.privacy.detect.rows import RegexDetector

    detector = RegexDetector(BUILTIN, gate=gate)
    text = "İstanbul " * 100 + "config: password=Sup3rS3cret99 and API_KEY: abcdEFGH1234xyz"
    found = [text[s.start : s.end] for s in detector.detect(text) if s.entity_type == "PASSWORD"]
    assert found == ["Sup3rS3cret99", "abcdEFGH1234xyz"]


def test_context_words_after_letters_that_lower_case_longer_still_count() -> None:
    detector = CustomDetector(entity_type="PROJECT_CODE", pattern=r"PRJ-\d{4}", context=["project"], score=0.8)
    analyzer = Analyzer(PrivacyConfig(detectors=[detector]))
    for before in ("", "İ" * 100 + " "):
        (span,) = [s for s in analyzer.scan_fast(before + "the project PRJ-1234") if s.entity_type == "PROJECT_CODE"]
        assert span.score == 0.8, before[:3]
    # no context word in the 60 characters before it: half the score, under the minimum (0.5)
    assert analyzer.scan_fast("project " + "x" * 80 + " PRJ-1234") == []
