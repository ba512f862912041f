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
    UNSCANNABLE: keep_local      # images, audio, files, undecodable token ids (the default when not named)
  models: {gpt-4o: {PERSON: keep_local}}     # per public model name served (overrides backend and default)
  backends: {vllm: {PERSON: allow}}          # per backend name (overrides the default)
  keys: {analytics: {PERSON: allow}}         # per API key name (overrides model and default)
  detectors:                     # user-defined regex detectors
    - {entity_type: PROJECT_CODE, pattern: "PRJ-\\d{4}", context: [project], score: 0.8}
  deny_lists: {CUSTOMER: [Globex, Initech]}
  on_error: block                # a detector failed: block (503) or keep_local
"""

from __future__ import annotations

import difflib
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from crossroads.config_base import Strict
from crossroads.privacy.detect.validators import VALIDATORS

Action = Literal["allow", "redact", "mask", "hash", "pseudonymize", "keep_local", "block"]
ANY = "*"
NER_TYPES = frozenset({"PERSON", "LOCATION", "ORGANIZATION", "NRP", "DATE_TIME"})
# types found outside the built-in pattern table: unreadable content, and the context detectors
EXTRA_TYPES = frozenset({"UNSCANNABLE", "DATE_OF_BIRTH", "STREET_ADDRESS"})


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
    max_queue: int = Field(64, ge=1, description="requests waiting for the model beyond this are answered 503")
    window_chars: int = Field(2000, ge=200, description="the model reads long texts in windows of this size")
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
    models: dict[str, Policy] = Field(default_factory=dict, description="per public model name served")
    backends: dict[str, Policy] = Field(default_factory=dict, description="per backend name")
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
        return [self.default, *self.models.values(), *self.backends.values(), *self.keys.values()]

    @model_validator(mode="after")
    def _known_types(self) -> PrivacyConfig:
        """Every entity type a policy names is one the guard can find (a misspelt one would fall to ``*``)."""
        known = known_types(self)
        for where, policy in [("default", self.default), *self._named("models"), *self._named("backends"),
                              *self._named("keys")]:  # fmt: skip
            for name in policy:
                if name != ANY and name not in known:
                    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.4)
                    hint = f" — did you mean {close[0]}?" if close else ""
                    raise ValueError(
                        f"privacy.{where}: unknown entity type '{name}'{hint} Known types: {', '.join(sorted(known))}"
                    )
        return self

    def _named(self, section: str) -> list[tuple[str, Policy]]:
        return [(f"{section}.{name}", policy) for name, policy in getattr(self, section).items()]


def known_types(config: PrivacyConfig) -> frozenset[str]:
    """The built-in detectors' types, the name model's, UNSCANNABLE, and the config's own detectors and lists."""
    from crossroads.privacy.detect.patterns import BUILTIN

    custom = {d.entity_type for d in config.detectors} | set(config.deny_lists)
    return frozenset({p.entity_type for p in BUILTIN} | NER_TYPES | EXTRA_TYPES | custom)
