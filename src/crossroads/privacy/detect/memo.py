"""Remembered verdicts: a validator's recent answers kept by a keyed digest of the value, never the value.

A conversation repeats its values (a chat client resends the history with every request), so verdicts that
cost more than a look-up are remembered; the process holds no copy of a phone number or a token after its
request. ``forget`` clears them all (benchmarks measuring values never seen).
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

Validator = Callable[[str], bool]

REMEMBERED = 4096  # verdicts kept per validator


_FORGET: list[Callable[[], None]] = []  # how to clear each validator's remembered verdicts


@functools.cache
def _keyed() -> Any:
    """A BLAKE2 hasher keyed per process (digests mean nothing outside it), copied for each value."""
    return hashlib.blake2b(digest_size=16, key=secrets.token_bytes(16))


def digest(text: str) -> bytes:
    """A keyed BLAKE2 digest of ``text``: the key is this process's, so digests mean nothing outside it, and a
    table keyed by them holds no copy of what it remembers findings of."""
    value = _keyed().copy()
    value.update(text.encode(errors="surrogatepass"))
    return value.digest()


def remembered(check: Validator) -> Validator:
    """``check`` with its last ``REMEMBERED`` verdicts kept by a keyed BLAKE2 digest of the value.

    No lock: each step on the ordered dict is one call into C, atomic between threads; two threads may both check
    a value and both store its verdict (the same one), and the oldest verdict may already be gone when one
    goes to drop it."""
    verdicts: OrderedDict[bytes, bool] = OrderedDict()
    _FORGET.append(verdicts.clear)

    @functools.wraps(check)
    def cached(text: str) -> bool:
        key = digest(text)
        verdict = verdicts.get(key)
        if verdict is not None:
            try:  # noqa: SIM105 (no context manager per call: a hot path)
                verdicts.move_to_end(key)
            except KeyError:  # dropped meanwhile by another thread
                pass
            return verdict
        verdict = check(text)
        verdicts[key] = verdict
        if len(verdicts) > REMEMBERED:
            try:  # noqa: SIM105 (no context manager per call: a hot path)
                verdicts.popitem(last=False)
            except KeyError:  # emptied meanwhile by another thread
                pass
        return verdict

    return cached


def forget() -> None:
    """Clear every remembered verdict (benchmarks measuring values never seen)."""
    for clear in _FORGET:
        clear()
