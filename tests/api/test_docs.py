"""/docs: Swagger UI from the package's own assets — nothing from a CDN — rendered by a real browser
offline; the vendored files are the ones VENDORED.md records."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from importlib.resources import files

import httpx
import pytest

from crossroads.api import create_app
from crossroads.config import parse_settings
from crossroads.testing.server import serving
from tests.support.scripted import ScriptedBackend

SETTINGS = {"backends": {"b": {"type": "embedded"}}, "models": {"m": {"backend": "b"}}}


def app() -> object:
    from crossroads.gateway import Gateway

    return create_app(gateway=Gateway(parse_settings(SETTINGS, "t"), backends={"b": ScriptedBackend("b")}))


def test_docs_page_and_assets_are_local() -> None:
    with serving(app()) as url:
        page = httpx.get(url + "/docs")
        refs = re.findall(r"""(?:src|href)=["']([^"']+)""", page.text)
        assets = {ref: httpx.get(url + ref) for ref in refs if ref.startswith("/docs/assets/")}
        escape = httpx.get(url + "/docs/assets/..%2F__init__.py")
        other = httpx.get(url + "/docs/assets/LICENSE")
        redoc = httpx.get(url + "/redoc")
    assert page.status_code == 200 and refs
    assert all(ref.startswith("/") for ref in refs), refs  # no CDN, no other host
    assert {r.split("/")[-1] for r in assets} == {"swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"}
    assert all(a.status_code == 200 and a.content for a in assets.values())
    assert assets["/docs/assets/swagger-ui-bundle.js"].headers["content-type"].startswith("text/javascript")
    assert escape.status_code == other.status_code == redoc.status_code == 404


def test_vendored_files_match_their_record() -> None:
    folder = files("crossroads.api") / "swagger"
    record = (folder / "VENDORED.md").read_text(encoding="utf-8")
    sums = re.findall(r"^([0-9a-f]{64})  (\S+)$", record, re.MULTILINE)
    assert len(sums) == 6
    for digest, name in sums:
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    assert "Apache-2.0" in record and "5.35.0" in record


@pytest.mark.slow
def test_a_browser_renders_the_operations_offline() -> None:
    browser = shutil.which("chromium")
    assert browser, "Debian's chromium is needed: apt-get install chromium"
    with serving(app()) as url:
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=15000", "--dump-dom"]
        dom = subprocess.run([browser, *flags, url + "/docs"], capture_output=True, text=True, timeout=120).stdout
    assert "swagger-ui" in dom and "opblock" in dom  # Swagger UI ran and drew the operations
    assert "/v1/chat/completions" in dom
