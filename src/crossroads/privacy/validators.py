"""Validators: a candidate a pattern found is reported only if its validator accepts it.

Each takes the matched text and returns True to keep it. ``VALIDATORS`` names them for the detector
table and for user-defined detectors in config (``validator: luhn``). Verdicts are remembered: a
conversation repeats its values (a chat client resends the history with every request). What is
remembered is a keyed digest of each value and the verdict, never the value: the process holds no copy
of a card number or a token after its request.
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

Validator = Callable[[str], bool]

_NON_DIGIT = re.compile(r"\D")
REMEMBERED = 4096  # verdicts kept per validator


@functools.cache
def _digest_key() -> bytes:
    return secrets.token_bytes(16)  # per process: digests mean nothing outside it


def remembered(check: Validator) -> Validator:
    """``check`` with its last ``REMEMBERED`` verdicts kept by a keyed BLAKE2 digest of the value."""
    verdicts: OrderedDict[bytes, bool] = OrderedDict()
    lock = threading.Lock()

    @functools.wraps(check)
    def cached(text: str) -> bool:
        digest = hashlib.blake2b(text.encode(errors="surrogatepass"), digest_size=16, key=_digest_key()).digest()
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


# IBAN lengths by country (ISO 13616 registry, the common ones); others need 15..34 characters
_IBAN_LENGTHS = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "EE": 20,
    "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GR": 27, "HR": 21, "HU": 28, "IE": 22, "IS": 26, "IT": 27,
    "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31, "NL": 18, "NO": 15, "PL": 28, "PT": 25,
    "RO": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TR": 26, "AE": 23, "SA": 24, "IL": 23, "BR": 29,
}  # fmt: skip


_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)  # a digit doubled, its digits summed (Luhn)


def luhn(text: str) -> bool:
    digits = _NON_DIGIT.sub("", text)
    if not 12 <= len(digits) <= 19:
        return False
    values = [int(d) for d in reversed(digits)]
    return (sum(values[::2]) + sum(_DOUBLED[d] for d in values[1::2])) % 10 == 0


@remembered
def credit_card(text: str) -> bool:
    """Luhn, a card network's first digit, and separators (if any) used consistently."""
    digits = _NON_DIGIT.sub("", text)
    return 13 <= len(digits) <= 19 and digits[0] in "23456" and not ("-" in text and " " in text) and luhn(digits)


@remembered
def iban(text: str) -> bool:
    code = text.replace(" ", "").upper()
    expected = _IBAN_LENGTHS.get(code[:2])
    if (expected and len(code) != expected) or not 15 <= len(code) <= 34:
        return False
    rearranged = code[4:] + code[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


@remembered
def us_ssn(text: str) -> bool:
    """Valid area (not 000, 666, 900-999), group (not 00) and serial (not 0000); one kind of separator."""
    digits = _NON_DIGIT.sub("", text)
    if len(digits) != 9 or len(set(re.findall(r"\D", text))) > 1:
        return False
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    return area not in {"000", "666"} and area[0] != "9" and group != "00" and serial != "0000"


@remembered
def ip_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


@remembered
def ipv6(text: str) -> bool:
    """``ip_address`` with two colons at least (text with a colon parses as IPv6 or not at all)."""
    if text.count(":") < 2:
        return False
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
        if phonenumbers.is_valid_number(number):
            return True
    return False


@remembered
def jwt(text: str) -> bool:
    """The header decodes to a JSON object naming an ``alg``."""
    header = text.split(".", 1)[0]
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
