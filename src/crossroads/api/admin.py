"""Admin endpoints (keys, audit), guarded by the master key from the environment.

GET    /admin/keys             the keys (never their plaintext or hash)
POST   /admin/keys             {"name", "budget", "period", "rpm", "tpm", "models"} -> the key, shown once
DELETE /admin/keys/{key}       revoke by id or name
GET    /admin/audit/verify     check the hash chain
"""

from __future__ import annotations

import asyncio
import hmac
import os
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from crossroads.api.body import parse_json, read_body
from crossroads.api.deps import RawRoute, gateway
from crossroads.api.responses import json_response
from crossroads.errors import AuthenticationFailed, InvalidRequest, NotFound, PermissionDenied

if TYPE_CHECKING:
    from crossroads.metering.stage import MeteringStage

router = APIRouter(route_class=RawRoute)
ADMIN_BODY_BYTES = 65536


def _admin(request: Request) -> MeteringStage:
    """The metering stage, once the request proved it holds the master key."""
    from crossroads.metering.auth import presented_key
    from crossroads.metering.stage import find

    gw = gateway(request)
    stage = find(gw)
    if stage is None:
        raise NotFound("Admin endpoints need metering: set metering.enabled: true in crossroads.yaml.")
    env = gw.settings.metering.master_key_env
    master = os.environ.get(env)
    if not master:
        raise PermissionDenied(f"The admin API is off: set {env} in the gateway's environment to enable it.")
    given = presented_key(request.headers)
    if not given or not hmac.compare_digest(given.encode(), master.encode()):
        raise AuthenticationFailed("Admin endpoints need the master key: 'Authorization: Bearer <master key>'.")
    return stage


@router.get("/admin/keys", tags=["admin"])
async def list_keys(request: Request) -> Response:
    from crossroads.metering.keys import list_keys

    stage = _admin(request)
    keys = await asyncio.to_thread(list_keys, stage.engine, request.query_params.get("all") == "true")
    return json_response({"object": "list", "data": [k.public() for k in keys]})


@router.post("/admin/keys", tags=["admin"])
async def create_key(request: Request) -> Response:
    from crossroads.metering.keys import create_key

    stage = _admin(request)
    spec = _key_spec(parse_json(await read_body(request, ADMIN_BODY_BYTES)))
    key, plaintext = await asyncio.to_thread(create_key, stage.engine, **spec)
    await stage.keys.reread()
    return json_response({**key.public(), "key": plaintext}, status=201)


@router.delete("/admin/keys/{key}", tags=["admin"])
async def revoke_key(request: Request, key: str) -> Response:
    from crossroads.metering.keys import revoke_key

    stage = _admin(request)
    record = await asyncio.to_thread(revoke_key, stage.engine, key)
    await stage.keys.reread()
    return json_response(record.public())


@router.get("/admin/audit/verify", tags=["admin"])
async def verify_audit(request: Request) -> Response:
    from crossroads.metering.audit_verify import verify

    stage = _admin(request)
    verdict = await asyncio.to_thread(verify, stage.engine)
    body = {"ok": verdict.ok, "entries": verdict.entries, "ledger_rows": verdict.ledger_rows}
    return json_response({**body, "head": verdict.head_hash, "problems": verdict.problems})


def _key_spec(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict) or not isinstance(data.get("name"), str) or not data["name"]:
        raise InvalidRequest('A key needs a name: {"name": "team-a", …}.', param="name")
    spec: dict[str, Any] = {"name": data["name"], "period": data.get("period", "month")}
    if spec["period"] not in ("day", "week", "month", "total"):
        raise InvalidRequest("period must be day, week, month or total.", param="period")
    if data.get("budget") is not None:
        spec["budget"] = _amount(data["budget"])
    for field in ("rpm", "tpm"):
        value = data.get(field)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise InvalidRequest(f"{field} must be a positive integer.", param=field)
        spec[field] = value
    models = data.get("models")
    if models is not None and (not isinstance(models, list) or not all(isinstance(m, str) for m in models)):
        raise InvalidRequest("models must be a list of model names.", param="models")
    spec["models"] = models
    return spec


def _amount(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value)) if not isinstance(value, bool) else Decimal("NaN")
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount < 0:
        raise InvalidRequest('budget must be a non-negative amount in USD, e.g. "50".', param="budget")
    return amount
