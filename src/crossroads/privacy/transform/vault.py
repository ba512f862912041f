"""Pseudonym mappings, in memory with a time to live. Values never leave this process and are never logged.

A mapping belongs to one request, or to one conversation (the ``x-crossroads-conversation`` header:
under an API key, scoped by the key's id so one key cannot read another's mapping; without keys, an id the
gateway issued — random, 192 bits — so nobody can name another client's conversation). The same value gets the same
placeholder in every message of the request or conversation.

A new placeholder is never one the request already holds as text (a client may type ``<EMAIL_ADDRESS_1>``
itself): the number skips past it, so the client's own text is never "restored" in the answer. A
placeholder given out in an earlier request of the same conversation is the exception — it stands for
that conversation's value, and the answer restores it wherever it appears.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Container
from dataclasses import dataclass, field


@dataclass
class Pseudonyms:
    """value ⇄ placeholder for one request or conversation."""

    forward: dict[tuple[str, str], str] = field(default_factory=dict)
    reverse: dict[str, str] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    expires: float = 0.0

    def placeholder(self, entity_type: str, value: str, taken: Container[str] = frozenset()) -> str:
        """The value's placeholder; a new one is numbered past those in ``taken`` (the request's own text)."""
        known = self.forward.get((entity_type, value))
        if known is not None:
            return known
        number = self.counters.get(entity_type, 0) + 1
        while f"<{entity_type}_{number}>" in taken:
            number += 1
        self.counters[entity_type] = number
        token = f"<{entity_type}_{number}>"
        self.forward[(entity_type, value)] = token
        self.reverse[token] = value
        return token

    def __repr__(self) -> str:  # never show values
        return f"Pseudonyms({len(self.reverse)} placeholders)"


class Vault:
    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self.clock = clock
        self._mappings: dict[str, Pseudonyms] = {}

    def get(self, scope: str) -> Pseudonyms:
        """The live mapping for ``scope`` (a new one if none or expired); its time to live starts over."""
        now = self.clock()
        self._purge(now)
        mapping = self._mappings.get(scope)
        if mapping is None:
            mapping = self._mappings[scope] = Pseudonyms()
        mapping.expires = now + self.ttl_s
        return mapping

    def has(self, scope: str) -> bool:
        """A live mapping exists for ``scope`` (its time to live is not touched)."""
        mapping = self._mappings.get(scope)
        return mapping is not None and mapping.expires > self.clock()

    def drop(self, scope: str) -> None:
        self._mappings.pop(scope, None)

    def _purge(self, now: float) -> None:
        expired = [scope for scope, m in self._mappings.items() if m.expires <= now]
        for scope in expired:
            del self._mappings[scope]

    def __len__(self) -> int:
        return len(self._mappings)
