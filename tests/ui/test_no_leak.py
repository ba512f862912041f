"""The dashboard never shows a protected value: after requests carrying known e-mails, cards, a social security
number, a cloud secret and a name went through the guard (and a lab result whose cases hold them sits in the
runs folder), no page and no JSON answer contains any of them."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.ui.conftest import MASTER, Stack
from tests.ui.traffic import EMAIL, PROTECTED, SSN, send_traffic

RANGES = ["1h", "24h", "7d", "month"]
PAGES = ["/ui", "/ui/privacy", "/ui/keys", "/ui/routing", "/ui/lab", "/ui/audit", "/ui/lab/report"]
APIS = ["overview", "privacy", "keys", "routing", "lab", "audit"]


@pytest.fixture(scope="module")
def signed_in(stack: Stack) -> Any:
    send_traffic(stack)
    (stack.runs / "eval-support.json").write_text(
        json.dumps(
            {
                "run_id": "eval-support",
                "created_at": "2026-12-01T00:00:00Z",
                "suite": {"name": "support"},
                "models": ["chat"],
                "summaries": [{"model": "chat", "pass_rate": {"value": 0.75}}],
                "cases": [{"input": f"mail {EMAIL}, ssn {SSN}", "answers": {}}],
            }
        )
    )
    (stack.runs.parent / "report.html").write_text("<html><body>report without personal data</body></html>")
    with httpx.Client(base_url=stack.url, timeout=30) as http:
        answer = http.post("/ui/login", data={"key": MASTER, "next": "/ui"})
        assert answer.status_code == 303
        yield http


def leaks(text: str) -> list[str]:
    return [value for value in PROTECTED if value in text]


def test_no_page_shows_a_protected_value(signed_in: httpx.Client) -> None:
    seen = 0
    for path in PAGES:
        for range_ in RANGES:
            answer = signed_in.get(path, params={"range": range_})
            assert answer.status_code == 200, (path, answer.text[:200])
            assert leaks(answer.text) == [], path
            seen += len(answer.text)
    lab = signed_in.get("/ui/lab").text
    assert "eval-support.json" in lab and "75% passed" in lab  # the result is listed, its cases are not
    assert seen > 50_000


def test_no_json_answer_holds_a_protected_value(signed_in: httpx.Client) -> None:
    for name in APIS:
        for range_ in RANGES:
            answer = signed_in.get(f"/admin/api/{name}", params={"range": range_})
            assert answer.status_code == 200, name
            assert leaks(answer.text) == [], name
    privacy = signed_in.get("/admin/api/privacy").json()
    assert {"EMAIL_ADDRESS", "US_SSN", "CREDIT_CARD"} <= {row["type"] for row in privacy["entity_types"]}
    assert privacy["blocked"] == 1 and privacy["kept_local"] >= 1
