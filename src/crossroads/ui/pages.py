"""The dashboard's HTML pages at /ui: sign-in, the six pages, and the forms that change keys and verify the
audit chain. Every answer is a page (a problem is shown on the page that caused it, never a traceback)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import wraps
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from crossroads.api.deps import RawRoute, client_address, gateway
from crossroads.errors import AuthenticationFailed, CrossroadsError, NotFound
from crossroads.metering.audit_verify import verify_and_record
from crossroads.ui import access, forms, lab_view
from crossroads.ui.access import MASTER, Viewer, check_csrf, is_master, metering, require, signer, viewer
from crossroads.ui.ranges import NAMES
from crossroads.ui.render import page
from crossroads.ui.session import COOKIE
from crossroads.ui.views import VIEWS, compute, live_state

log = logging.getLogger("crossroads.ui")
router = APIRouter(route_class=RawRoute, include_in_schema=False)
Handler = Callable[..., Awaitable[Response]]


def as_page(handler: Handler) -> Handler:
    """A problem becomes a page: not signed in → the sign-in page; anything else → its message and status."""

    @wraps(handler)
    async def run(request: Request, **params: Any) -> Response:
        try:
            return await handler(request, **params)
        except AuthenticationFailed:
            return RedirectResponse("/ui/login?next=" + quote(request.url.path), status_code=303)
        except CrossroadsError as exc:
            return page("message.html", exc.status, title="crossroads", message=exc.message, back="/ui")

    return run


async def show(request: Request, name: str, status: int = 200, **extra: Any) -> Response:
    view = viewer(request)
    r, data = await asyncio.to_thread(compute, name, view, request.query_params, live_state(gateway(request)))
    spec = VIEWS[name]
    return page(
        spec.template,
        status,
        title=spec.title,
        who=view.session,
        csrf=view.csrf,
        data=data,
        range=r if spec.ranged else None,
        ranges=NAMES if spec.ranged else None,
        api=f"/admin/api/{name}",
        refresh=view.settings.ui.refresh_seconds if name != "lab" else 0,
        may_change=view.session.may("admin"),
        is_master=view.session.role == MASTER,
        **extra,
    )


def _page_route(path: str, name: str) -> None:
    async def handler(request: Request) -> Response:
        return await show(request, name)

    handler.__name__ = f"ui_{name}"
    router.add_api_route(path, as_page(handler), methods=["GET"])


for _path, _name in (("/ui", "overview"), ("/ui/", "overview"), ("/ui/privacy", "privacy"), ("/ui/keys", "keys"),
                     ("/ui/routing", "routing"), ("/ui/lab", "lab"), ("/ui/audit", "audit")):  # fmt: skip
    _page_route(_path, _name)


def login_page(message: str | None, status: int, target: str = "/ui") -> Response:
    return page("login.html", status, title="Sign in", message=message, next=forms.safe_next(target))


@router.get("/ui/login")
async def login_form(request: Request) -> Response:
    try:
        _, settings = metering(request)
        signer(settings)
    except NotFound as exc:
        return page("message.html", 404, title="crossroads", message=exc.message)
    except CrossroadsError as exc:
        return login_page(exc.message, exc.status)
    return login_page(None, 200, request.query_params.get("next", "/ui"))


@router.post("/ui/login")
async def login(request: Request) -> Response:
    try:
        stage, settings = metering(request)
        sign = signer(settings)
        fields = await forms.read_form(request)
    except NotFound as exc:
        return page("message.html", 404, title="crossroads", message=exc.message)
    except CrossroadsError as exc:
        return login_page(exc.message, exc.status)
    given, target = fields.get("key", "").strip(), fields.get("next", "/ui")
    if not given:
        return login_page("Enter the master key (or a key with the admin or viewer role).", 401, target)
    who = await _who(stage, settings, given)
    if isinstance(who, str):
        answer = await stage.refuse_stranger(client_address(request), AuthenticationFailed(who))
        return login_page(answer.message, answer.status, target)
    subject, name, role = who
    hours = settings.ui.session_hours
    _, cookie = sign.issue(subject, name, role, hours * 3600)
    response = RedirectResponse(forms.safe_next(target), status_code=303)
    secure = request.url.scheme == "https"
    response.set_cookie(COOKIE, cookie, max_age=int(hours * 3600), httponly=True, samesite="strict", secure=secure)
    log.info("dashboard sign-in: %s (%s)", name, role)
    return response


async def _who(stage: Any, settings: Any, given: str) -> tuple[str, str, str] | str:
    """(subject, name, role) of a key that may sign in, or why it may not."""
    if is_master(given, settings):
        return MASTER, "master key", MASTER
    try:
        key = await stage.check_key(given)
    except CrossroadsError:
        return "That key is neither the master key nor an active key with a dashboard role. Check it and try again."
    if key.role not in ("admin", "viewer"):
        return (
            f"The key '{key.name}' has no dashboard role: give it one (admin or viewer) from the Keys page, "
            "or sign in with the master key."
        )
    return key.id, key.name, key.role


@router.post("/ui/logout")
async def logout(request: Request) -> Response:
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(COOKIE, httponly=True, samesite="strict")
    try:
        view = viewer(request)
        await check_csrf(request, view, (await forms.read_form(request)).get("csrf"))
    except CrossroadsError:
        return RedirectResponse("/ui/login", status_code=303)  # no valid session: nothing to end
    return response


async def _changing(request: Request, what: str) -> tuple[Viewer, dict[str, str]]:
    view = viewer(request)
    fields = await forms.read_form(request)
    await check_csrf(request, view, fields.get("csrf"))
    require(view, "admin", what)
    return view, fields


@router.post("/ui/keys/create")
@as_page
async def create_key(request: Request) -> Response:
    from crossroads.metering.keys import create_key

    view, fields = await _changing(request, "Creating a key")
    try:
        spec = _key_fields(view, fields)
        key, secret = await asyncio.to_thread(create_key, view.stage.store, **spec)
    except CrossroadsError as exc:
        return await show(request, "keys", exc.status, problem=exc.message)
    await view.stage.keys_changed()
    return await show(request, "keys", 201, created={"key": key.public(), "secret": secret})


def _key_fields(view: Viewer, fields: dict[str, str]) -> dict[str, Any]:
    from crossroads.errors import InvalidRequest, PermissionDenied

    name = fields.get("name", "").strip()
    if not name or len(name) > 200:
        raise InvalidRequest("A key needs a name (up to 200 characters).", param="name")
    role = fields.get("role", "").strip() or None
    if role is not None and role not in ("admin", "viewer"):
        raise InvalidRequest("role must be admin, viewer or none.", param="role")
    if role is not None and view.session.role != MASTER:
        raise PermissionDenied("Only the master key may give a key a dashboard role.")
    return {
        "name": name,
        "budget": forms.amount(fields.get("budget", "")),
        "period": forms.period(fields.get("period", "month")),
        "rpm": forms.count(fields.get("rpm", ""), "rpm"),
        "tpm": forms.count(fields.get("tpm", ""), "tpm"),
        "role": role,
    }


@router.post("/ui/keys/{key}/budget")
@as_page
async def change_budget(request: Request, key: str) -> Response:
    from crossroads.metering.keys import set_budget

    view, fields = await _changing(request, "Changing a budget")
    try:
        budget, period = forms.amount(fields.get("budget", "")), forms.period(fields.get("period", "month"))
        await asyncio.to_thread(set_budget, view.stage.store, key, budget, period)
    except CrossroadsError as exc:
        return await show(request, "keys", exc.status, problem=exc.message)
    await view.stage.keys_changed()
    return RedirectResponse("/ui/keys", status_code=303)


@router.post("/ui/keys/{key}/revoke")
@as_page
async def revoke(request: Request, key: str) -> Response:
    from crossroads.metering.keys import revoke_key

    view, _ = await _changing(request, "Revoking a key")
    try:
        await asyncio.to_thread(revoke_key, view.stage.store, key)
    except CrossroadsError as exc:
        return await show(request, "keys", exc.status, problem=exc.message)
    await view.stage.keys_changed()
    return RedirectResponse("/ui/keys", status_code=303)


@router.post("/ui/audit/verify")
@as_page
async def verify(request: Request) -> Response:
    view, _ = await _changing(request, "Verifying the audit chain")
    await asyncio.to_thread(verify_and_record, view.stage.store, view.session.name)
    return RedirectResponse("/ui/audit", status_code=303)


SANDBOX = {
    "content-security-policy": "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    "frame-ancestors 'self'",
    "x-content-type-options": "nosniff",
    "cache-control": "no-store",
}


@router.get("/ui/lab/report")
@as_page
async def report(request: Request) -> Response:
    view = viewer(request)
    path = Path(view.settings.ui.report)
    if not path.is_file():
        raise NotFound(f"No decision report at {path}: write one with `crossroads report --out {path}`.")
    return FileResponse(path, media_type="text/html", headers=SANDBOX)


@router.get("/ui/lab/runs/{name}")
@as_page
async def run_page(request: Request, name: str) -> Response:
    view = viewer(request)
    path = lab_view.sibling(view.settings.ui, name)
    if path is None:
        raise NotFound(f"No result page named {name!r} in the runs folder.")
    return FileResponse(path, media_type="text/html", headers=SANDBOX)


def static() -> Mount:
    """The dashboard's own script and style, and the vendored chart library (see static/README.md)."""
    return Mount("/ui/static", StaticFiles(packages=[("crossroads.ui", "static")]), name="ui-static")


__all__ = ["access", "router", "static"]
