"""Validators: a candidate a pattern found is reported only if its validator accepts it.

Each takes the matched text and returns True to keep it. ``VALIDATORS`` names them for the detector
table and for user-defined detectors in config (``validator: luhn``). Verdicts that cost more than a look-up
(phone numbers, JWT headers, IPv6 addresses that need ``ipaddress``'s parse) are remembered: a conversation
repeats its values (a chat client resends the history with every request). What is remembered is a keyed digest
of each value and the verdict, never the value: the process holds no copy of a phone number or a token after its
request.
"""

from __future__ import annotations

import base64
import binascii
import functools
import ipaddress
import json
import re

from crossroads.privacy.detect.memo import Validator, forget, remembered
from crossroads.privacy.detect.phone import phone_number

__all__ = ["VALIDATORS", "Validator", "forget", "phone_number", "remembered"]

_NON_DIGIT = re.compile(r"\D")
# IBAN lengths by country (ISO 13616 registry, the common ones); others need 15..34 characters
_IBAN_LENGTHS = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "EE": 20,
    "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GR": 27, "HR": 21, "HU": 28, "IE": 22, "IS": 26, "IT": 27,
    "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31, "NL": 18, "NO": 15, "PL": 28, "PT": 25,
    "RO": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TR": 26, "AE": 23, "SA": 24, "IL": 23, "BR": 29,
}  # fmt: skip


_LETTER_NUMBERS = {ord(c): str(int(c, 36)) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"}

_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)  # a digit doubled, its digits summed (Luhn)
_DOUBLED_DIGITS = str.maketrans("0123456789", "".join(map(str, _DOUBLED)))
_ZERO = ord("0")


def luhn(text: str) -> bool:
    digits = _NON_DIGIT.sub("", text)
    return 12 <= len(digits) <= 19 and _luhn_digits(digits)


def _luhn_digits(digits: str) -> bool:
    if digits.isascii():  # the digit sums as byte sums: no int per digit
        backwards = digits[::-1]
        doubled = backwards[1::2].translate(_DOUBLED_DIGITS)
        return (sum(backwards[::2].encode()) + sum(doubled.encode()) - _ZERO * len(digits)) % 10 == 0
    values = [int(d) for d in reversed(digits)]
    return (sum(values[::2]) + sum(_DOUBLED[d] for d in values[1::2])) % 10 == 0


# card networks: (lowest prefix, highest prefix, lengths), prefixes compared on as many leading digits as they have
_ISSUERS = (
    ("4", "4", (13, 16, 19)),  # Visa
    ("51", "55", (16,)), ("2221", "2720", (16,)),  # Mastercard
    ("34", "34", (15,)), ("37", "37", (15,)),  # American Express
    ("300", "305", (14, 15, 16, 17, 18, 19)), ("3095", "3095", (14, 15, 16, 17, 18, 19)),  # Diners Club
    ("36", "36", (14, 15, 16, 17, 18, 19)), ("38", "39", (14, 15, 16, 17, 18, 19)),
    ("3528", "3589", (15, 16, 17, 18, 19)), ("1800", "1800", (15,)), ("2131", "2131", (15,)),  # JCB
    ("50", "50", tuple(range(12, 20))), ("56", "69", tuple(range(12, 20))),  # Maestro, Discover, UnionPay, RuPay
    ("2200", "2204", (16, 17, 18, 19)),  # Mir
    ("9792", "9792", (16,)),  # Troy
)  # fmt: skip


def card_issuer(digits: str) -> bool:
    """A card network issues numbers with this prefix and length."""
    prefix = digits[:4] if digits[:4].isascii() else "".join(str(int(d)) for d in digits[:4])  # other scripts' digits
    return len(digits) in _issued_lengths().get(prefix, ())


@functools.cache
def _issued_lengths() -> dict[str, frozenset[int]]:
    """The card lengths issued under each 4-digit prefix (made on first use: a look-up per candidate)."""
    table: dict[str, frozenset[int]] = {}
    for number in range(10_000):
        prefix = f"{number:04d}"
        lengths = {n for low, high, issued in _ISSUERS if low <= prefix[: len(low)] <= high for n in issued}
        if lengths:
            table[prefix] = frozenset(lengths)
    return table


def credit_card(text: str) -> bool:
    """Luhn and a card network's prefix and length (12 to 19 digits), whatever the separators (mixed ones are an
    evasion, not a sign of another number). (Not remembered: cheaper than remembering.)"""
    digits = text.replace(" ", "").replace("-", "").replace(".", "")  # what the card row matches
    if not (digits.isascii() and digits.isdigit()):
        digits = _NON_DIGIT.sub("", text)
    return 12 <= len(digits) <= 19 and card_issuer(digits) and _luhn_digits(digits)


_DATE_SHAPES = re.compile(r"\d{4}([./-])\d{1,2}\1\d{1,2}|\d{1,2}([./-])\d{1,2}\2(?:\d{4}|\d{2})")
_GROUP = re.compile(r"\d+")


def phone_shape(text: str) -> bool:
    """Could be a phone number anywhere (the row asks for a word like "phone" or "call" before it): 7 to 15 digits
    before any extension, balanced parentheses, not a date or a dotted address, groups of at most 5 digits unless
    the whole is one run."""
    number = re.split(r" ?(?:x|ext\.?) ?(?=\d+$)", text)[0]
    groups = _GROUP.findall(number)
    digits = "".join(groups)
    if not 7 <= len(digits) <= 15 or number.count("(") != number.count(")") or len(set(digits)) < 3:
        return False
    if _DATE_SHAPES.fullmatch(number) or (number.count(".") == 3 and len(groups) == 4 and "+" not in number):
        return False
    return len(groups) == 1 or max(len(g) for g in groups) <= 5 or number.startswith("+")


_MONTH_DAYS = {"jan": 31, "feb": 29, "mar": 31, "apr": 30, "may": 31, "jun": 30, "jul": 31, "aug": 31, "sep": 30,
               "oct": 31, "nov": 30, "dec": 31}  # fmt: skip
_MONTH_NAMES = re.compile(r"[a-z]+", re.I)


def date(text: str) -> bool:
    """A calendar date: numbers as day, month and year in any usual order, or a month's name (3 letters or more of
    it) with a day and a year; years 1880 to 2099 (two digits: any)."""
    words = [w.lower() for w in _MONTH_NAMES.findall(text) if w.lower() not in {"st", "nd", "rd", "th", "of"}]
    numbers = [int(n) for n in _GROUP.findall(text)]
    if words:
        month = next((m for m in _MONTH_DAYS if words[0].startswith(m) and words[0] in _month_forms(m)), None)
        return month is not None and len(numbers) == 2 and 1 <= numbers[0] <= _MONTH_DAYS[month] and _year(numbers[1])
    if len(numbers) != 3:
        return False
    first, second, third = numbers
    if first > 31:  # year first
        return _year(first) and 1 <= second <= 12 and 1 <= third <= 31
    return _year(third) and ((1 <= first <= 31 and 1 <= second <= 12) or (1 <= first <= 12 and 1 <= second <= 31))


def _year(value: int) -> bool:
    return value < 100 or 1880 <= value <= 2099


def _month_forms(month: str) -> set[str]:
    names = {"jan": "january", "feb": "february", "mar": "march", "apr": "april", "may": "may", "jun": "june",
             "jul": "july", "aug": "august", "sep": "september", "oct": "october", "nov": "november",
             "dec": "december"}  # fmt: skip
    full = names[month]
    return {full[:n] for n in range(3, len(full) + 1)}


def iban(text: str) -> bool:
    """The length for its country and the ISO 7064 check digits. (Not remembered: cheaper than remembering.)"""
    code = text.replace(" ", "").upper()
    expected = _IBAN_LENGTHS.get(code[:2])
    if (expected and len(code) != expected) or not 15 <= len(code) <= 34:
        return False
    rearranged = code[4:] + code[:4]
    if rearranged.isascii() and rearranged.isalnum():  # letters as their numbers (A = 10) in one pass
        return int(rearranged.translate(_LETTER_NUMBERS)) % 97 == 1
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def us_ssn(text: str) -> bool:
    """Valid area (not 000, 666, 900-999), group (not 00) and serial (not 0000); one kind of separator. (Not
    remembered: cheaper than remembering.)"""
    if len(text) == 11 and text.isascii() and text[3] == text[6] and not text[3].isdigit():  # as the row finds it
        digits = text[:3] + text[4:6] + text[7:]
        if not digits.isdigit():
            return False
    else:
        digits = _NON_DIGIT.sub("", text)
        if len(digits) != 9 or len(set(re.findall(r"\D", text))) > 1:
            return False
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    return area not in {"000", "666"} and area[0] != "9" and group != "00" and serial != "0000"


_OCTETS = frozenset(str(n) for n in range(256))  # what ipaddress accepts: 0..255 without leading zeros


def ip_address(text: str) -> bool:
    """An IPv4 or IPv6 address as ``ipaddress`` reads it. (IPv4, and IPv6 written with hex digits and
    colons only, are not remembered: cheaper than remembering.)"""
    if ":" not in text:  # IPv4 or nothing (IPv6 needs colons): four octets, written as ipaddress wants them
        octets = text.split(".")
        return len(octets) == 4 and all(octet in _OCTETS for octet in octets)
    return _ipv6(text)  # a text with a colon is an IPv6 address or none


def ipv6(text: str) -> bool:
    """``ip_address`` with two colons at least (text with a colon parses as IPv6 or not at all). Times of day
    (10:22:33) are turned down without parsing: without ``::``, an address has eight groups (seven colons) unless
    it ends in dotted IPv4 or names a zone (``%eth0``)."""
    colons = text.count(":")
    if colons < 2 or (colons != 7 and "::" not in text and "." not in text and "%" not in text):
        return False
    return _ipv6(text)


def _ipv6(text: str) -> bool:
    """``ipaddress.IPv6Address(text)`` succeeds. Hex digits and colons (what the IPv6 row finds) are checked against
    the textual forms of RFC 4291 without ``ipaddress``'s parse, several times faster; anything else is parsed."""
    if _HEX_AND_COLONS.fullmatch(text) is not None:
        return _IPV6_TEXT.fullmatch(text) is not None
    return _parsed_ipv6(text)


@remembered
def _parsed_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


_HEX_AND_COLONS = re.compile(r"[0-9A-Fa-f:]+", re.ASCII)
# eight groups, or fewer with one "::" standing for one group at least (what ipaddress accepts, without a dotted
# IPv4 ending or a zone: tests/privacy/test_detectors.py compares the two)
_H = "[0-9A-Fa-f]{1,4}"
_IPV6_TEXT = re.compile(
    "|".join(
        [
            f"(?:{_H}:){{7}}{_H}",
            *(f"(?:{_H}:){{1,{before}}}(?::{_H}){{1,{7 - before}}}" for before in range(1, 7)),
            f"(?:{_H}:){{1,7}}:",
            f":(?::{_H}){{1,7}}",
            "::",
        ]
    ),
    re.ASCII,
)


def jwt(text: str) -> bool:
    """The header decodes to a JSON object naming an ``alg``. (Its verdict is remembered: tokens differ, their
    headers seldom do.)"""
    return _jwt_header(text.split(".", 1)[0])


@remembered
def _jwt_header(header: str) -> bool:
    try:
        data = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    except (ValueError, binascii.Error):
        return False
    return isinstance(data, dict) and "alg" in data


_NOT_SECRETS = re.compile(r"^(?:\$|\{\{|<|\*+$|x+$|os\.|process\.env|env\(|none$|null$|true$|false$|changeme$)", re.I)


def secret_value(text: str) -> bool:
    """An assigned value that looks like a real secret, not a reference or a placeholder."""
    if len(text) < 6 or _NOT_SECRETS.match(text):
        return False
    return not text.isalpha() or len(text) >= 10


def always(text: str) -> bool:
    return True


VALIDATORS: dict[str, Validator] = {
    "luhn": luhn,
    "credit_card": credit_card,
    "iban": iban,
    "us_ssn": us_ssn,
    "ip_address": ip_address,
    "ipv6": ipv6,
    "phone_number": phone_number,
    "phone_shape": phone_shape,
    "date": date,
    "jwt": jwt,
    "secret_value": secret_value,
    "none": always,
}
