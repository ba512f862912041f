"""The dashboard as its users see it: Debian's headless chromium signs in, opens every page (no console
error, no failed request), reads numbers equal to the ledger's after scripted traffic, and creates and
revokes a key. Screenshots go to $CROSSROADS_UI_SCREENSHOTS (the README's come from there) or tmp."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import openai
import pytest

from tests.ui.conftest import Stack, Tab
from tests.ui.traffic import ask, ledger_facts, send_traffic

PAGES = ["/ui", "/ui/privacy", "/ui/keys", "/ui/routing", "/ui/lab", "/ui/audit"]


@pytest.fixture(scope="module")
def traffic(stack: Stack) -> dict[str, Any]:
    send_traffic(stack)
    return ledger_facts(stack)


def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("CROSSROADS_UI_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_a_wrong_key_gets_the_sign_in_page_with_a_message(tab: Tab, stack: Stack) -> None:
    tab.go("/ui")
    assert tab.page.url.endswith("/ui/login?next=/ui")
    tab.login("not-the-master-key")
    assert "/ui/login" in tab.page.url
    message = tab.page.text_content("#login-message") or ""
    assert "neither the master key nor an active key with a dashboard role" in message
    assert "Traceback" not in tab.page.content()
    assert tab.page.context.cookies() == []


def test_every_page_loads_without_console_errors(tab: Tab, traffic: dict[str, Any], tmp_path: Path) -> None:
    tab.login()
    assert tab.page.url.endswith("/ui")
    cookie = next(c for c in tab.page.context.cookies() if c["name"] == "crossroads_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert tab.page.evaluate("() => [localStorage.length, sessionStorage.length, document.cookie]") == [0, 0, ""]
    folder = shots(tmp_path)
    for path in PAGES:
        answer = tab.go(path)
        assert answer.status == 200, path
        assert tab.page.title().endswith("crossroads"), path
        name = path.strip("/").replace("/", "-") or "ui"
        tab.page.screenshot(path=str(folder / f"dashboard-{name}.png"), full_page=False)
    assert tab.errors == []
    assert (folder / "dashboard-ui.png").stat().st_size > 10_000


def test_overview_numbers_equal_the_ledgers(tab: Tab, traffic: dict[str, Any]) -> None:
    tab.login()
    tab.go("/ui?range=24h")
    text = tab.page.text_content
    assert int(text("#requests") or "") == traffic["requests"] == 8
    assert int(text("#errors") or "") == traffic["errors"] == 1
    assert Decimal(text("#spend") or "") == traffic["spend"] > 0
    assert Decimal(text("#spend-today") or "") == traffic["spend"]
    assert float(text("#rps-now") or "") > 0  # the scripted requests are minutes old at most
    cells = tab.page.eval_on_selector_all(
        "#by_model tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))"
    )
    assert {row[0]: Decimal(row[2]) for row in cells} == traffic["by_model"]
    p50 = float(text("#latency-p50") or "")
    exact = traffic["latency_ms"][(len(traffic["latency_ms"]) - 1) // 2]
    assert abs(p50 - exact) <= exact * 0.026 + 0.05  # a 5%-wide histogram bin's middle
    errors = tab.page.eval_on_selector_all("#errors_by_type tbody tr", "rows => rows.map(r => r.cells[0].textContent)")
    assert errors == ["privacy_blocked"] or len(errors) == 1
    assert tab.errors == []


def test_privacy_page_counts_kept_local_and_blocked(tab: Tab, traffic: dict[str, Any]) -> None:
    tab.login()
    tab.go("/ui/privacy")
    assert int(tab.page.text_content("#kept-local") or "") == traffic["kept_local"] >= 1
    assert int(tab.page.text_content("#blocked") or "") == traffic["blocked"] == 1
    assert int(tab.page.text_content("#privacy-findings") or "") == 4  # pseudonymized, redacted, kept local, blocked
    share = traffic["kept_local"] / traffic["requests"]
    assert tab.page.text_content("#kept-local-share") == f"{share:.1%}"
    types = tab.page.eval_on_selector_all("#entity_types tbody tr", "rows => rows.map(r => r.cells[0].textContent)")
    assert {"EMAIL_ADDRESS", "CREDIT_CARD", "US_SSN", "SECRET_API_KEY"} <= set(types)
    assert tab.errors == []


def test_live_refresh_updates_the_numbers(tab: Tab, stack: Stack, traffic: dict[str, Any]) -> None:
    tab.login()
    tab.go("/ui")
    before = int(tab.page.text_content("#requests") or "")
    ask(stack, "one more")
    tab.page.wait_for_function(
        f"() => Number(document.getElementById('requests').textContent) > {before}", timeout=15000
    )
    traffic["requests"] += 1  # the next tests see this request too
    assert tab.errors == []


def test_audit_verify_now(tab: Tab, traffic: dict[str, Any]) -> None:
    tab.login()
    tab.go("/ui/audit")
    assert tab.page.text_content("#last-check") == "never"
    tab.page.click("#verify-now")
    tab.page.wait_for_load_state("networkidle")
    assert tab.page.url.endswith("/ui/audit")
    assert tab.page.text_content("#last-check") == "intact"
    assert int(tab.page.text_content("#chain-seq") or "") >= traffic["requests"]
    assert tab.errors == []


def test_routing_and_lab_pages_show_what_the_gateway_knows(tab: Tab, stack: Stack) -> None:
    (stack.runs / "bench-local.json").write_text(
        '{"schema": "crossroads.bench", "schema_version": 1, "target": {"model": "llama", "url": "http://gpu:8000"},'
        ' "environment": {"date": "2026-12-01T00:00:00Z"}, "levels": [{"output_tokens_per_s": 412.5,'
        ' "ttft_ms": {"p99": 180.0}}]}'
    )
    (stack.runs.parent / "report.html").write_text("<html><body><h1>Decision report</h1></body></html>")
    tab.login()
    tab.go("/ui/routing")
    deployments = tab.page.eval_on_selector_all("#breakers tbody tr", "rows => rows.map(r => r.cells[0].textContent)")
    assert set(deployments) == {"openai:gpt-4o-mini", "vllm:llama"}
    tab.go("/ui/lab")
    assert "412.5 output tok/s" in (tab.page.text_content("#runs") or "")
    frame = tab.page.frame_locator("#report")
    assert frame.locator("h1").text_content() == "Decision report"
    assert tab.errors == []


def test_create_change_and_revoke_a_key(tab: Tab, stack: Stack) -> None:
    """Last in this module: once a key exists, the gateway needs one."""
    tab.login()
    tab.go("/ui/keys")
    tab.page.fill("#new-name", "team-a")
    tab.page.fill("#new-budget", "5")
    tab.page.select_option("#create-key select[name=role]", "viewer")
    tab.page.click("#create")
    tab.page.wait_for_load_state("networkidle")
    secret = tab.page.text_content("#new-secret") or ""
    assert secret.startswith("sk-cr-")
    row = tab.page.locator("#keys tr", has_text="team-a")
    assert "viewer" in (row.text_content() or "")
    tab.go("/ui/keys")
    assert secret not in tab.page.content()  # shown once
    answer = ask(stack, "hi", secret)
    assert answer.choices[0].message.content

    row = tab.page.locator("#keys tr", has_text="team-a")
    row.locator("input[name=budget]").fill("7.5")
    row.locator("form.budget button").click()
    tab.page.wait_for_load_state("networkidle")
    assert "7.5 / month" in (tab.page.locator("#keys tr", has_text="team-a").text_content() or "")

    viewer = Tab(tab.page.context.browser, stack.url)  # the viewer key signs in: read-only pages
    viewer.login(secret)
    assert viewer.page.url.endswith("/ui")
    viewer.go("/ui/keys")
    assert viewer.page.locator("#create-key").count() == 0
    assert viewer.errors == []
    viewer.close()

    tab.page.once("dialog", lambda d: d.accept())
    tab.page.locator("#keys tr", has_text="team-a").locator("form.revoke button").click()
    tab.page.wait_for_load_state("networkidle")
    assert "revoked" in (tab.page.text_content("#inactive") or "")
    with pytest.raises(openai.AuthenticationError, match="unknown or revoked"):
        ask(stack, "hi", secret)
    assert tab.errors == []
