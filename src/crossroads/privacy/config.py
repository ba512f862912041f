"""The ``privacy`` section of crossroads.yaml (absent: no guard, requests pass untouched).

privacy:
  default:                       # the global policy: entity type → action
    EMAIL_ADDRESS: pseudonymize
    PERSON: pseudonymize
    CREDIT_CARD: redact
    US_SSN: keep_local
    SECRET_API_KEY: block
    PRIVATE_KEY: block
    "*": allow                   # every other type
  models: {gpt-4o: {PERSON: keep_local}}     # per public model name (overrides the default)
  keys: {analytics: {PERSON: allow}}         # per API key name (overrides model and default)
  detectors:                     # user-defined regex detectors
    - {entity_type: PROJECT_CODE, pattern: "PRJ-\\d{4}", context: [project], score: 0.8}
  deny_lists: {CUSTOMER: [Globex, Initech]}
  on_error: block                # a detector failed: block (503) or keep_local
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from crossroads.config_base import Strict
from crossroads.privacy.validators import VALIDATORS

Action = Literal["allow", "redact", "mask", "hash", "pseudonymize", "keep_local", "block"]
ANY = "*"
NER_TYPES = frozenset({"PERSON", "LOCATION", "ORGANIZATION", "NRP", "DATE_TIME"})


Policy = dict[str, Action]


class CustomDetector(Strict):
    entity_type: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$", description="e.g. PROJECT_CODE")
    pattern: str = Field(description="a Python regular expression")
    validator: str = Field("none", description="one of: " + ", ".join(VALIDATORS))
    context: list[str] = Field(default_factory=list, description="words that must appear just before a match")
    score: float = Field(0.8, ge=0, le=1)
    name: str | None = None

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression ({exc})") from None
        return value

    @field_validator("validator")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in VALIDATORS:
            raise ValueError(f"unknown validator '{value}' — use one of: {', '.join(VALIDATORS)}")
        return value


class NerConfig(Strict):
    model: str = Field(
        "crossroads-names", description="crossroads-names (the shipped name model) or an installed spaCy pipeline"
    )
    threads: int = Field(1, ge=1, le=16, description="worker threads running the model off the event loop")
    timeout_s: float = Field(10.0, gt=0, description="slower than this counts as a detector failure")
    cache_size: int = Field(4096, ge=0, description="sentences whose findings are remembered (0: none)")
    sentence_start_names: bool = Field(
        True,
        description="look for one-word names opening a sentence ('Berlin is nice.'); false: faster, misses them",
    )
    context_words: int = Field(
        3, ge=0, le=64, description="words either side of a possible name the model reads (0: whole sentences)"
    )


class PrivacyConfig(Strict):
    default: Policy = Field(default_factory=dict, description="entity type → action; '*' for every other type")
    models: dict[str, Policy] = Field(default_factory=dict, description="per public model name")
    keys: dict[str, Policy] = Field(default_factory=dict, description="per API key name")
    detectors: list[CustomDetector] = Field(default_factory=list)
    deny_lists: dict[str, list[str]] = Field(default_factory=dict, description="entity type → exact terms")
    min_score: float = Field(0.5, ge=0, le=1, description="findings scoring lower are ignored")
    on_error: Literal["block", "keep_local"] = "block"
    hash_key_env: str = Field("CROSSROADS_HASH_KEY", description="environment variable holding the HMAC key")
    vault_ttl_s: float = Field(3600.0, gt=0, description="how long pseudonym mappings are kept")
    conversation_header: str = Field("x-crossroads-conversation", description="request header naming a conversation")
    ner: NerConfig = NerConfig()

    @field_validator("deny_lists")
    @classmethod
    def _non_empty(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for entity, terms in value.items():
            if not terms or not all(t.strip() for t in terms):
                raise ValueError(f"deny_lists.{entity}: give at least one non-empty term")
        return value

    def policies(self) -> list[Policy]:
        return [self.default, *self.models.values(), *self.keys.values()]
