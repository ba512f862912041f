"""Who may see and change what: sign-in answers (wrong, missing or unset master key), the session cookie
(tampered, ended), CSRF and cross-site posts, roles, and the JSON endpoints' own auth — never a traceback."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from crossroads.api import create_app
from crossroads.metering.keys import create_key, revoke_key
from crossroads.ui.session import COOKIE, Signer
from tests.ui.conftest import MASTER, stack_settings


@pytest.fixture
async def http(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[httpx.AsyncClient]:
    monkeypatch.setenv("CROSSROADS_MASTER_KEY", MASTER)
    settings = stack_settings("http://127.0.0.1:9", "http://127.0.0.1:9", f"sqlite:///{tmp_path / 'l.db'}")
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
            client.app = app  # type: ignore[attr-defined]
            yield client


def engine(http: httpx.AsyncClient) -> Any:
    return http.app.state.gateway.metering.store  # type: ignore[attr-defined]


async def sign_in(http: httpx.AsyncClient, key: str = MASTER) -> httpx.Response:
    return await http.post("/ui/login", data={"key": key, "next": "/ui/keys"})


def csrf_of(page: str) -> str:
    return page.split('name="csrf-token" content="')[1].split('"')[0]


async def test_wrong_and_empty_keys_get_the_sign_in_page_with_a_message(http: httpx.AsyncClient) -> None:
    wrong = await sign_in(http, "sk-wrong")
    assert wrong.status_code == 401 and "text/html" in wrong.headers["content-type"]
    assert "neither the master key nor an active key with a dashboard role" in wrong.text
    empty = await sign_in(http, "")
    assert empty.status_code == 401 and "Enter the master key" in empty.text
    assert COOKIE not in http.cookies
    for answer in (wrong, empty):
        assert "Traceback" not in answer.text and 'id="key"' in answer.text


async def test_unset_master_key_and_metering_off_are_explained(
    http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.delenv("CROSSROADS_MASTER_KEY")
    answer = await http.get("/ui/login")
    assert answer.status_code == 403 and "set CROSSROADS_MASTER_KEY" in answer.text
    answer = await sign_in(http, "anything")
    assert answer.status_code == 403 and "set CROSSROADS_MASTER_KEY" in answer.text
    off = create_app(stack_settings("http://127.0.0.1:9", "http://127.0.0.1:9", "sqlite://").model_copy())
    off.state.gateway.settings = off.state.gateway.settings.model_copy(
        update={"metering": off.state.gateway.settings.metering.model_copy(update={"enabled": False})}
    )
    off.state.gateway.metering = None
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=off), base_url="http://gw") as plain:
        page = await plain.get("/ui/login")
        assert page.status_code == 404 and "metering.enabled: true" in page.text
        api = await plain.get("/admin/api/overview")
        assert api.status_code == 404 and api.json()["error"]["message"].startswith("The dashboard needs metering")


async def test_session_cookie_is_signed_http_only_and_strict(http: httpx.AsyncClient) -> None:
    answer = await sign_in(http)
    assert answer.status_code == 303 and answer.headers["location"] == "/ui/keys"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert (await http.get("/ui")).status_code == 200
    value = http.cookies[COOKIE]
    body, signature = value.split(".")
    http.cookies.set(COOKIE, body[:-2] + "xx." + signature)
    refused = await http.get("/ui")
    assert refused.status_code == 303 and refused.headers["location"].startswith("/ui/login")
    _, ended = Signer(MASTER).issue("master", "master key", "master", -1)
    http.cookies.set(COOKIE, ended)
    assert (await http.get("/ui")).status_code == 303
    _, other = Signer("another-master-key").issue("master", "master key", "master", 3600)
    http.cookies.set(COOKIE, other)
    assert (await http.get("/ui")).status_code == 303


async def test_changes_need_the_csrf_token_and_the_same_site(http: httpx.AsyncClient) -> None:
    await sign_in(http)
    page = await http.get("/ui/keys")
    token = csrf_of(page.text)
    forged = await http.post("/ui/keys/create", data={"name": "x"})
    assert forged.status_code == 403 and "CSRF token" in forged.text
    cross = await http.post("/ui/keys/create", data={"name": "x", "csrf": token}, headers={"origin": "http://evil"})
    assert cross.status_code == 403 and "another site" in cross.text
    made = await http.post("/ui/keys/create", data={"name": "team-b", "budget": "3", "csrf": token})
    assert made.status_code == 201 and "shown <b>this once</b>" in made.text
    bad = await http.post("/ui/keys/create", data={"name": "t", "budget": "-1", "csrf": token})
    assert bad.status_code == 400 and "non-negative amount" in bad.text
    api = await http.patch("/admin/api/keys/team-b", json={"budget": "9"})
    assert api.status_code == 403 and api.json()["error"]["type"] == "permission_error"
    api = await http.patch("/admin/api/keys/team-b", json={"budget": "9"}, headers={"x-csrf-token": token})
    assert api.status_code == 200 and api.json()["budget"] == "9"


async def test_json_endpoints_take_the_master_key_or_a_session(http: httpx.AsyncClient) -> None:
    assert (await http.get("/admin/api/overview")).status_code == 401
    wrong = await http.get("/admin/api/overview", headers={"authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.json()["error"]["type"] == "authentication_error"
    right = await http.get("/admin/api/overview?range=7d", headers={"authorization": f"Bearer {MASTER}"})
    assert right.status_code == 200 and right.json()["range"]["name"] == "7d"
    bad = await http.get("/admin/api/overview?range=forever", headers={"authorization": f"Bearer {MASTER}"})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "range"
    verified = await http.post("/admin/api/audit/verify", headers={"authorization": f"Bearer {MASTER}"})
    assert verified.status_code == 200 and verified.json()["ok"] is True


async def test_roles_viewer_reads_admin_changes_only_master_grants(http: httpx.AsyncClient) -> None:
    _, viewer = create_key(engine(http), "watcher", role="viewer")
    _, admin = create_key(engine(http), "operator", role="admin")
    _, plain = create_key(engine(http), "app")
    await http.app.state.gateway.metering.keys_changed()  # type: ignore[attr-defined]
    refused = await sign_in(http, plain)
    assert refused.status_code == 401 and "has no dashboard role" in refused.text
    assert (await sign_in(http, viewer)).status_code == 303
    page = await http.get("/ui/keys")
    assert page.status_code == 200 and 'id="create-key"' not in page.text
    denied = await http.post("/ui/keys/create", data={"name": "x", "csrf": csrf_of(page.text)})
    assert denied.status_code == 403 and "needs the admin role" in denied.text
    revoke_key(engine(http), "watcher")
    await http.app.state.gateway.metering.keys_changed()  # type: ignore[attr-defined]
    assert (await http.get("/ui")).status_code == 303  # the key's session ended with it
    http.cookies.clear()
    assert (await sign_in(http, admin)).status_code == 303
    token = csrf_of((await http.get("/ui/keys")).text)
    granted = await http.post("/ui/keys/create", data={"name": "x", "role": "admin", "csrf": token})
    assert granted.status_code == 403 and "Only the master key" in granted.text
    made = await http.post("/ui/keys/create", data={"name": "y", "csrf": token})
    assert made.status_code == 201


def test_signer_refuses_altered_and_ended_sessions() -> None:
    signer = Signer(MASTER)
    session, cookie = signer.issue("key_1", "ops", "viewer", 60)
    read = signer.read(cookie)
    assert read is not None and (read.subject, read.role, read.nonce) == ("key_1", "viewer", session.nonce)
    assert signer.read(cookie + "x") is None and signer.read(None) is None and signer.read("a.b.c") is None
    assert signer.csrf_ok(session, signer.csrf(session)) and not signer.csrf_ok(session, "0" * 64)
    _, old = signer.issue("key_1", "ops", "viewer", -(time.time() % 5 + 1))
    assert signer.read(old) is None


async def test_sign_out_ends_the_session(http: httpx.AsyncClient) -> None:
    await sign_in(http)
    token = csrf_of((await http.get("/ui")).text)
    answer = await http.post("/ui/logout", data={"csrf": token})
    assert answer.status_code == 303 and answer.headers["location"] == "/ui/login"
    assert 'crossroads_session=""' in answer.headers["set-cookie"] and COOKIE not in http.cookies
    assert (await http.get("/ui")).status_code == 303


async def test_repeated_wrong_sign_ins_are_slowed_down(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSROADS_MASTER_KEY", MASTER)
    settings = stack_settings("http://127.0.0.1:9", "http://127.0.0.1:9", f"sqlite:///{tmp_path / 'l.db'}")
    metering = settings.metering.model_copy(update={"unauthenticated_per_minute": 2})
    app = create_app(settings.model_copy(update={"metering": metering}))
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
            answers = [await client.post("/ui/login", data={"key": f"guess-{i}"}) for i in range(3)]
    assert [a.status_code for a in answers] == [401, 401, 429]
    assert "Too many requests without a valid API key" in answers[2].text
