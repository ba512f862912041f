"""The phone validator's fast parse and fast validity check give libphonenumber's verdict, number by number: on
numbers in every shape the phone rows match (international for every country code, US and UK national), valid and
not."""

from __future__ import annotations

import random

import phonenumbers
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE

from crossroads.privacy.detect import phone as validators
from crossroads.privacy.detect.phone import _valid_number, phone_number

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


def row_shapes(n: int, seed: int) -> list[str]:
    """Texts as the rows write them, where parse has choices to make: examples of every type in every region with
    digits changed (and a national prefix after the country code), codes no country has, US numbers whose area
    code starts with 0 or 1 or an international prefix (011, 00), UK numbers, +1 and +44 with a trunk prefix, and
    loose punctuation (leading parentheses)."""
    rng = random.Random(seed)
    codes = sorted(COUNTRY_CODE_TO_REGION_CODE)
    kinds = [getattr(phonenumbers.PhoneNumberType, kind) for kind in ("FIXED_LINE", "MOBILE", "TOLL_FREE", "VOIP")]
    examples = []
    for code in codes:
        for region in COUNTRY_CODE_TO_REGION_CODE[code]:
            for kind in kinds:
                if region == "001":
                    example = phonenumbers.example_number_for_non_geo_entity(code)
                else:
                    example = phonenumbers.example_number_for_type(region, kind)
                if example is not None:
                    examples.append((code, phonenumbers.national_significant_number(example)))

    def international(code: int | str, national: str) -> str:
        out, at = f"+{code}", 0
        while at < len(national) - 1:
            size = rng.randint(1, 4)
            group = national[at : min(at + size, len(national) - 1)]
            at += size
            out += rng.choice(SEPARATORS) + (f"({group})" if rng.random() < 0.15 else group)
        return out + national[-1]

    out = []
    for _ in range(n):
        shape = rng.randrange(6)
        if shape == 0:
            code, national = rng.choice(examples)
            keep = rng.randint(max(0, len(national) - 5), len(national))
            national = national[:keep] + _digits(rng, max(1, len(national) - keep + rng.choice([-2, -1, 0, 0, 1])))
            out.append(international(code, ("0" if rng.random() < 0.2 else "") + national))
        elif shape == 1:
            out.append(international(rng.choice([*codes, rng.randint(0, 999)]), _digits(rng, rng.randint(2, 15))))
        elif shape == 2:
            area = rng.choice(
                [_digits(rng, 3), "0" + _digits(rng, 2), "1" + _digits(rng, 2), "011", "001", "44" + _digits(rng, 1)]
            )
            sep = rng.choice([" ", "-", "."])
            out.append(rng.choice([f"({area}) ", f"{area}{sep}"]) + f"{_digits(rng, 3)}{sep}{_digits(rng, 4)}")
        elif shape == 3:
            digits = f"0{rng.randint(1, 9)}{_digits(rng, rng.randint(8, 10))}"
            head = rng.randint(3, 5)
            middle = max(3, min(4, len(digits) - head - 3))
            out.append(f"{digits[:head]} {digits[head : head + middle]} {digits[head + middle :]}")
        elif shape == 4:
            trunk = rng.choice(["", "0", "1"])
            out.append(f"+{rng.choice(['1 ', '44 ', '44 (0)', '1 ('])}{trunk}{_digits(rng, rng.randint(6, 11))}")
        else:
            body = "".join(rng.choice("01234567890123456789 .-()") for _ in range(rng.randint(3, 16)))
            out.append(rng.choice(["+", "", "(", "+("]) + body + rng.choice("0123456789"))
    return out


def test_fast_parse_is_libphonenumbers() -> None:
    """For each text in the simple shapes, the fast parse gives parse's country code and national significant
    number (or says not a number where parse raises), and the validator gives libphonenumber's verdict."""
    texts = row_shapes(20_000, seed=5)
    fast = 0
    for text in texts:
        simple = validators._SIMPLE_PHONE.fullmatch(text) is not None
        digits = text.translate(validators._PUNCTUATION)
        for region in [None] if text.startswith("+") else ["US", "GB"]:
            try:
                number = phonenumbers.parse(text, region)
                expected = (number.country_code, phonenumbers.national_significant_number(number))
            except phonenumbers.NumberParseException:
                expected = None
            if simple and len(digits) >= 3:
                fast += 1
                got = validators._international(digits) if region is None else validators._national(digits, region)
                assert got == expected, (text, region)
        assert validators.phone_number.__wrapped__(text) == _libphonenumber(text), text  # type: ignore[attr-defined]
    assert fast > 0.9 * len(texts)
