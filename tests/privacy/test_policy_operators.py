"""Operators, policy resolution, verdicts and the vault."""

from __future__ import annotations

import pytest

from crossroads.pipeline.call import PrivacyFacts
from crossroads.privacy.config import PrivacyConfig
from crossroads.privacy.spans import Span
from crossroads.privacy.transform.operators import apply, hasher, mask, operators, redact
from crossroads.privacy.transform.policy import Verdict, policy_for
from crossroads.privacy.transform.vault import Pseudonyms, Vault

TEXT = "mail ann@example.com, card 4111 1111 1111 1111, mail ann@example.com again, bob@example.org"
SPANS = [
    Span("EMAIL_ADDRESS", 5, 20, 0.95, "email"),
    Span("CREDIT_CARD", 27, 46, 0.95, "credit_card"),
    Span("EMAIL_ADDRESS", 53, 68, 0.95, "email"),
    Span("EMAIL_ADDRESS", 76, 91, 0.95, "email"),
]


def run(actions: dict[str, str], key: bytes = b"k") -> str:
    return apply(TEXT, SPANS, lambda t: actions.get(t, "allow"), operators(key, Pseudonyms()))  # type: ignore[arg-type,return-value]


def test_redact_and_allow() -> None:
    assert run({"EMAIL_ADDRESS": "redact"}) == (
        "mail [EMAIL_ADDRESS], card 4111 1111 1111 1111, mail [EMAIL_ADDRESS] again, [EMAIL_ADDRESS]"
    )
    assert redact("X", "v") == "[X]"


def test_mask_keeps_last_four_and_separators() -> None:
    assert run({"CREDIT_CARD": "mask"}).split(", ")[1] == "card **** **** **** 1111"
    assert mask("PASSWORD", "abc") == "***"


def test_hash_is_keyed_and_stable() -> None:
    one, again, other_key = (
        run({"EMAIL_ADDRESS": "hash"}),
        run({"EMAIL_ADDRESS": "hash"}),
        run({"EMAIL_ADDRESS": "hash"}, b"j"),
    )
    assert one == again != other_key
    first = hasher(b"k")("EMAIL_ADDRESS", "ann@example.com")
    assert first.startswith("[EMAIL_ADDRESS:") and len(first) == len("[EMAIL_ADDRESS:]") + 12
    assert first in one and one.count(first) == 2


def test_pseudonymize_same_value_same_placeholder() -> None:
    mapping = Pseudonyms()
    out = apply(TEXT, SPANS, lambda t: "pseudonymize", operators(b"k", mapping))
    assert out == ("mail <EMAIL_ADDRESS_1>, card <CREDIT_CARD_1>, mail <EMAIL_ADDRESS_1> again, <EMAIL_ADDRESS_2>")
    assert mapping.reverse["<EMAIL_ADDRESS_2>"] == "bob@example.org"
    assert "ann@" not in repr(mapping)


def test_policy_key_over_model_over_default() -> None:
    config = PrivacyConfig(
        default={"EMAIL_ADDRESS": "redact", "*": "pseudonymize"},
        models={"gpt": {"EMAIL_ADDRESS": "block", "PERSON": "keep_local"}},
        keys={"analytics": {"PERSON": "allow"}},
    )
    plain, gpt, gpt_analytics = (
        policy_for(config, None, "x"),
        policy_for(config, None, "gpt"),
        policy_for(config, "analytics", "gpt"),
    )
    assert [plain.action("EMAIL_ADDRESS"), gpt.action("EMAIL_ADDRESS"), gpt_analytics.action("EMAIL_ADDRESS")] == [
        "redact",
        "block",
        "block",
    ]
    assert [plain.action("PERSON"), gpt.action("PERSON"), gpt_analytics.action("PERSON")] == [
        "pseudonymize",
        "keep_local",
        "allow",
    ]
    assert plain.action("DATE_TIME") == "allow"  # '*' does not reach the NER extras
    assert gpt_analytics.ner_types() == frozenset({"LOCATION", "ORGANIZATION"})
    assert policy_for(PrivacyConfig(default={"EMAIL_ADDRESS": "redact"}), None, "m").ner_types() == frozenset()


def test_verdict_header_and_facts() -> None:
    policy = policy_for(
        PrivacyConfig(default={"EMAIL_ADDRESS": "pseudonymize", "PERSON": "pseudonymize", "US_SSN": "keep_local"}),
        None,
        "m",
    )
    spans = [Span("EMAIL_ADDRESS", 0, 1, 1, "x"), Span("PERSON", 2, 3, 1, "x"), Span("EMAIL_ADDRESS", 4, 5, 1, "x")]
    verdict = Verdict.of(spans, policy)
    assert verdict.header() == "pseudonymized=EMAIL_ADDRESS:2,PERSON:1"
    assert verdict.facts() == PrivacyFacts("pseudonymize", {"EMAIL_ADDRESS": 2, "PERSON": 1}, local_only=False)
    local = Verdict.of([*spans, Span("US_SSN", 6, 7, 1, "x")], policy)
    assert local.facts().local_only is True and local.action == "keep_local"
    assert local.header() == "kept_local=US_SSN:1; pseudonymized=EMAIL_ADDRESS:2,PERSON:1"
    assert Verdict.of([], policy).header() == "none" and Verdict.of([], policy).action == "allow"


def test_vault_ttl_and_scopes() -> None:
    now = [0.0]
    vault = Vault(ttl_s=10, clock=lambda: now[0])
    first = vault.get("conv-a").placeholder("PERSON", "Ann")
    assert vault.get("conv-b").placeholder("PERSON", "Bob") == first == "<PERSON_1>"
    now[0] = 9
    assert vault.get("conv-a").reverse == {"<PERSON_1>": "Ann"}  # touched: lives 10 s more
    now[0] = 15
    assert vault.get("conv-a").reverse == {"<PERSON_1>": "Ann"}
    assert len(vault) == 1  # conv-b expired
    vault.drop("conv-a")
    assert len(vault) == 0


def test_new_placeholders_skip_those_the_request_holds_as_text() -> None:
    mapping = Pseudonyms()
    taken = {"<EMAIL_ADDRESS_1>", "<EMAIL_ADDRESS_2>", "<EMAIL_ADDRESS_4>"}
    out = apply(TEXT, SPANS, lambda t: "pseudonymize", operators(b"k", mapping, taken))
    assert out == "mail <EMAIL_ADDRESS_3>, card <CREDIT_CARD_1>, mail <EMAIL_ADDRESS_3> again, <EMAIL_ADDRESS_5>"
    assert taken.isdisjoint(mapping.reverse)
    # a placeholder already given for a value stays that value's, even when the text holds it literally
    assert mapping.placeholder("EMAIL_ADDRESS", "ann@example.com", {"<EMAIL_ADDRESS_3>"}) == "<EMAIL_ADDRESS_3>"
    assert mapping.placeholder("EMAIL_ADDRESS", "cy@example.net") == "<EMAIL_ADDRESS_6>"


def test_invalid_action_is_a_config_error() -> None:
    with pytest.raises(ValueError, match=r"default\.EMAIL_ADDRESS"):
        PrivacyConfig.model_validate({"default": {"EMAIL_ADDRESS": "encrypt"}})
