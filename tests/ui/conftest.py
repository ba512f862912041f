"""A real gateway on a loopback socket (metering on SQLite, the privacy guard, a model served by a hosted fake
upstream with a self-hosted fallback deployment), the official openai client to send it traffic, and Debian's
headless chromium driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openai
import pytest

from crossroads.api import create_app
from crossroads.config import Settings, parse_settings
from crossroads.testing.fake_upstream import FakeConfig, create_fake_upstream
from crossroads.testing.server import serving

CHROMIUM = "/usr/bin/chromium"
MASTER = "master-" + "k3y-for-the-dashboard-tests"
POLICY = {"EMAIL_ADDRESS": "pseudonymize", "CREDIT_CARD": "redact", "US_SSN": "keep_local", "SECRET_API_KEY": "block"}


def stack_settings(hosted: str, local: str, database: str, **extra: Any) -> Settings:
    deployments = [
        {"backend": "openai", "upstream_model": "gpt-4o-mini", "priority": 0},
        {"backend": "vllm", "upstream_model": "llama", "priority": 1},
    ]
    return parse_settings(
        {
            "backends": {
                "openai": {"type": "openai_compat", "base_url": f"{hosted}/v1"},
                "vllm": {"type": "openai_compat", "base_url": f"{local}/v1", "location": "local"},
            },
            "models": {"chat": {"deployments": deployments}},
            "privacy": {"default": POLICY},
            "metering": {
                "enabled": True,
                "database_url": database,
                "ledger": {"flush_ms": 1},
                "unpriced": "allow",
                "self_hosted": {"llama": {"gpu_hourly": "2.0", "tokens_per_second": "500"}},
            },
            **extra,
        },
        "test",
    )


@dataclass
class Stack:
    url: str
    settings: Settings
    app: Any
    runs: Path
    sent: list[str] = field(default_factory=list)

    def client(self, key: str = "unused") -> openai.OpenAI:
        return openai.OpenAI(base_url=f"{self.url}/v1", api_key=key, max_retries=0)

    @property
    def engine(self) -> Any:
        metering = self.app.state.gateway.metering
        assert metering is not None
        return metering.store


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    folder = tmp_path_factory.mktemp("ui")
    runs = folder / "runs"
    runs.mkdir()
    old = os.environ.get("CROSSROADS_MASTER_KEY")
    os.environ["CROSSROADS_MASTER_KEY"] = MASTER
    try:
        with (
            serving(create_fake_upstream(FakeConfig())) as hosted,
            serving(create_fake_upstream(FakeConfig())) as local,
        ):
            ui = {"runs_dir": str(runs), "report": str(folder / "report.html"), "refresh_seconds": 2}
            settings = stack_settings(hosted, local, f"sqlite:///{folder / 'ledger.db'}", ui=ui)
            app = create_app(settings)
            with serving(app) as url:
                yield Stack(url, settings, app, runs)
    finally:
        if old is None:
            os.environ.pop("CROSSROADS_MASTER_KEY", None)
        else:
            os.environ["CROSSROADS_MASTER_KEY"] = old


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is needed: apt-get install -y chromium"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield b
        b.close()


class Tab:
    """A browser tab that records console errors and failed requests (each page must have none)."""

    def __init__(self, browser: Any, base: str) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.base = base
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("requestfailed", lambda r: self.errors.append(f"{r.url}: {r.failure}"))

    def go(self, path: str) -> Any:
        return self.page.goto(self.base + path, wait_until="networkidle")

    def login(self, key: str = MASTER) -> None:
        self.go("/ui/login")
        self.page.fill("#key", key)
        self.page.click("#sign-in")
        self.page.wait_for_load_state("networkidle")

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def tab(browser: Any, stack: Stack) -> Iterator[Tab]:
    t = Tab(browser, stack.url)
    yield t
    t.close()
