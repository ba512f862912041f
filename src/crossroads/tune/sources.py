"""Reading (prompt, hosted answer) pairs out of shadow records and the encrypted content log.

Each reader yields ``Example`` values and counts what it passed over, with the reason, in
``result.skipped`` — so ``crossroads tune collect`` can say why a store gave fewer pairs than expected.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from typing import Any

from crossroads.backends.base import Endpoint
from crossroads.tune.dataset import CollectResult, Example

CHAT = Endpoint.CHAT.value


def skip(result: CollectResult, why: str) -> None:
    result.read += 1
    result.skipped[why] += 1


def prompt_of(body: Any) -> tuple[tuple[str, str], ...] | None:
    """(role, text) of each message of a plain-text chat request; None when it is not one (tools, images)."""
    if not isinstance(body, dict) or body.get("tools") or not isinstance(body.get("messages"), list):
        return None
    out = []
    for message in body["messages"]:
        role, content = message.get("role"), message.get("content") if isinstance(message, dict) else None
        if role not in ("system", "user", "assistant") or not isinstance(content, str):
            return None
        out.append((str(role), content))
    return tuple(out) if out and out[-1][0] == "user" else None


def from_shadow(source: str, hosted: frozenset[str], result: CollectResult) -> Iterator[Example]:
    """Each hosted side of each record (the primary, the mirror, or both) with a successful answer."""
    from crossroads.routing.shadow_records import read_shadow

    store: Any = source
    if "://" in source:
        from crossroads.store import make_engine

        store = make_engine(source)
    for record in read_shadow(store):
        prompt = prompt_of(record.get("request")) if record.get("endpoint") == CHAT else None
        if prompt is None:
            skip(result, "not a plain-text chat request")
            continue
        sides = [record[s] for s in ("primary", "shadow") if _hosted(record[s], hosted)]
        answered = [s for s in sides if s.get("status") == 200 and s.get("answer")]
        if not answered:
            skip(result, "no hosted answer" if not sides else "hosted call failed")
        for side in answered:
            teacher = f"{side['backend']}:{side.get('upstream_model')}"
            at, rid = float(record["ts"]), str(record.get("request_id", ""))
            yield Example(at, prompt, str(side["answer"]), str(record["model"]), teacher, "shadow", rid)


def _hosted(side: dict[str, Any], hosted: frozenset[str]) -> bool:
    return side.get("backend") in hosted or side.get("location") == "hosted"


def from_content_log(url: str, key_env: str, hosted: frozenset[str], result: CollectResult) -> Iterator[Example]:
    """Successful chat rows with sealed content, answered by a hosted backend, whose request the guard did
    not rewrite (else the logged answer carries restored values); opened with the key from ``key_env``."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from crossroads.metering.content import Sealer
    from crossroads.store import make_engine
    from crossroads.store.models import LedgerRow

    sealer = Sealer.from_env(key_env)
    engine = make_engine(url)
    query = select(LedgerRow).where(LedgerRow.content.is_not(None)).order_by(LedgerRow.at, LedgerRow.id)
    try:
        with Session(engine) as session:
            for row in session.scalars(query):
                example = _content_example(row, sealer, hosted, result)
                if example is not None:
                    yield example
    finally:
        engine.dispose()


def _content_example(row: Any, sealer: Any, hosted: frozenset[str], result: CollectResult) -> Example | None:
    why, prompt, answer = _content_skip(row, hosted), None, None
    if why is None:
        try:
            content = sealer.open(row.content)
        except ValueError:
            content, why = {}, "sealed with another key"
        prompt = prompt_of(content.get("request"))
        answer = content.get("upstream_response") if _rewritten(row) else content.get("response")
        if why is None and (prompt is None or not content.get("response")):
            why = "not a plain-text chat request"
        elif why is None and not answer:
            why = "the guard rewrote the request and the answer was logged only with its values restored"
    if why is not None or prompt is None:
        skip(result, why or "not a plain-text chat request")
        return None
    at = row.at.replace(tzinfo=UTC).timestamp()
    return Example(at, prompt, str(answer), row.model, f"{row.backend}:{row.upstream_model}", "content", row.id)


def _rewritten(row: Any) -> bool:
    """The guard replaced values in the request (the client's answer then has them put back)."""
    privacy = row.privacy or {}
    return bool(privacy.get("entities")) and privacy.get("action") != "allow"


def _content_skip(row: Any, hosted: frozenset[str]) -> str | None:
    if row.status != 200 or row.endpoint != CHAT:
        return "not a successful chat answer"
    if row.backend not in hosted:
        return "answered by a local backend" if row.backend else "no backend answered"
    return None
