"""A labeled evaluation corpus: realistic prompts (tickets, emails, code with keys, logs) with known spans.

    for sample in generate(n=500, seed=7): sample.text, sample.spans  # [(entity_type, start, end)]

Every value is generated valid (Luhn, mod-97, valid SSN areas, numbers libphonenumber accepts), so a
label is true by construction. Hard negatives (order numbers, versions, ISBNs, timestamps, hashes,
UUIDs) appear in the same texts unlabeled.
"""

from __future__ import annotations

import base64
import json
import random
import re
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from crossroads.privacy.detect.validators import iban, luhn, phone_number
from tests.support import pii_corpus_data as data
from tests.support.pii_corpus_data import TEMPLATES

Gen = Callable[[random.Random], str]


@dataclass
class Sample:
    text: str = ""
    spans: list[tuple[str, int, int]] = field(default_factory=list)

    def add(self, piece: str, entity: str | None = None) -> None:
        if entity:
            self.spans.append((entity, len(self.text), len(self.text) + len(piece)))
        self.text += piece


def _chars(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def person(rng: random.Random) -> str:
    return f"{rng.choice(data.FIRST)} {rng.choice(data.LAST)}"


def email(rng: random.Random) -> str:
    first, last = rng.choice(data.FIRST).lower(), rng.choice(data.LAST).lower()
    user = rng.choice([first + "." + last, first[0] + last, first + str(rng.randint(1, 99))])
    return f"{user}@{rng.choice(data.DOMAINS)}"


def card(rng: random.Random) -> str:
    while True:
        prefix, length = rng.choice([("4", 16), ("51", 16), ("55", 16), ("6011", 16), ("37", 15)])
        digits = prefix + _chars(rng, string.digits, length - len(prefix))
        if luhn(digits):
            break
    sep = rng.choice([" ", "-", ""])
    groups = [digits[:4], digits[4:10], digits[10:]] if length == 15 else [digits[i : i + 4] for i in range(0, 16, 4)]
    return sep.join(groups)


def iban_code(rng: random.Random) -> str:
    country, body_len = rng.choice([("DE", 18), ("GB", 18), ("FR", 23), ("NL", 14), ("ES", 20)])
    while True:
        body = _chars(rng, string.ascii_uppercase, 4) if country in {"GB", "NL"} else ""
        body += _chars(rng, string.digits, body_len - len(body))
        check = 98 - int("".join(str(int(c, 36)) for c in body + country + "00")) % 97
        code = f"{country}{check:02d}{body}"
        if iban(code):
            return " ".join(code[i : i + 4] for i in range(0, len(code), 4)) if rng.random() < 0.5 else code


def ssn(rng: random.Random) -> str:
    area = rng.choice([a for a in range(1, 900) if a != 666])
    return f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


def phone(rng: random.Random) -> str:
    while True:
        kind = rng.randrange(3)
        if kind == 0:
            number = (
                f"({rng.choice([212, 415, 312, 617, 206, 303])}) {rng.randint(200, 999)}-{rng.randint(0, 9999):04d}"
            )
        elif kind == 1:
            number = f"+44 20 {rng.randint(7000, 8999)} {rng.randint(0, 9999):04d}"
        else:
            number = f"+49 30 {rng.randint(100000, 999999)}{rng.randint(10, 99)}"
        if phone_number(number):
            return number


def ip(rng: random.Random) -> str:
    if rng.random() < 0.7:
        return ".".join(str(rng.randint(1, 254)) for _ in range(4))
    return "2001:db8:" + ":".join(f"{rng.randint(0, 65535):x}" for _ in range(3)) + "::" + f"{rng.randint(1, 4095):x}"


def jwt(rng: random.Random) -> str:
    def part(obj: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    sub = _chars(rng, string.digits, 8)
    signature = _chars(rng, string.ascii_letters + string.digits + "-_", 43)
    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part({'sub': sub, 'iat': 1700000000})}.{signature}"


def pem(rng: random.Random) -> str:
    lines = [_chars(rng, string.ascii_letters + string.digits + "+/", 64) for _ in range(4)]
    return "-----BEGIN PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END PRIVATE KEY-----"


ALNUM = string.ascii_letters + string.digits
API_KEYS: list[Gen] = [
    lambda r: "AKIA" + _chars(r, string.ascii_uppercase + string.digits, 16),
    lambda r: "ghp_" + _chars(r, ALNUM, 36),
    lambda r: "glpat-" + _chars(r, ALNUM + "_-", 20),
    lambda r: "xoxb-" + _chars(r, string.digits, 12) + "-" + _chars(r, ALNUM, 24),
    lambda r: "sk-proj-" + _chars(r, ALNUM + "_-", 48),
    lambda r: "sk-ant-api03-" + _chars(r, ALNUM + "_-", 93),
    lambda r: "AIza" + _chars(r, ALNUM + "_-", 35),
    lambda r: "sk_live_" + _chars(r, ALNUM, 32),
]
GENERATORS: dict[str, Gen] = {
    "PERSON": person,
    "LOCATION": lambda r: r.choice(data.CITIES + data.COUNTRIES),
    "ORGANIZATION": lambda r: r.choice(data.ORGS),
    "EMAIL_ADDRESS": email,
    "CREDIT_CARD": card,
    "IBAN_CODE": iban_code,
    "US_SSN": ssn,
    "PHONE_NUMBER": phone,
    "IP_ADDRESS": ip,
    "URL": lambda r: f"https://docs.{r.choice(data.DOMAINS)}/{r.choice(['guide', 'api', 'faq'])}/{r.randint(1, 99)}",
    "SECRET_API_KEY": lambda r: r.choice(API_KEYS)(r),
    "JWT": jwt,
    "PRIVATE_KEY": pem,
    "PASSWORD": lambda r: _chars(r, ALNUM, r.randint(4, 8)) + r.choice("!#%&*") + str(r.randint(10, 99)),
    "URL_CREDENTIALS": lambda r: f"{r.choice(['admin', 'app', 'svc_etl'])}:{_chars(r, ALNUM, 12)}",
    "AWS_SECRET": lambda r: _chars(r, ALNUM + "/+", 40),
}
GENERATORS.update(
    AWS_KEY_ID=API_KEYS[0],
    DATE=lambda r: r.choice(
        [f"March {r.randint(1, 28)}, {r.randint(1960, 2025)}", f"{r.randint(1, 28)} May {r.randint(1960, 2005)}"]
    ),
)
LABELS = {"AWS_SECRET": "SECRET_API_KEY", "AWS_KEY_ID": "SECRET_API_KEY"}
UNLABELED: dict[str, Gen] = {
    "DATE": GENERATORS["DATE"],  # DATE_TIME is opt-in and not scored: the corpus uses timestamps as hard negatives
    "NEG": lambda r: r.choice(data.NEGATIVES),
    "FILLER": lambda r: r.choice(data.FILLER),
    "TOPIC": lambda r: r.choice(data.TOPICS),
}
_SLOT = re.compile(r"\{([A-Z_]+)\}")


def fill(template: str, rng: random.Random, sample: Sample | None = None) -> Sample:
    sample = sample or Sample()
    last = 0
    for match in _SLOT.finditer(template):
        sample.add(template[last : match.start()])
        name = match[1]
        if name in UNLABELED:
            sample.add(UNLABELED[name](rng))
        else:
            sample.add(GENERATORS[name](rng), LABELS.get(name, name))
        last = match.end()
    sample.add(template[last:])
    return sample


def generate(n: int, seed: int = 7) -> Iterator[Sample]:
    """``n`` short labeled texts, each one template."""
    rng = random.Random(seed)
    for _ in range(n):
        yield fill(rng.choice(TEMPLATES), rng)


def prompts(n: int, seed: int = 7, min_chars: int = 1024, max_chars: int = 2048) -> Iterator[Sample]:
    """``n`` labeled prompts of ``min_chars``..``max_chars`` characters, several templates each."""
    rng = random.Random(seed)
    for _ in range(n):
        sample = Sample()
        while len(sample.text) < min_chars:
            before = Sample(sample.text, list(sample.spans))
            fill(rng.choice(TEMPLATES), rng, sample)
            if len(sample.text) > max_chars and len(before.text) >= min_chars // 2:
                sample = before
                break
        yield sample
