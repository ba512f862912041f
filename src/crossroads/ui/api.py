"""The dashboard's JSON endpoints (``/admin/api/…``): what each page shows, for its live refresh and for
scripts. A signed-in session (cookie) or ``Authorization: Bearer <master key>``; changes made with the cookie
carry the page's CSRF token in ``x-csrf-token``.

GET   /admin/api/{overview,privacy,keys,routing}?range=24h   a page's numbers over a range
GET   /admin/api/lab, /admin/api/audit                        runs and report; chain head and verifications
POST  /admin/api/audit/verify                                 walk the chain now (admin role)
PATCH /admin/api/keys/{key}  {"budget": "50" | null, "period": "month"}   change a budget (admin role)
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from enum import Enum
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from crossroads.api.body import parse_json, read_body
from crossroads.api.deps import RawRoute, gateway
from crossroads.api.replies import json_response
from crossroads.errors import InvalidRequest
from crossroads.metering.audit_verify import verdict_json, verify_and_record
from crossroads.ui import forms
from crossroads.ui.access import check_csrf, require, viewer
from crossroads.ui.views import compute, live_state

router = APIRouter(route_class=RawRoute)
TAGS: list[str | Enum] = ["dashboard"]


async def _read(request: Request, name: str) -> Response:
    view = viewer(request, bearer=True)
    _, data = await asyncio.to_thread(compute, name, view, request.query_params, live_state(gateway(request)))
    return json_response(data)


def _reader(name: str) -> Callable[[Request], Any]:
    async def handler(request: Request) -> Response:
        return await _read(request, name)

    handler.__name__ = f"dashboard_{name}"
    handler.__doc__ = f"The {name} page's numbers."
    return handler


for _name in ("overview", "privacy", "keys", "routing", "lab", "audit"):
    router.add_api_route(f"/admin/api/{_name}", _reader(_name), methods=["GET"], tags=TAGS)


@router.post("/admin/api/audit/verify", tags=TAGS)
async def verify_audit_now(request: Request) -> Response:
    """Walk the audit chain now and keep the verdict."""
    view = viewer(request, bearer=True)
    await check_csrf(request, view)
    require(view, "admin", "Verifying the audit chain")
    verdict = await asyncio.to_thread(verify_and_record, view.stage.store, view.session.name)
    return json_response(verdict_json(verdict))


@router.patch("/admin/api/keys/{key}", tags=TAGS)
async def change_key_budget(request: Request, key: str) -> Response:
    """Change a key's budget and period."""
    from crossroads.metering.keys import set_budget

    view = viewer(request, bearer=True)
    await check_csrf(request, view)
    require(view, "admin", "Changing a budget")
    data = parse_json(await read_body(request, forms.FORM_BYTES))
    if not isinstance(data, dict) or "budget" not in data:
        raise InvalidRequest('Send {"budget": "50"} (USD, or null for none) and optionally "period".', param="budget")
    budget = data["budget"]
    if budget is not None and (isinstance(budget, bool) or not isinstance(budget, (str, int, float))):
        raise InvalidRequest("budget must be an amount in USD or null.", param="budget")
    amount = None if budget is None else forms.amount(str(budget))
    period = forms.period(data.get("period") or "month") if data.get("period") is not None else None
    record = await asyncio.to_thread(set_budget, view.stage.store, key, amount, period)
    await view.stage.keys_changed()
    return json_response(record.public())


RANGE = {"name": "range", "in": "query", "required": False,
         "schema": {"enum": ["1h", "6h", "24h", "7d", "30d", "today", "month"], "default": "24h"}}  # fmt: skip
ROWS = {"type": "array", "items": {"type": "object"}}
MONEY = {"type": "string", "description": "USD as a decimal string"}
SCHEMAS: dict[str, dict[str, Any]] = {
    "overview": {"requests": {"type": "integer"}, "errors": {"type": "integer"}, "spend": MONEY,
                 "spend_today": MONEY, "spend_month": MONEY, "latency_ms": {"type": "object"},
                 "ttft_ms": {"type": "object"}, "errors_by_type": ROWS, "by_model": ROWS, "by_backend": ROWS,
                 "by_key": ROWS, "series": {"type": "object"}},
    "privacy": {"requests": {"type": "integer"}, "kept_local": {"type": "integer"}, "blocked": {"type": "integer"},
                "kept_local_share": {"type": "number"}, "by_action": {"type": "object"}, "entity_types": ROWS,
                "over_time": ROWS},
    "keys": {"keys": ROWS, "inactive": ROWS},
    "routing": {"breakers": ROWS, "over_time": ROWS, "shadows": ROWS},
    "lab": {"runs_dir": {"type": "string"}, "runs": ROWS, "report": {"type": "object"}},
    "audit": {"head": {"type": ["object", "null"]}, "checks": ROWS},
}  # fmt: skip


def answers(admin: tuple[str, ...]) -> dict[tuple[str, str], tuple[str, Callable[[], Any], tuple[str, ...]]]:
    """The OpenAPI answers of these endpoints (``crossroads.api.openapi``)."""

    def schema(props: dict[str, Any]) -> Callable[[], Any]:
        return lambda: {"type": "object", "properties": props}

    found = {(f"/admin/api/{n}", "get"): ("200", schema(p), admin) for n, p in SCHEMAS.items()}
    found[("/admin/api/audit/verify", "post")] = ("200", schema({"ok": {"type": "boolean"}}), admin)
    found[("/admin/api/keys/{key}", "patch")] = ("200", schema({"id": {"type": "string"}}), (*admin, "413"))
    return found


def add_range_parameter(doc_paths: dict[str, Any]) -> None:
    for name in ("overview", "privacy", "keys", "routing"):
        op = doc_paths.get(f"/admin/api/{name}", {}).get("get")
        if op is not None:
            op["parameters"] = [RANGE]
