"""Model cards in Anthropic's shape (``GET /v1/models`` called with ``anthropic-version``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

MAX_LIMIT = 1000


def model_info(card: Mapping[str, Any]) -> dict[str, Any]:
    created = datetime.fromtimestamp(int(card.get("created") or 0), UTC)
    return {
        "type": "model",
        "id": card["id"],
        "display_name": card["id"],
        "created_at": created.isoformat().replace("+00:00", "Z"),
    }


def model_list(cards: list[dict[str, Any]], query: Mapping[str, str]) -> dict[str, Any]:
    """One page, as Anthropic pages: ``after_id`` / ``before_id`` and ``limit`` (default 20)."""
    ids = [c["id"] for c in cards]
    start, end = 0, len(cards)
    if query.get("after_id") in ids:
        start = ids.index(query["after_id"]) + 1
    if query.get("before_id") in ids:
        end = ids.index(query["before_id"])
    limit = _limit(query.get("limit"))
    page = cards[start:end]
    window = page[-limit:] if "before_id" in query and "after_id" not in query else page[:limit]
    data = [model_info(c) for c in window]
    return {
        "data": data,
        "has_more": len(window) < len(page),
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
    }


def _limit(raw: str | None) -> int:
    if raw is None or not raw.isdigit():
        return 20
    return max(1, min(int(raw), MAX_LIMIT))
