"""One fake OpenAI-compatible upstream on a real socket, shared by the bench tests."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from crossroads.testing.fake_upstream import FakeConfig, create_fake_upstream
from crossroads.testing.server import serving


@pytest.fixture(scope="session")
def fake_url() -> Iterator[str]:
    """Base URL ending in /v1; the fake knows only gpt-4o-mini and text-embedding-3-small."""
    config = FakeConfig(models=["gpt-4o-mini", "text-embedding-3-small"], strict_models=True)
    with serving(create_fake_upstream(config)) as base:
        yield base + "/v1"


@pytest.fixture
def fake(fake_url: str) -> Iterator[str]:
    """The shared fake with an empty fault queue before and after the test."""
    root = fake_url.removesuffix("/v1")
    httpx.delete(root + "/_fake/faults")
    yield fake_url
    httpx.delete(root + "/_fake/faults")
