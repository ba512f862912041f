"""A scripted set of requests through the gateway (official openai client), and the ledger's own sums to
check the dashboard against."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import openai
from sqlalchemy import func, select

from crossroads.store.models import LedgerRow
from tests.ui.conftest import Stack

EMAIL = "marguerite.okafor@example.org"
CARD = "4111 1111 1111 1111"
SSN = "078-05-1120"
SECRET = "AKIAIOSFODNN7EXAMPLE"
NAME = "Marguerite Okafor"
PROTECTED = (EMAIL, CARD, "4111111111111111", SSN, SECRET, NAME)


def chat(client: openai.OpenAI, text: str, **extra: Any) -> Any:
    return client.chat.completions.create(model="chat", messages=[{"role": "user", "content": text}], **extra)


def send_traffic(stack: Stack, key: str = "unused") -> int:
    """Plain, pseudonymized, redacted, kept-local, blocked and streamed requests; returns how many were sent."""
    with stack.client(key) as client:
        return _send(stack, client)


def ask(stack: Stack, text: str, key: str = "unused") -> Any:
    with stack.client(key) as client:
        return chat(client, text)


def _send(stack: Stack, client: openai.OpenAI) -> int:
    before = ledger_count(stack)
    for i in range(3):
        chat(client, f"Say hello number {i}.")
    chat(client, f"Write to {EMAIL} and greet {NAME}.")
    chat(client, f"My card is {CARD}, is it valid?")
    chat(client, f"My social security number is {SSN}.")
    try:
        chat(client, f"Store the key {SECRET} in the config.")
    except openai.PermissionDeniedError:
        pass
    else:
        raise AssertionError("a request carrying a cloud secret should be blocked")
    for _ in chat(client, "Stream a short answer.", stream=True):
        pass
    wait_for_rows(stack, before + 8)
    return 8


def ledger_count(stack: Stack) -> int:
    with stack.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(LedgerRow)).scalar_one())


def wait_for_rows(stack: Stack, n: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while ledger_count(stack) < n:
        assert time.monotonic() < deadline, f"the ledger did not reach {n} rows"
        time.sleep(0.05)


def ledger_facts(stack: Stack) -> dict[str, Any]:
    """What the ledger itself says, summed in Python from every row."""
    with stack.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(LedgerRow))]
    requests = [r for r in rows if r["key_id"] != "shadow" and "." not in r["id"]]
    spend = sum((r["cost"] or Decimal(0) for r in rows), Decimal(0))
    by_model: dict[str, Decimal] = {}
    for r in rows:
        by_model[r["model"]] = by_model.get(r["model"], Decimal(0)) + (r["cost"] or Decimal(0))
    privacy = [r["privacy"] or {} for r in requests]
    return {
        "requests": len(requests),
        "errors": sum(1 for r in requests if r["status"] >= 400),
        "spend": spend,
        "by_model": by_model,
        "kept_local": sum(1 for p in privacy if p.get("local_only") and p.get("action") != "block"),
        "blocked": sum(1 for p in privacy if p.get("action") == "block"),
        "latency_ms": sorted(r["latency_ms"] for r in requests),
        "rows": rows,
    }
