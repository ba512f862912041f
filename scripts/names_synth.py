"""Synthetic training text for the name model: Faker values in many locales, in templates of many genres.

Chat and support messages, letters and signature blocks, contracts, forms, log lines and social posts, with
people (full names, first names alone in context, titles and surnames), places and organisations labelled, and
phone numbers, e-mail addresses, dates and street addresses left unlabelled (the fast detectors find those).
"""

from __future__ import annotations

import random
import re
import zlib
from collections.abc import Iterator

from faker import Faker

LOCALES = [
    "en_US", "en_GB", "en_IN", "en_AU", "en_CA", "en_IE", "de_DE", "de_AT", "de_CH", "fr_FR", "fr_CA", "es_ES",
    "es_MX", "it_IT", "pt_BR", "pt_PT", "nl_NL", "pl_PL", "cs_CZ", "sk_SK", "hu_HU", "tr_TR", "sv_SE", "da_DK",
    "fi_FI", "no_NO", "ro_RO", "hr_HR", "sl_SI", "vi_VN", "id_ID", "et_EE", "lv_LV", "lt_LT", "el_GR", "ru_RU",
    "uk_UA", "ja_JP", "zh_CN", "ko_KR", "ar_AA", "he_IL", "fa_IR", "hi_IN", "tl_PH", "ka_GE", "hy_AM", "bg_BG",
]  # fmt: skip

# {P}: a full name, {F}: a first name, {L}: a last name, {C}: a city, {N}: a country, {O}: a company;
# {phone} {email} {date} {addr} {num}: unlabelled values
TEMPLATES = [
    "Hi, my name is {P} and I need help with order {num}.",
    "Please call {P} at {phone} before {date}.",
    "{P} ({email}) reported the bug yesterday.",
    "Can you send the contract to {P}? She moved to {C} last month.",
    "my kid {F} has a fever, can we reschedule?",
    "tell {F} i said thanks lol",
    "Thanks {F}! See you in {C}.",
    "Dear Mr. {L},\n\nthank you for your letter of {date}.\n\nKind regards,\n{P}\n{O}",
    "Dear Ms. {L}, your appointment with Dr. {L} is confirmed.",
    "Best regards,\n{P}\nSenior Engineer | {O}\n{phone}",
    "--\n{P}\n{O}\n{addr}",
    "Name: {P}\nDate of birth: {date}\nPhone: {phone}\nAddress: {addr}",
    "Customer: {P}, {C}, {N}",
    "This agreement is made between {O} and {P}, residing at {addr}.",
    "Signed: {P}          Witness: {P}",
    "The tenant, {P}, shall pay rent to {P} on the first day of each month.",
    "{P} joined {O} in {C} as head of sales.",
    "Meeting notes: {F}, {F} and {P} attended; {F} will follow up.",
    "I talked to {F} from {O} about the {C} office.",
    "{L} said the shipment to {C}, {N} is late.",
    "Mr. {L} flew to {C} on Monday morning.",
    "ask {F} about it, {F} knows the password",
    "@{F} congrats on the new job at {O}!!",
    "just landed in {C} with {F} and {F} :)",
    "omg {P} is in {C} tonight",
    "Patient {P}, born {date}, was admitted on {date}.",
    "Employee {P} (ID {num}) transferred from {C} to {C}.",
    "Forwarded message from {P} <{email}>:",
    "From: {P}\nTo: {P}\nSubject: invoice {num}",
    "Assigned to {P}. Reviewed by {F}.",
    "{O} hired {P} as CFO.",
    "Our visit to {O} in {C} went well.",
    "The package for {P} was delivered to {addr}.",
    "{F}'s birthday party is on {date} at {addr}.",
    "I'm {F}, I live in {C} and work for {O}.",
    "Contact person: {P}, tel. {phone}",
    "Travelling from {C} to {C} via {C}.",
    "The {O} annual report was published in {C}.",
    "Summarize this email from {P} about the {O} merger.",
    "Translate the letter to {P} into German.",
    "{P}, {P} and {P} were named in the complaint.",
    "reply to {F}: sure, friday works",
    "Witness statement of {P}, {C}.",
]
_FIELD = re.compile(r"\{(P|F|L|C|N|O|phone|email|date|addr|num)\}")
_LABEL = {"P": "PERSON", "F": "PERSON", "L": "PERSON", "C": "LOCATION", "N": "LOCATION", "O": "ORGANIZATION"}


def _value(fake: Faker, field: str, rng: random.Random) -> str:
    makers = {
        "P": lambda: fake.name() if rng.random() < 0.7 else f"{fake.first_name()} {fake.last_name()}",
        "F": fake.first_name,
        "L": fake.last_name,
        "C": fake.city,
        "N": fake.country,
        "O": fake.company,
        "phone": fake.phone_number,
        "email": fake.email,
        "date": lambda: fake.date(pattern=rng.choice(["%d/%m/%Y", "%Y-%m-%d", "%B %d, %Y", "%d.%m.%Y"])),
        "addr": lambda: fake.address().replace("\n", ", "),
        "num": lambda: str(rng.randint(1000, 99999999)),
    }
    return str(makers[field]())


def _case(text: str, rng: random.Random) -> str:
    draw = rng.random()
    return text.lower() if draw < 0.15 else text.upper() if draw < 0.2 else text


def generate(n: int, seed: int) -> Iterator[tuple[str, list[tuple[str, int, int]]]]:
    """``n`` (text, spans) pairs, a locale per text (English templates, names from everywhere)."""
    rng = random.Random(seed)
    fakers = {locale: Faker(locale) for locale in LOCALES}
    for locale, fake in fakers.items():
        fake.seed_instance(rng.randint(0, 2**31) + zlib.crc32(locale.encode()) % 1000)
    english = fakers["en_US"]
    for _ in range(n):
        fake = fakers[rng.choice(LOCALES)]
        template = rng.choice(TEMPLATES)
        text, spans, at = "", [], 0
        for match in _FIELD.finditer(template):
            text += template[at : match.start()]
            field = match[1]
            source = fake if field in _LABEL or rng.random() < 0.5 else english
            try:
                value = _case(_value(source, field, rng), rng) if field in _LABEL else _value(source, field, rng)
            except AttributeError:  # a locale without that provider
                value = _value(english, field, rng)
            if field in _LABEL:
                spans.append((_LABEL[field], len(text), len(text) + len(value)))
            text += value
            at = match.end()
        text += template[at:]
        if rng.random() < 0.1:
            text = text.lower()
        yield text, spans
