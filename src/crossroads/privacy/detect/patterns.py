r"""The built-in detectors for structured identifiers and secrets: a table, not code.

Each row: entity type, detector name, regex, validator (see ``validators``), score, which regex group is
the finding, what may not precede it, and an optional anchor (see ``ANCHORS``). Regexes start with a
literal or a character class (case-sensitive: the regex engine skips ahead to it in C) or else a look-ahead,
never with ``\b`` or a look-behind; a look-ahead that every match satisfies (the card's two after its first
digit) only fails hopeless starts sooner (``(?!\d{19})``: inside a run of 20 digits or more, no start can end its
match before a digit). The "not preceded by" test is the row's ``not_after`` instead, and
a key word's identifier prefix (``db_password``) its ``word_prefix``.
Cheap skips, as data: ``prefilter`` (literals one of which every finding contains; a row whose regex
starts with its literal needs none, since the regex engine already skips ahead to it in C, faster than
``in`` would) and ``min_run`` (the shortest anchor match a finding fits in, for rows anchored on digits).
Secrets score above identifiers, identifiers above names, so the most specific finding wins an overlap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Pattern:
    entity_type: str
    name: str
    regex: str
    validator: str = "none"
    score: float = 0.9
    group: int = 0
    flags: int = 0
    not_after: str = ""  # characters that may not precede the finding ("w" = any word character)
    extend_left: str = ""  # characters the finding extends over to the left of the match (email local part)
    anchor: str = ""  # a name in ANCHORS: the regex runs only in windows around the anchor's matches
    prefilter: tuple[str, ...] = ()  # literals one of which every match contains (lower-case if flags has re.I)
    min_run: int = 0  # the finding lies inside one anchor match at least this long: skip windows without one
    # the regex starts at a key word that may end a longer identifier (``db_password``): what precedes the key
    # word in its word must match this whole (checked per match, not tried by the regex at every position)
    word_prefix: str = ""
    # every match starts where one of its anchor's literals occurs (in the lower-cased text): the regex is tried
    # there only, not searched for (for an ASCII text, where the gate has found the literals; only with word_prefix)
    at_anchor: bool = False


@dataclass(frozen=True, slots=True)
class Anchor:
    """Where findings can be: the matches of a cheap regex, or the occurrences of literals (found with
    ``str.find``, several times faster than the regex engine on an alternation of words), shared by the rows
    that name it; rows run only in ``[start - left, end + right]`` around them. ``lower``: on lower-case text.
    ``located``: with the Hyperscan gate, a row on this anchor whose matches have a bounded length runs instead
    only around the ends of its own matches the gate reports (``crossroads.privacy.detect.gate``)."""

    left: int
    right: int
    regex: str = ""
    literals: tuple[str, ...] = ()
    lower: bool = False
    located: bool = False


# how people announce a phone number (lower case): one of these is at most 84 characters before it
PHONE_WORDS = (
    "phone", "tel", "mobile", "mob.", "cell", "call", "fax", "whatsapp", "sms", "text me", "ring me", "dial", "number",
    "contact", "landline", "hotline", "handy", "telefon", "téléphone", "portable", "móvil", "celular", "ph:", "☎",
)  # fmt: skip

BIRTH_WORDS = (
    "birth",
    "born",
    "dob",
    "d.o.b",
    "geboren",
    "geburt",
    "naissance",
    "nacimiento",
    "nascita",
    "née",
    "né le",
)

ANCHORS = {
    "digits": Anchor(12, 12, regex=r"\d[\d .()/+-]{5,}\d", located=True),
    "colons": Anchor(40, 40, regex=r":[0-9A-Fa-f]{0,4}:", located=True),
    "assignment": Anchor(40, 220, literals=("pass", "pwd", "secret", "token", "api_key", "apikey"), lower=True),
    "azure": Anchor(0, 140, literals=("azure", "api-key", "subscription-key"), lower=True),
    # a date of birth follows one of these within a few words ("born on", "Date of birth:", "DOB", "geboren am")
    "birth": Anchor(0, 48, literals=BIRTH_WORDS, lower=True),
    # a phone number in any national shape counts only after a word announcing it ("Mobile:", "call me on")
    "phone_words": Anchor(0, 84, literals=PHONE_WORDS, lower=True),
}


# street types that end a street's name in English-speaking countries
_STREET_TYPES = (
    "Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Drive|Dr|Boulevard|Blvd|Court|Ct|Way|Place|Pl|Square|Sq|Terrace|Parkway|"
    "Pkwy|Circle|Cir|Highway|Hwy|Trail|Crescent|Close|Grove|Gardens|Mews|Row|Walk|Hill|Park|Plaza|Alley|Loop|Path|"
    "Pike|Ridge|Heights|Estate|Quay|Wharf|Green|Rise|Vale|View|Crossing|Circuit|Esplanade|Parade|Promenade|Causeway"
)
# the ends of street names elsewhere, glued to the name (German, Dutch, Nordic, Finnish, Central European, Turkish)
STREET_ENDINGS = (
    "straße", "strasse", "str.", "weg", "gasse", "platz", "allee", "damm", "ufer", "pfad", "steig", "chaussee", "laan",
    "straat", "gracht", "plein", "kade", "singel", "dreef", "gatan", "vägen", "gränd", "torget", "gade", "vej",
    "stræde", "veien", "gata", "katu", "tie", "kuja", "polku", "utca", "körút", "ulica", "aleja", "cesta", "ulice",
    "iela", "gatve", "sokak", "caddesi", "bulvarı",
)  # fmt: skip
_STREET_ENDINGS = "|".join(re.escape(e) for e in STREET_ENDINGS)
# words that open a street's name (Romance languages, French, Polish, Romanian, Greek)
STREET_OPENERS = (
    "Via", "Viale", "Vicolo", "Piazza", "Piazzale", "Corso", "Largo", "Strada", "Rua", "Avenida", "Avda.", "Av.",
    "Travessa", "Calle", "Carrer", "Camino", "Paseo", "Plaza", "Ronda", "Rambla", "Rue", "rue", "Avenue", "Boulevard",
    "Chemin", "Allée", "Impasse", "Place", "Quai", "Route", "ul.", "ulica", "al.", "Aleja", "Plac", "Calea", "Str.",
    "Odos", "Leoforos", "Πλατεία", "Οδός", "Λεωφόρος",
)  # fmt: skip
_STREET_OPENERS = "|".join(re.escape(e) for e in STREET_OPENERS)
_NAME_WORD = r"[^\W\d_][\w'’.-]*"
_UNIT = r"(?:,? (?:Apt|Apartment|Suite|Ste|Unit|Flat)\.? ?#?\d{1,5}[A-Za-z]?)?"
_MONTHS = "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec"


_KEY_VALUE = r"[\"']?\s*[:=]\s*[\"']?"
# password|passwd|pwd|pass|secret|token|api_?key ignoring case, written to start with a case-sensitive class of
# every first letter it may match (the regex engine skips ahead to that in C; it cannot for a caseless word)
_KEY_WORD = r"(?-i:[APSTapst\u017f])(?:(?<=p)(?:assword|asswd|wd|ass)|(?<=s)ecret|(?<=t)oken|(?<=a)pi_?key)"

STRUCTURED = [
    Pattern("EMAIL_ADDRESS", "email", r"@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b",
            score=0.95, extend_left="w.%+-"),
    Pattern("CREDIT_CARD", "credit_card", r"\d(?!\d{19})(?=[\d .-]{11})(?:[ .-]?\d){11,18}(?![\d-])", "credit_card",
            0.95, not_after="w-", anchor="digits", min_run=12),
    Pattern("IBAN_CODE", "iban", r"[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]{4}){2,7}(?: ?[A-Za-z0-9]{1,3})?\b", "iban", 0.95,
            not_after="w", anchor="digits"),
    Pattern("US_SSN", "us_ssn", r"\d{3}([- .])\d{2}\1\d{4}(?![\d-])", "us_ssn", 0.9, not_after="w-", anchor="digits",
            min_run=11),
    Pattern("PHONE_NUMBER", "phone_international", r"\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,5}\d(?![\d-])",
            "phone_number", 0.85, not_after="w+", prefilter=("+",)),
    Pattern("PHONE_NUMBER", "phone_national", r"(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w-])",
            "phone_number", 0.8, not_after="w+.-", anchor="digits", min_run=12),
    Pattern("PHONE_NUMBER", "phone_uk", r"0[1-9]\d{1,3} \d{3,4} \d{3,4}(?![\w-])", "phone_number", 0.8,
            not_after="w+.-", anchor="digits", min_run=11),
    Pattern("PHONE_NUMBER", "phone_in_context", r"[+(]?\d[\d ().\/-]{5,20}\d(?: ?(?:x|ext\.?) ?\d{1,5})?(?![\w-])",
            "phone_shape", 0.75, not_after="w+.-/", anchor="phone_words"),
    Pattern("DATE_OF_BIRTH", "date_of_birth", r"\d{1,4}([./-])\d{1,2}\1\d{2,4}(?!\d|[./-]\d)", "date", 0.85,
            not_after="w./-", anchor="birth"),
    Pattern("DATE_OF_BIRTH", "date_of_birth_words",
            rf"(?:\d{{1,2}}(?:st|nd|rd|th)?\.?(?: of)? (?:{_MONTHS})[a-z]*\.?,? \d{{4}}"
            rf"|(?:{_MONTHS})[a-z]*\.? \d{{1,2}}(?:st|nd|rd|th)?,? \d{{4}})\b",
            "date", 0.85, flags=re.I, not_after="w", anchor="birth"),
    Pattern("STREET_ADDRESS", "street_address",
            rf"\d{{1,6}}[A-Za-z]?(?:[ -]\d{{1,5}})?(?: {_NAME_WORD}){{1,4}}? (?:{_STREET_TYPES})\b\.?{_UNIT}",
            score=0.7, not_after="w.,-"),
    Pattern("STREET_ADDRESS", "street_address_ending", rf"(?:{_STREET_ENDINGS}) \d{{1,5}}[A-Za-z]?\b\.?{_UNIT}",
            score=0.7, flags=re.I, extend_left="w'’-", not_after="w", prefilter=STREET_ENDINGS),
    Pattern("STREET_ADDRESS", "street_address_opening",
            rf"(?:{_STREET_OPENERS}) (?:{_NAME_WORD} ){{0,4}}?\d{{1,5}}[A-Za-z]?\b{_UNIT}", score=0.7, not_after="w",
            prefilter=STREET_OPENERS),
    Pattern("STREET_ADDRESS", "street_address_unit", r"(?:Apt|Apartment|Suite|Ste|Flat)\.? ?#?\d{1,5}[A-Za-z]?\b",
            score=0.6, not_after="w"),
    Pattern("STREET_ADDRESS", "po_box", r"(?:P\.? ?O\.? Box|Post Office Box|PSC \d{3,5}, Box) \d{1,6}\b", score=0.7,
            flags=re.I, not_after="w"),
    Pattern("IP_ADDRESS", "ipv4", r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?!\w|\.\w)", "ip_address", 0.85,
            not_after="w.", anchor="digits", prefilter=(".",), min_run=7),
    Pattern("IP_ADDRESS", "ipv6", r"(?:[0-9A-Fa-f]{1,4}:|:){2,7}(?::|[0-9A-Fa-f]{1,4})(?![\w:])",
            "ipv6", 0.85, not_after="w:", anchor="colons"),
    Pattern("URL_CREDENTIALS", "url_userinfo", r"://([^\s/:@]+:[^\s/@]+)@[^\s/]+", score=0.98,
            group=1),
    Pattern("URL", "url", r"https?://[^\s<>\"'`)\]]+[^\s<>\"'`)\].,;:!?]", score=0.6, not_after="w"),
]  # fmt: skip

SECRETS = [
    Pattern("PRIVATE_KEY", "pem_private_key",
            r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----.*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----",
            score=1.0, flags=re.S),
    Pattern("SECRET_API_KEY", "aws_access_key_id", r"(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b", score=0.99, not_after="w"),
    Pattern("SECRET_API_KEY", "aws_secret_access_key",
            r"aws_?secret_?(?:access_?)?key" + _KEY_VALUE + r"([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])",
            score=0.99, group=1, flags=re.I, anchor="assignment", prefilter=("aws",)),
    Pattern("SECRET_API_KEY", "gcp_api_key", r"AIza[0-9A-Za-z_-]{35}(?![\w-])", score=0.99,
            not_after="w"),
    Pattern("SECRET_API_KEY", "gcp_private_key_id", r"\"private_key_id\"\s*:\s*\"([0-9a-f]{40})\"", score=0.99,
            group=1),
    Pattern("SECRET_API_KEY", "azure_storage_key", r"AccountKey=([A-Za-z0-9+/]{86}==)", score=0.99, group=1),
    Pattern("SECRET_API_KEY", "azure_shared_access_key", r"SharedAccessKey=([A-Za-z0-9+/]{43}=)", score=0.99,
            group=1),
    Pattern("SECRET_API_KEY", "azure_api_key",
            r"(?:azure[\w-]*key|api-key|ocp-apim-subscription-key)" + _KEY_VALUE + r"([0-9a-f]{32}|[A-Za-z0-9]{84})\b",
            score=0.97, group=1, flags=re.I, anchor="azure"),
    Pattern("SECRET_API_KEY", "github_token", r"(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82})\b",
            score=0.99, not_after="w"),
    Pattern("SECRET_API_KEY", "gitlab_token", r"glpat-[A-Za-z0-9_-]{20}(?![\w-])", score=0.99,
            not_after="w"),
    Pattern("SECRET_API_KEY", "slack_token", r"xox[abposr]-[A-Za-z0-9-]{10,72}\b", score=0.99,
            not_after="w"),
    Pattern("SECRET_API_KEY", "slack_webhook",
            r"https://hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]+", score=0.99),
    Pattern("SECRET_API_KEY", "anthropic_key", r"sk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_-]{80,120}(?![\w-])",
            score=1.0, not_after="w-"),
    Pattern("SECRET_API_KEY", "openai_key",
            r"sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,200}(?![\w-])", score=0.98,
            not_after="w-"),
    Pattern("SECRET_API_KEY", "stripe_key", r"k_(?:live|test)_[A-Za-z0-9]{24,99}\b", score=0.99,
            extend_left="rs", not_after="w"),
    Pattern("JWT", "jwt", r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}", "jwt", 0.99, not_after="w"),
    Pattern("PASSWORD", "password_assignment",
            _KEY_WORD + r"\b" + _KEY_VALUE + r"([^\s\"',;`]{4,200})",
            "secret_value", 0.9, group=1, flags=re.I, anchor="assignment", prefilter=("=", ":"),
            word_prefix=r"(?:[a-z0-9]+_)*", at_anchor=True),
]  # fmt: skip

BUILTIN = STRUCTURED + SECRETS
