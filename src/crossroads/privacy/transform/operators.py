"""Operators: how a finding is replaced in the text sent on. Each takes (entity type, value) and returns text.

redact        [EMAIL_ADDRESS]
mask          ************1111        (all but the last 4 letters and digits; separators kept)
hash          [EMAIL_ADDRESS:3f2a9c1b0d4e]   keyed HMAC-SHA256: stable, not reversible without the key
pseudonymize  <EMAIL_ADDRESS_1>       reversible through the vault; restored in the answer
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Callable, Container, Sequence

from crossroads.errors import ConfigError
from crossroads.privacy.config import Action, PrivacyConfig
from crossroads.privacy.spans import Span
from crossroads.privacy.transform.vault import Pseudonyms

Operator = Callable[[str, str], str]
KEEP_LAST = 4


def redact(entity_type: str, value: str) -> str:
    return f"[{entity_type}]"


def mask(entity_type: str, value: str) -> str:
    visible = sum(c.isalnum() for c in value) - KEEP_LAST
    out = []
    for char in value:
        if char.isalnum() and visible > 0:
            out.append("*")
            visible -= 1
        else:
            out.append(char)
    return "".join(out) if sum(c.isalnum() for c in value) > KEEP_LAST else "*" * len(value)


def hasher(key: bytes) -> Operator:
    def hash_(entity_type: str, value: str) -> str:
        digest = hmac.new(key, f"{entity_type}\0{value}".encode(), hashlib.sha256).hexdigest()
        return f"[{entity_type}:{digest[:12]}]"

    return hash_


def pseudonymizer(mapping: Pseudonyms, taken: Container[str]) -> Operator:
    """Placeholders from ``mapping``, never one of ``taken`` (placeholders the request holds as text) anew."""

    def pseudonymize(entity_type: str, value: str) -> str:
        return mapping.placeholder(entity_type, value, taken)

    return pseudonymize


def operators(key: bytes, mapping: Pseudonyms, taken: Container[str] = frozenset()) -> dict[str, Operator]:
    return {"redact": redact, "mask": mask, "hash": hasher(key), "pseudonymize": pseudonymizer(mapping, taken)}


def apply(text: str, spans: Sequence[Span], action_of: Callable[[str], Action], ops: dict[str, Operator]) -> str:
    """``text`` with each span replaced by its action's operator (spans without one stay as they are)."""
    pieces, last = [], 0
    for span in spans:
        op = ops.get(action_of(span.entity_type))
        if op is None:
            continue
        pieces += [text[last : span.start], op(span.entity_type, text[span.start : span.end])]
        last = span.end
    pieces.append(text[last:])
    return "".join(pieces)


def hmac_key(config: PrivacyConfig) -> bytes:
    """The key for ``hash`` (from ``hash_key_env``); required when a policy hashes, else a random one."""
    uses_hash = any(a == "hash" for p in config.policies() for a in p.values())
    key = os.environ.get(config.hash_key_env)
    if key:
        return key.encode()
    if uses_hash:
        raise ConfigError(
            "privacy policy uses hash but has no key",
            [f"privacy.hash_key_env: set {config.hash_key_env} to a secret (e.g. `openssl rand -hex 32`)"],
        )
    return secrets.token_bytes(32)
