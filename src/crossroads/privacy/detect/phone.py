"""Phone numbers: valid as libphonenumber says, read quickly in the shapes the phone rows find.

International numbers as written, national ones as US or GB. Numbers written with digits, spaces, dots,
hyphens, parentheses and a leading + are parsed here following libphonenumber's own steps, and checked
against its metadata with patterns compiled once; anything else, or a step this module does not follow,
goes to libphonenumber's parse. Verdicts equal libphonenumber's (tests/privacy/test_phone.py compares them).
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Any, NamedTuple

from crossroads.privacy.detect.memo import remembered

if TYPE_CHECKING:
    from phonenumbers import PhoneNumber


@remembered
def phone_number(text: str) -> bool:
    """A number libphonenumber calls valid: international as written, national as US or GB. Numbers written as
    the phone rows find them (digits, spaces, dots, hyphens, parentheses, a leading +) are read by the fast
    parse below; anything else, or a step it does not follow, is read by libphonenumber's parse."""
    if len(text) <= _SIMPLE_LENGTH and _SIMPLE_PHONE.fullmatch(text) is not None:
        digits = text.translate(_PUNCTUATION)
        if len(digits) >= 3:
            try:
                return _fast_phone_number(digits, international=text[0] == "+")
            except _Unsure:
                pass
    return _parsed_phone_number(text)


def _parsed_phone_number(text: str) -> bool:
    """``phone_number`` with libphonenumber's own parse."""
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


# libphonenumber's parse for the numbers the phone rows find, with the region metadata it consults compiled once:
# the same steps in the same order (phonenumberutil.parse), ~6x faster (~2 µs). Why each step reduces to what is
# written here, for text that fullmatches _SIMPLE_PHONE (ASCII digits and " .()-", a + only in front, a digit
# last, 3 digits or more, 64 characters at most):
# - RFC 3966 (";phone-context=", ";isub="), a second number ("/ x"), alphabetic (vanity) numbers and extensions
#   ("ext", "x", "#", ";", ",", "~") all need a character the text does not have; the input is far below the
#   250-character limit;
# - the possible number starts at the + or the first digit (what precedes it is parentheses) and ends at the last
#   digit, and it is viable: a + then 3 or more digits with punctuation between them;
# - normalizing keeps the digits: ``digits`` is the text with its punctuation removed;
# - every exception parse raises (too short, invalid country code, no region, too long) is "not valid";
# - the national significant number the validity check reads is the national number as parse leaves it (the
#   italian leading zero and the count of leading zeros give its zeros back), which is why it is kept as digits.
# Whatever the metadata has that these steps do not expect (a transform rule without a group, a region without
# a general description or possible lengths, a national number that is not all digits) raises _Unsure.

_SIMPLE_PHONE = re.compile(r"\+?[0-9(][0-9 .()-]*[0-9]")
_SIMPLE_LENGTH = 64
_PUNCTUATION = str.maketrans("", "", "+ .()-")
_MIN_NSN, _MAX_NSN, _MAX_COUNTRY_CODE = 2, 17, 3  # libphonenumber's bounds


class _Unsure(Exception):
    """The fast parse met a case it does not follow: libphonenumber's parse decides."""


class _Plan(NamedTuple):
    """What parse reads in a region's metadata, compiled."""

    country_code: int
    international_prefix: re.Pattern[str] | None  # None: matches no number
    national_prefix: re.Pattern[str] | None  # national prefix for parsing; None: none
    transform: str | None  # national prefix transform rule
    general: re.Pattern[str] | None  # the general national number pattern; None: matches no number
    lengths: tuple[int, ...]  # the general description's possible lengths, as stored
    local_lengths: tuple[int, ...]


def _fast_phone_number(digits: str, *, international: bool) -> bool:
    """``phone_number`` for a number in the simple shapes, given its digits."""
    if international:
        parsed = _international(digits)
        return parsed is not None and _valid(*parsed)
    for region in ("US", "GB"):
        parsed = _national(digits, region)
        if parsed is not None and _valid(*parsed):
            return True
    return False


def _international(digits: str) -> tuple[int, str] | None:
    """parse(+digits, None): the country code and national significant number, or None where parse raises."""
    if len(digits) <= _MIN_NSN:  # too short after the +
        return None
    found = _country_code(digits)
    if found is None:  # invalid country code (the retry without the + has no region to fall back on)
        return None
    code, rest = found
    return _finished(code, rest, _plan_for_code(code))


def _national(digits: str, region: str) -> tuple[int, str] | None:
    """parse(digits, region) for a number written without +."""
    plan = _plan_for_region(region)
    idd = plan.international_prefix.match(digits) if plan.international_prefix is not None else None
    if idd is not None and digits[idd.end() : idd.end() + 1] != "0":  # an international prefix, then a country code
        rest = digits[idd.end() :]
        if len(rest) <= _MIN_NSN:
            return None
        found = _country_code(rest)
        if found is None:
            return None
        code, national = found
        return _finished(code, national, _plan_for_code(code))
    own = str(plan.country_code)
    if digits.startswith(own):  # the region's own country code, without +
        potential = _strip_national_prefix(digits[len(own) :], plan)
        if (not _general(digits, plan) and _general(potential, plan)) or _length(digits, plan) == _TOO_LONG:
            return _finished(plan.country_code, potential, _plan_for_code(plan.country_code))
    return _finished(plan.country_code, digits, plan)


def _country_code(digits: str) -> tuple[int, str] | None:
    """The first 1 to 3 digits that are a country calling code, and the rest (``_extract_country_code``)."""
    if not digits or digits[0] == "0":
        return None
    codes = _CODES or _calling_codes()
    for end in range(1, min(len(digits), _MAX_COUNTRY_CODE) + 1):
        code = codes.get(digits[:end])  # ASCII digits, the first not 0: written as str(int) writes them
        if code is not None:
            return code, digits[end:]
    return None


_CODES: dict[str, int] = {}  # country calling codes as written (filled on first use, not at import)


def _calling_codes() -> dict[str, int]:
    from phonenumbers import COUNTRY_CODE_TO_REGION_CODE

    _CODES.update((str(code), code) for code in COUNTRY_CODE_TO_REGION_CODE)
    return _CODES


def _finished(code: int, national: str, plan: _Plan) -> tuple[int, str] | None:
    """The end of parse: the national prefix (and carrier code) stripped when what remains has a possible length,
    then the length bounds."""
    if len(national) < _MIN_NSN:
        return None
    if plan.national_prefix is not None and plan.national_prefix.match(national) is not None:
        potential = _strip_national_prefix(national, plan)
        if _length(potential, plan) in (_POSSIBLE, _TOO_LONG):
            national = potential
    elif not plan.lengths and len(national) not in plan.local_lengths:
        raise _Unsure  # what ``_length`` of the number, kept as it is, says of a region without possible lengths
    if not _MIN_NSN <= len(national) <= _MAX_NSN:
        return None
    if not (national.isascii() and national.isdigit()):
        raise _Unsure
    return code, national


def _strip_national_prefix(number: str, plan: _Plan) -> str:
    """``_maybe_strip_national_prefix_carrier_code``: the number without its national prefix (and carrier code),
    unless the number fit the general pattern and would no longer."""
    pattern = plan.national_prefix
    if not number or pattern is None:
        return number
    match = pattern.match(number)
    if match is None:
        return number
    viable = _general(number, plan)
    groups = match.groups()
    if plan.transform and not groups:
        raise _Unsure  # libphonenumber would fail looking at the last group
    if not plan.transform or groups[-1] is None:
        stripped = number[match.end() :]
    else:
        stripped = pattern.sub(plan.transform, number, count=1)
    return number if viable and not _general(stripped, plan) else stripped


def _general(number: str, plan: _Plan) -> bool:
    return plan.general is not None and plan.general.fullmatch(number) is not None


_POSSIBLE, _LOCAL_ONLY, _TOO_SHORT, _TOO_LONG, _INVALID_LENGTH = range(5)


def _length(number: str, plan: _Plan) -> int:
    """``_test_number_length`` for any type: the general description's lengths."""
    length, lengths = len(number), plan.lengths
    if length in plan.local_lengths:
        return _LOCAL_ONLY
    if not lengths:
        raise _Unsure
    if lengths[0] == length:
        return _POSSIBLE
    if lengths[0] > length:
        return _TOO_SHORT
    if lengths[-1] < length:
        return _TOO_LONG
    return _POSSIBLE if length in lengths[1:] else _INVALID_LENGTH


@functools.cache
def _plan_for_code(code: int) -> _Plan:
    """The metadata parse uses for a number with this country code: its main region's."""
    from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata

    return _plan(PhoneMetadata.metadata_for_region_or_calling_code(code, COUNTRY_CODE_TO_REGION_CODE[code][0]))


@functools.cache
def _plan_for_region(region: str) -> _Plan:
    from phonenumbers import PhoneMetadata

    return _plan(PhoneMetadata.metadata_for_region(region.upper(), None))


def _plan(metadata: Any) -> _Plan:
    if metadata is None or metadata.general_desc is None:
        raise _Unsure
    general = metadata.general_desc
    return _Plan(
        country_code=metadata.country_code,
        international_prefix=re.compile(metadata.international_prefix) if metadata.international_prefix else None,
        national_prefix=re.compile(metadata.national_prefix_for_parsing)
        if metadata.national_prefix_for_parsing
        else None,
        transform=metadata.national_prefix_transform_rule,
        general=re.compile(general.national_number_pattern) if general.national_number_pattern else None,
        lengths=tuple(general.possible_length),
        local_lengths=tuple(general.possible_length_local_only or ()),
    )


# libphonenumber's is_valid_number with its patterns compiled once, not looked up in its regex cache at each of
# the dozens of tests a number takes (its region among those sharing a country code, then its type): the same
# steps, the same verdict (tests/privacy/test_phone.py compares them), ~9x faster (~3 µs a number).

_Desc = tuple[frozenset[int], re.Pattern[str]]  # possible lengths (none: any), the national number pattern


def _valid_number(number: PhoneNumber) -> bool:
    """``phonenumbers.is_valid_number(number)``."""
    from phonenumbers import national_significant_number

    return number.country_code is not None and _valid(number.country_code, national_significant_number(number))


def _valid(code: int, nsn: str) -> bool:
    """Whether the number with this country code and national significant number is valid."""
    plan = _validity(code)
    if plan is None:
        return False
    if plan.single:  # the country code's only region: its type must be known
        return plan.kinds is not None and _known_kind(plan.kinds, nsn)
    # the first region whose leading digits start the number or, for a region without any, where its type is known
    # (libphonenumber's ``_region_code_for_number_from_list``); then is_valid_number_for_region with its patterns
    for leading, picking, kinds in plan.choices:
        if leading is not None:
            if leading.match(nsn) is not None:
                return kinds is not None and _known_kind(kinds, nsn)
        elif _known_kind(picking, nsn):
            # tested with these very patterns already: ``_kinds`` of a region with this country code reads the same
            # metadata as ``_leading_digits``
            return kinds is not None
    return False


_Kinds = tuple[_Desc, tuple[_Desc, ...]]  # the general description, and those of the types


class _Validity(NamedTuple):
    """What ``is_valid_number`` reads for a country code: for its only region, the patterns the number is tested
    with; for several, per region (without metadata: left out) in libphonenumber's order, its leading-digits
    pattern, the patterns that pick it when it has none, and those the number is then tested with."""

    single: bool
    kinds: _Kinds | None  # single: None says no to every number
    choices: tuple[tuple[re.Pattern[str] | None, _Kinds, _Kinds | None], ...]


@functools.cache
def _validity(code: int) -> _Validity | None:
    from phonenumbers import COUNTRY_CODE_TO_REGION_CODE

    regions = COUNTRY_CODE_TO_REGION_CODE.get(code)
    if regions is None:
        return None
    if len(regions) == 1:
        return _Validity(True, _kinds(code, regions[0]), ())
    choices = []
    for region in regions:
        found = _leading_digits(region)
        if found is not None:
            choices.append((found[0], found[1], _kinds(code, region)))
    return _Validity(False, None, tuple(choices))


def _known_kind(kinds: _Kinds, nsn: str) -> bool:
    """The number fits the region's general pattern and one of its types (``_number_type_helper`` != UNKNOWN)."""
    (lengths, pattern), types = kinds
    size = len(nsn)
    if (lengths and size not in lengths) or pattern.fullmatch(nsn) is None:
        return False
    for lengths, pattern in types:  # noqa: SIM110 (a loop: no generator per number, on a hot path)
        if (not lengths or size in lengths) and pattern.fullmatch(nsn) is not None:
            return True
    return False


@functools.cache
def _leading_digits(region: str) -> tuple[re.Pattern[str] | None, _Kinds] | None:
    """A region's leading-digits pattern and its patterns; None for a region without metadata."""
    from phonenumbers import PhoneMetadata

    metadata = PhoneMetadata.metadata_for_region(region.upper(), None)
    if metadata is None:
        return None
    leading = re.compile(metadata.leading_digits) if metadata.leading_digits is not None else None
    return leading, _descs(metadata)


@functools.cache
def _kinds(country_code: int, region: str) -> _Kinds | None:
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


def _descs(metadata: Any) -> _Kinds:
    """The general description, and those of the types a number may have (mobile only when its pattern differs
    from fixed lines')."""

    def desc(number_desc: Any) -> _Desc:
        if number_desc is None or not number_desc.national_number_pattern:
            return _NEVER
        return frozenset(number_desc.possible_length), re.compile(number_desc.national_number_pattern)

    m = metadata
    # fixed lines and mobiles first: most numbers are one of them, and any type known is enough (the order of the
    # tests does not change the verdict)
    types = [m.fixed_line] if m.same_mobile_and_fixed_line_pattern else [m.fixed_line, m.mobile]
    types += [m.premium_rate, m.toll_free, m.shared_cost, m.voip, m.personal_number, m.pager, m.uan, m.voicemail]
    return desc(m.general_desc), tuple(d for d in map(desc, types) if d is not _NEVER)
