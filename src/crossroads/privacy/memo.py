"""Remembered verdicts: a validator's recent answers kept by a keyed digest of the value, never the value.

A conversation repeats its values (a chat client resends the history with every request), so verdicts that
cost more than a look-up are remembered; the process holds no copy of a phone number or a token after its
request. ``forget`` clears them all (benchmarks measuring values never seen).
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import threading
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


def remembered(check: Validator) -> Validator:
    """``check`` with its last ``REMEMBERED`` verdicts kept by a keyed BLAKE2 digest of the value."""
    verdicts: OrderedDict[bytes, bool] = OrderedDict()
    lock = threading.Lock()
    _FORGET.append(verdicts.clear)

    @functools.wraps(check)
    def cached(text: str) -> bool:
        hasher = _keyed().copy()
        hasher.update(text.encode(errors="surrogatepass"))
        digest = hasher.digest()
        with lock:
            verdict = verdicts.get(digest)
            if verdict is not None:
                verdicts.move_to_end(digest)
                return verdict
        verdict = check(text)
        with lock:
            verdicts[digest] = verdict
            if len(verdicts) > REMEMBERED:
                verdicts.popitem(last=False)
        return verdict

    return cached


def forget() -> None:
    """Clear every remembered verdict (benchmarks measuring values never seen)."""
    for clear in _FORGET:
        clear()
