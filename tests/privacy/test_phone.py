"""The phone validator's fast validity check gives libphonenumber's verdict, number by number: on numbers in every
shape the phone rows match (international for every country code, US and UK national), valid and not."""

from __future__ import annotations

import random

import phonenumbers
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE

from crossroads.privacy.validators import _valid_number, phone_number

SEPARATORS = ["", " ", "-", "."]


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _grouped(rng: random.Random, digits: str) -> str:
    out, at = [], 0
    while at < len(digits):
        size = rng.randint(1, 4)
        out.append(digits[at : at + size])
        at += size
    return rng.choice(SEPARATORS).join(out)


def numbers(n: int, seed: int) -> list[str]:
    """Texts the phone rows find: +CC and 4 to 14 digits (every country code, and codes no country has), US
    (415) 555-0132 / 415.555.0132, UK 020 7946 0958; digits drawn at random, so most are not valid numbers,
    and prefixes taken from valid examples, so many are."""
    rng = random.Random(seed)
    codes = sorted(COUNTRY_CODE_TO_REGION_CODE)
    examples = []
    for code in codes:
        for region in COUNTRY_CODE_TO_REGION_CODE[code]:
            example = phonenumbers.example_number(region)
            if example is not None:
                examples.append((code, str(example.national_number)))
    out = []
    for _ in range(n):
        shape = rng.randrange(6)
        if shape == 0:
            code = rng.choice([*codes, rng.randint(1, 999)])
            out.append(f"+{code} " + _grouped(rng, _digits(rng, rng.randint(4, 14))))
        elif shape == 1:  # a valid example with its last digits changed, or its length
            code, national = rng.choice(examples)
            keep = rng.randint(max(1, len(national) - 6), len(national))
            national = national[:keep] + _digits(rng, len(national) - keep + rng.choice([-1, 0, 0, 0, 1]))
            out.append(f"+{code} " + _grouped(rng, national))
        elif shape == 2:
            area = rng.choice([_digits(rng, 3), "212", "415", "800", "900", "011", "044", "020"])
            sep = rng.choice([" ", "-", "."])
            out.append(rng.choice([f"({area}) ", f"{area}{sep}"]) + f"{_digits(rng, 3)}{sep}{_digits(rng, 4)}")
        elif shape == 3:
            out.append(f"0{rng.randint(1, 9)}{_digits(rng, rng.randint(1, 3))} {_digits(rng, 3)} {_digits(rng, 4)}")
        elif shape == 4:
            out.append(f"+44 {rng.choice(['20', '7', '113', '1632', '800'])} " + _grouped(rng, _digits(rng, 7)))
        else:
            out.append(f"+1 ({rng.randint(200, 999)}) {_digits(rng, 3)}-{_digits(rng, 4)}")
    return out


def _libphonenumber(text: str) -> bool:
    for region in [None] if text.lstrip().startswith("+") else ["US", "GB"]:
        try:
            if phonenumbers.is_valid_number(phonenumbers.parse(text, region)):
                return True
        except phonenumbers.NumberParseException:
            continue
    return False


def test_fast_validity_is_libphonenumbers() -> None:
    texts = numbers(20_000, seed=3)
    verdicts = [_libphonenumber(text) for text in texts]
    assert 0.1 < sum(verdicts) / len(verdicts) < 0.9  # valid ones and invalid ones, both
    for text, verdict in zip(texts, verdicts, strict=True):
        for region in [None] if text.startswith("+") else ["US", "GB"]:
            try:
                number = phonenumbers.parse(text, region)
            except phonenumbers.NumberParseException:
                continue
            assert _valid_number(number) == phonenumbers.is_valid_number(number), (text, region)
        assert phone_number(text) == verdict, text
