"""Debian's headless chromium driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``):
no driver, no websocket library, nothing downloaded. Messages are JSON, each ended by a NUL byte;
chromium reads commands on its fd 3 and writes answers and events on its fd 4."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


class Browser:
    def __init__(self, profile: Path, timeout: float = 60.0) -> None:
        if not Path(CHROMIUM).exists():
            raise RuntimeError(f"{CHROMIUM} is missing — install Debian's browser: apt-get install -y chromium")
        self.timeout = timeout
        commands_r, self._commands = os.pipe()
        self._answers, answers_w = os.pipe()

        def wire() -> None:  # in the child: our pipe ends become its fd 3 and fd 4
            a, b = os.dup(commands_r), os.dup(answers_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        args = [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank"]
        self.process = subprocess.Popen(
            args, preexec_fn=wire, pass_fds=(3, 4), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        os.close(commands_r)
        os.close(answers_w)
        self._buffer = b""
        self._next = 0
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return dict(reply.get("result", {}))
            self.events.append(reply)

    def wait_for(self, method: str) -> dict[str, Any]:
        while True:
            found = next((e for e in self.events if e.get("method") == method), None)
            if found is not None:
                self.events.remove(found)
                return found
            self.events.append(self._read())

    def _read(self) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("chromium did not answer in time")
            chunk = os.read(self._answers, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed its DevTools pipe")
            self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        return dict(json.loads(raw))

    def close(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)
        os.close(self._commands)
        os.close(self._answers)


def render(page: Path, profile: Path, width: int = 1200) -> tuple[bytes, list[dict[str, Any]], list[int]]:
    """Open ``page`` in a fresh profile: a full-page PNG screenshot, each section's id, title, top and
    height in CSS pixels, and the natural width of every image (0 = it did not decode)."""
    browser = Browser(profile)
    try:
        target = browser.call("Target.createTarget", url="about:blank")["targetId"]
        session = browser.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        browser.call("Page.enable", session)
        metrics = {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False}
        browser.call("Emulation.setDeviceMetricsOverride", session, **metrics)
        browser.call("Page.navigate", session, url=page.resolve().as_uri())
        browser.wait_for("Page.loadEventFired")
        sections = _evaluate(browser, session, SECTIONS)
        images = _evaluate(browser, session, "[...document.images].map(i => i.naturalWidth)")
        size = browser.call("Page.getLayoutMetrics", session)["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        shot = browser.call("Page.captureScreenshot", session, format="png", clip=clip, captureBeyondViewport=True)
        return base64.b64decode(shot["data"]), sections, images
    finally:
        browser.close()


SECTIONS = """[...document.querySelectorAll('section')].map(s => {
  const r = s.getBoundingClientRect();
  return {id: s.id, title: s.querySelector('h2').innerText, top: r.top + window.scrollY, height: r.height};
})"""


def _evaluate(browser: Browser, session: str, expression: str) -> Any:
    result = browser.call("Runtime.evaluate", session, expression=expression, returnByValue=True)
    return result["result"]["value"]
