"""A large prompt is counted in a worker thread, so the event loop keeps answering other requests."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine

from crossroads.metering import admission, tokens
from crossroads.metering.keys import create_key
from tests.metering.conftest import client_for, metered_settings, running, usage_backends


@pytest.mark.parametrize(("chars", "off_loop"), [(200, False), (admission.OFFLOAD_CHARS + 1, True)])
async def test_large_prompts_are_counted_off_the_event_loop(
    sqlite_url: str, sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch, chars: int, off_loop: bool
) -> None:
    _, plaintext = create_key(sqlite_engine, "limited", tpm=10_000_000)
    threads: list[int] = []
    count = tokens.count_prompt

    def recording(model: str, body: dict) -> int:
        threads.append(threading.get_ident())
        return count(model, body)

    monkeypatch.setattr(tokens, "count_prompt", recording)
    async with running(metered_settings(sqlite_url), usage_backends()) as (app, _):
        loop_thread = threading.get_ident()
        messages = [{"role": "user", "content": "word " * (chars // 5 + 1)}]
        reply = await client_for(app, plaintext).chat.completions.create(model="gpt-4o", messages=messages)
    assert reply.choices and threads
    assert (threads[0] != loop_thread) is off_loop
