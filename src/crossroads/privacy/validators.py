"""Validators: a candidate a pattern found is reported only if its validator accepts it.

Each takes the matched text and returns True to keep it. ``VALIDATORS`` names them for the detector
table and for user-defined detectors in config (``validator: luhn``). Verdicts that cost more than a look-up
(phone numbers, IPv6 addresses, JWT headers) are remembered: a conversation repeats its values (a chat client
resends the history with every request). What is remembered is a keyed digest of each value and the
verdict, never the value: the process holds no copy of a phone number or a token after its request.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import ipaddress
import json
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from phonenumbers import PhoneNumber

Validator = Callable[[str], bool]

_NON_DIGIT = re.compile(r"\D")
REMEMBERED = 4096  # verdicts kept per validator


_FORGET: list[Callable[[], None]] = []  # how to clear each validator's remembered verdicts


@functools.cache
def _keyed() -> Any:
    """A BLAKE2 hasher keyed per process (digests mean nothing outside it), copied for each value."""
    return hashlib.blake2b(digest_size=16, key=secrets.token_bytes(16))


def remembered(check: Validator) -> Validator:
    """``check`` with its last ``REMEMBERED`` verdicts kept by a keyed BLAKE2 digest of the value."""
    verdicts: OrderedDict[bytes, bool] = OrderedDict()
    lock = threading.Lock()
    _FORGET.append(verdicts.clear)

    @functools.wraps(check)
    def cached(text: str) -> bool:
        hasher = _keyed().copy()
        hasher.update(text.encode(errors="surrogatepass"))
        digest = hasher.digest()
        with lock:
            verdict = verdicts.get(digest)
            if verdict is not None:
                verdicts.move_to_end(digest)
                return verdict
        verdict = check(text)
        with lock:
            verdicts[digest] = verdict
            if len(verdicts) > REMEMBERED:
                verdicts.popitem(last=False)
        return verdict

    return cached


def forget() -> None:
    """Clear every remembered verdict (benchmarks measuring values never seen)."""
    for clear in _FORGET:
        clear()


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


def credit_card(text: str) -> bool:
    """Luhn, a card network's first digit, and separators (if any) used consistently. (Not remembered:
    cheaper than remembering.)"""
    digits = text.replace(" ", "").replace("-", "")  # what the card row matches: digits, spaces, hyphens
    if not (digits.isascii() and digits.isdigit()):
        digits = _NON_DIGIT.sub("", text)
    return (
        13 <= len(digits) <= 19 and digits[0] in "23456" and not ("-" in text and " " in text) and _luhn_digits(digits)
    )


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
    """An IPv4 or IPv6 address as ``ipaddress`` reads it. (IPv4 is not remembered: cheaper than remembering.)"""
    if ":" not in text:  # IPv4 or nothing (IPv6 needs colons): four octets, written as ipaddress wants them
        octets = text.split(".")
        return len(octets) == 4 and all(octet in _OCTETS for octet in octets)
    return _ip_address(text)


@remembered
def _ip_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def ipv6(text: str) -> bool:
    """``ip_address`` with two colons at least (text with a colon parses as IPv6 or not at all). Times of day
    (10:22:33) are turned down without parsing: without ``::``, an address has eight groups (seven colons) unless
    it ends in dotted IPv4 or names a zone (``%eth0``)."""
    colons = text.count(":")
    if colons < 2 or (colons != 7 and "::" not in text and "." not in text and "%" not in text):
        return False
    return _ipv6(text)


@remembered
def _ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


@remembered
def phone_number(text: str) -> bool:
    """A number libphonenumber calls valid: international as written, national as US or GB."""
    import phonenumbers  # imported on first use: its metadata load is not free

    regions = [None] if text.lstrip().startswith("+") else ["US", "GB"]
    for region in regions:
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            continue
        if _valid_number(number):
            return True
    return False


# libphonenumber's is_valid_number with its patterns compiled once, not looked up in its regex cache at each of
# the dozens of tests a number takes (its region among those sharing a country code, then its type): the same
# steps, the same verdict (tests/privacy/test_phone.py compares them), ~9x faster (~3 µs a number).

_Desc = tuple[frozenset[int], re.Pattern[str]]  # possible lengths (none: any), the national number pattern


def _valid_number(number: PhoneNumber) -> bool:
    """``phonenumbers.is_valid_number(number)``."""
    from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, national_significant_number

    code = number.country_code
    regions = COUNTRY_CODE_TO_REGION_CODE.get(code) if code is not None else None
    if regions is None:
        return False
    nsn = national_significant_number(number)
    region = regions[0] if len(regions) == 1 else _region_among(regions, nsn)
    if region is None:
        return False
    kinds = _kinds(code, region)
    return kinds is not None and _known_kind(kinds, nsn)


def _region_among(regions: tuple[str, ...], nsn: str) -> str | None:
    """The first region whose leading digits start ``nsn`` or, for a region without any, where its type is known
    (libphonenumber's ``_region_code_for_number_from_list``)."""
    for region in regions:
        found = _leading_digits(region)
        if found is None:
            continue
        leading, kinds = found
        if (leading.match(nsn) is not None) if leading is not None else _known_kind(kinds, nsn):
            return region
    return None


def _known_kind(kinds: tuple[_Desc, tuple[_Desc, ...]], nsn: str) -> bool:
    """The number fits the region's general pattern and one of its types (``_number_type_helper`` != UNKNOWN)."""
    general, types = kinds
    return _fits(general, nsn) and any(_fits(desc, nsn) for desc in types)


def _fits(desc: _Desc, nsn: str) -> bool:
    lengths, pattern = desc
    return (not lengths or len(nsn) in lengths) and pattern.fullmatch(nsn) is not None


@functools.cache
def _leading_digits(region: str) -> tuple[re.Pattern[str] | None, tuple[_Desc, tuple[_Desc, ...]]] | None:
    """A region's leading-digits pattern and its patterns; None for a region without metadata."""
    from phonenumbers import PhoneMetadata

    metadata = PhoneMetadata.metadata_for_region(region.upper(), None)
    if metadata is None:
        return None
    leading = re.compile(metadata.leading_digits) if metadata.leading_digits is not None else None
    return leading, _descs(metadata)


@functools.cache
def _kinds(country_code: int, region: str) -> tuple[_Desc, tuple[_Desc, ...]] | None:
    """The patterns ``is_valid_number_for_region`` tests a number of ``region`` with; None when it says no to
    every number (no metadata, or the region has another country code)."""
    from phonenumbers import REGION_CODE_FOR_NON_GEO_ENTITY, PhoneMetadata

    metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, region.upper())
    if metadata is None:
        return None
    if region != REGION_CODE_FOR_NON_GEO_ENTITY:
        home = PhoneMetadata.metadata_for_region(region.upper(), None)
        if home is None or home.country_code != country_code:
            return None
    return _descs(metadata)


_NEVER: _Desc = (frozenset({-1}), re.compile("(?!)"))  # a description missing or without a pattern: no match


def _descs(metadata: Any) -> tuple[_Desc, tuple[_Desc, ...]]:
    """The general description, and those of the types a number may have (mobile only when its pattern differs
    from fixed lines')."""

    def desc(number_desc: Any) -> _Desc:
        if number_desc is None or not number_desc.national_number_pattern:
            return _NEVER
        return frozenset(number_desc.possible_length), re.compile(number_desc.national_number_pattern)

    m = metadata
    types = [m.premium_rate, m.toll_free, m.shared_cost, m.voip, m.personal_number, m.pager, m.uan, m.voicemail]
    types += [m.fixed_line] if m.same_mobile_and_fixed_line_pattern else [m.fixed_line, m.mobile]
    return desc(m.general_desc), tuple(d for d in map(desc, types) if d is not _NEVER)


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
    "jwt": jwt,
    "secret_value": secret_value,
    "none": always,
}
