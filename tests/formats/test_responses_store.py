"""Stored responses: previous_response_id, GET and DELETE /v1/responses/{id}, expiry — and what is kept is
what the guard let out (placeholders), never the values the client sent and got back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openai
import pytest
from sqlalchemy.orm import Session

from crossroads.config import Settings, parse_settings
from crossroads.errors import NotFound
from crossroads.formats.responses_store import ResponseStore
from crossroads.metering.keys import create_key
from crossroads.store import make_engine, upgrade
from crossroads.store.models import StoredResponse
from tests.formats.conftest import gateway_client
from tests.formats.spec import check_response
from tests.privacy.conftest import EchoBackend

EMAIL = "john.smith@example.com"


def echo_settings(tmp_path: Path, storage: str = "database", **responses: Any) -> Settings:
    return parse_settings(
        {
            "backends": {"local": {"type": "embedded"}},
            "models": {"echo": {"backend": "local"}},
            "privacy": {"default": {"EMAIL_ADDRESS": "pseudonymize"}},
            "responses": {"storage": storage, "database_url": f"sqlite:///{tmp_path / 'kept.db'}", **responses},
        },
        "test",
    )


async def test_a_conversation_continues_from_what_was_kept(tmp_path: Path) -> None:
    echo = EchoBackend()
    async with gateway_client(echo_settings(tmp_path), {"local": echo}) as (client, http):
        first = await client.responses.create(model="echo", input=f"Write to {EMAIL} today")
        second = await client.responses.create(model="echo", input="And again", previous_response_id=first.id)
        kept = (await http.get(f"/v1/responses/{first.id}")).json()
        items = (await http.get(f"/v1/responses/{second.id}/input_items")).json()
    assert EMAIL in first.output_text and first.store is True  # the client gets its value back
    check_response(kept)
    assert (
        kept["id"] == first.id
        and EMAIL not in str(kept)
        and "<EMAIL_ADDRESS" in kept["output"][0]["content"][0]["text"]
    )
    assert second.previous_response_id == first.id
    sent = echo.calls[-1]["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "user"]
    assert "<EMAIL_ADDRESS" in sent[0]["content"] and EMAIL not in str(sent)
    assert [(i.get("type"), i.get("role")) for i in items["data"]] == [
        (None, "user"),
        ("message", "assistant"),
        (None, "user"),
    ]
    assert EMAIL not in str(items)


async def test_a_stream_is_kept_too_and_delete_removes_it(tmp_path: Path) -> None:
    async with gateway_client(echo_settings(tmp_path), {"local": EchoBackend()}) as (client, http):
        async with client.responses.stream(model="echo", input=f"Mail {EMAIL}") as stream:
            final = await stream.get_final_response()
        kept = await client.responses.retrieve(final.id)
        deleted = await http.delete(f"/v1/responses/{final.id}")
        gone = await http.get(f"/v1/responses/{final.id}")
        with pytest.raises(openai.NotFoundError):
            await client.responses.create(model="echo", input="x", previous_response_id=final.id)
    assert EMAIL in final.output_text and EMAIL not in kept.output_text and "<EMAIL_ADDRESS" in kept.output_text
    assert deleted.json() == {"id": final.id, "object": "response.deleted", "deleted": True}
    assert gone.status_code == 404 and gone.json()["error"]["type"] == "invalid_request_error"


async def test_store_false_keeps_nothing(tmp_path: Path) -> None:
    async with gateway_client(echo_settings(tmp_path), {"local": EchoBackend()}) as (client, http):
        answer = await client.responses.create(model="echo", input="hello", store=False)
        missing = await http.get(f"/v1/responses/{answer.id}")
    assert answer.store is False and missing.status_code == 404


async def test_storage_off_says_so(tmp_path: Path) -> None:
    async with gateway_client(echo_settings(tmp_path, "off"), {"local": EchoBackend()}) as (client, http):
        answer = await client.responses.create(model="echo", input="hello")
        refused = await http.post(
            "/v1/responses", json={"model": "echo", "input": "x", "previous_response_id": answer.id}
        )
    assert answer.store is False
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "responses_not_stored"


def test_kept_responses_expire(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'kept.db'}")
    upgrade(engine)
    store = ResponseStore(engine, ttl_hours=1e-9)
    store.put(None, "echo", [{"role": "user", "content": "hi"}], {"id": "resp_1", "output": []})
    with pytest.raises(NotFound, match="not found"):
        store.get("resp_1", None)
    assert store.sweep() == 1
    with Session(engine) as db:
        assert db.get(StoredResponse, "resp_1") is None


def test_a_kept_response_belongs_to_its_key(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'kept.db'}")
    upgrade(engine)
    store = ResponseStore(engine, ttl_hours=1)
    store.put("key_a", "echo", [], {"id": "resp_2", "output": []})
    assert store.get("resp_2", "key_a").response["id"] == "resp_2"
    for other in ("key_b", None):
        with pytest.raises(NotFound, match="not found"):
            store.get("resp_2", other)


async def test_only_the_key_that_made_a_response_sees_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    engine = make_engine(url)
    upgrade(engine)
    _, mine = create_key(engine, "mine")
    _, theirs = create_key(engine, "theirs")
    raw = {
        "backends": {"local": {"type": "embedded"}},
        "models": {"echo": {"backend": "local"}},
        "metering": {"enabled": True, "database_url": url},
        "responses": {"storage": "database"},  # in the ledger's database
    }
    as_mine, as_theirs = {"authorization": f"Bearer {mine}"}, {"authorization": f"Bearer {theirs}"}
    async with gateway_client(parse_settings(raw, "test"), {"local": EchoBackend()}) as (_, http):
        made = (await http.post("/v1/responses", json={"model": "echo", "input": "hi"}, headers=as_mine)).json()
        seen = await http.get(f"/v1/responses/{made['id']}", headers=as_mine)
        hidden = await http.get(f"/v1/responses/{made['id']}", headers=as_theirs)
        borrowed = await http.post(
            "/v1/responses", json={"model": "echo", "input": "x", "previous_response_id": made["id"]}, headers=as_theirs
        )
        anonymous = await http.get(f"/v1/responses/{made['id']}")
    assert seen.status_code == 200 and seen.json()["id"] == made["id"]
    assert hidden.status_code == 404 and borrowed.status_code == 404 and anonymous.status_code == 401
