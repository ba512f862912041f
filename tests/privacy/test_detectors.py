"""Every built-in entity type is found (validated, not just matched), and the hard negatives are not."""

from __future__ import annotations

import pytest

from crossroads.privacy.config import CustomDetector, PrivacyConfig
from crossroads.privacy.engine import Engine
from crossroads.privacy.spans import Span, resolve
from crossroads.privacy.validators import credit_card, iban, luhn, phone_number, us_ssn

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
def engine() -> Engine:
    return Engine(PrivacyConfig())


@pytest.mark.parametrize(
    ("entity", "template", "value"), POSITIVES, ids=[f"{p[0]}-{i}" for i, p in enumerate(POSITIVES)]
)
def test_finds_each_type_with_exact_offsets(engine: Engine, entity: str, template: str, value: str) -> None:
    text = template.format(value)
    spans = engine.scan(text)
    assert [(s.entity_type, text[s.start : s.end]) for s in spans] == [(entity, value)]


@pytest.mark.parametrize("text", NEGATIVES)
def test_hard_negatives_are_not_findings(engine: Engine, text: str) -> None:
    assert [(s.entity_type, text[s.start : s.end]) for s in engine.scan(text)] == []


def test_validators() -> None:
    assert luhn("4111111111111111") and not luhn("4111111111111112")
    assert credit_card("4111-1111-1111-1111") and not credit_card("4111-1111 1111-1111")
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
    engine = Engine(config)
    far = " " * 80
    found = engine.scan(f"project PRJ-1234 is late;{far}PRJ-9999 alone; loyalty 4111111111111111 and 4111111111111112")
    assert [s.entity_type for s in found] == ["PROJECT_CODE", "CREDIT_CARD"]
    assert Engine(config.model_copy(update={"min_score": 0.3})).scan("PRJ-9999")[0].score == pytest.approx(0.4)


def test_deny_list_whole_words_any_case() -> None:
    engine = Engine(PrivacyConfig(deny_lists={"CUSTOMER": ["Globex", "Initech Corp"]}))
    text = "GLOBEX and initech corp, not Globexian"
    assert [text[s.start : s.end] for s in engine.scan(text)] == ["GLOBEX", "initech corp"]


def test_invalid_custom_detector_names_the_problem() -> None:
    with pytest.raises(ValueError, match="not a valid regular expression"):
        CustomDetector(entity_type="X", pattern="(")
    with pytest.raises(ValueError, match="unknown validator 'crc'"):
        CustomDetector(entity_type="X", pattern="x", validator="crc")


def test_unicode_offsets_are_characters(engine: Engine) -> None:
    text = "Grüße 👋 — schreib an zoë@exämple.de oder jürgen@example.de 🎉"
    spans = engine.scan(text)
    assert [text[s.start : s.end] for s in spans] == ["jürgen@example.de"]


def test_very_long_input_is_linear_and_complete(engine: Engine) -> None:
    filler = "lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 4000  # ~230 KB
    text = filler + "reach me at a@b.example " + filler + "card 4111111111111111"
    spans = engine.scan(text)
    assert [s.entity_type for s in spans] == ["EMAIL_ADDRESS", "CREDIT_CARD"]


def test_resolve_prefers_score_then_length() -> None:
    spans = [
        Span("A", 0, 10, 0.5, "x"),
        Span("B", 2, 5, 0.9, "y"),
        Span("C", 6, 12, 0.5, "z"),
        Span("D", 20, 22, 0.1, "w"),
    ]
    assert [s.entity_type for s in resolve(spans, min_score=0.2)] == ["B", "C"]
