"""On-disk response cache: (backend identity, parameters, prompt) -> the answer, in one SQLite file.

A rerun of a suite, or a new metric on an old run, costs no model call. The key is the SHA-256 of
the canonical JSON of the three parts; the backend identity includes its configuration (model file,
upstream name, URL), so pointing a name at another model misses the cache. The stored latency is
the latency measured when the answer was made, so cached reruns still report real speed.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from pathlib import Path
from typing import Any

_SCHEMA = "CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, value TEXT NOT NULL, created REAL NOT NULL)"


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "crossroads" / "eval"


def cache_key(identity: Any, params: dict[str, Any], prompt: Any) -> str:
    blob = json.dumps([identity, params, prompt], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


class ResponseCache:
    """A tiny key-value store; ``hits`` and ``misses`` count lookups for reporting and tests."""

    def __init__(self, directory: str | Path | None = None) -> None:
        self.path = Path(directory or default_cache_dir()) / "responses.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(_SCHEMA)
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> dict[str, Any] | None:
        row = self._db.execute("SELECT value FROM responses WHERE key = ?", (key,)).fetchone()
        if row is None:
            self.misses += 1
            return None
        self.hits += 1
        value: dict[str, Any] = json.loads(row[0])
        return value

    def put(self, key: str, value: dict[str, Any]) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO responses (key, value, created) VALUES (?, ?, julianday('now'))",
            (key, json.dumps(value)),
        )
        self._db.commit()

    def close(self) -> None:
        self._db.close()


class NoCache(ResponseCache):
    """Caches nothing (``--no-cache``)."""

    def __init__(self) -> None:
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> dict[str, Any] | None:
        self.misses += 1
        return None

    def put(self, key: str, value: dict[str, Any]) -> None:
        return None

    def close(self) -> None:
        return None
