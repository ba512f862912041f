"""Admin endpoints (keys, audit), guarded by the master key from the environment.

GET    /admin/keys             the keys (never their plaintext or hash)
POST   /admin/keys             {"name", "budget", "period", "rpm", "tpm", "models", "expires_at"} -> the key, shown once
DELETE /admin/keys/{key}       revoke by id or name
POST   /admin/keys/{key}/rotate  {"grace_seconds": 86400} -> the new key, shown once; the old one expires then
GET    /admin/audit/verify     check the hash chain
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from crossroads.api.body import parse_json, read_body
from crossroads.api.deps import RawRoute, gateway
from crossroads.api.master import require_master
from crossroads.api.replies import json_response
from crossroads.errors import InvalidRequest, NotFound

if TYPE_CHECKING:
    from crossroads.metering.access import Metering

router = APIRouter(route_class=RawRoute)
ADMIN_BODY_BYTES = 65536


def _admin(request: Request) -> Metering:
    """The gateway's metering, once the request proved it holds the master key."""
    gw = gateway(request)
    if gw.metering is None:
        raise NotFound("Admin endpoints need metering: set metering.enabled: true in crossroads.yaml.")
    require_master(request, gw.settings, "The admin API")
    return gw.metering


@router.get("/admin/keys", tags=["admin"])
async def list_keys(request: Request) -> Response:
    from crossroads.metering.keys import list_keys

    metering = _admin(request)
    keys = await asyncio.to_thread(list_keys, metering.store, request.query_params.get("all") == "true")
    return json_response({"object": "list", "data": [k.public() for k in keys]})


@router.post("/admin/keys", tags=["admin"])
async def create_key(request: Request) -> Response:
    from crossroads.metering.keys import create_key

    metering = _admin(request)
    spec = _key_spec(parse_json(await read_body(request, ADMIN_BODY_BYTES)))
    key, plaintext = await asyncio.to_thread(create_key, metering.store, **spec)
    await metering.keys_changed()
    return json_response({**key.public(), "key": plaintext}, status=201)


@router.delete("/admin/keys/{key}", tags=["admin"])
async def revoke_key(request: Request, key: str) -> Response:
    from crossroads.metering.keys import revoke_key

    metering = _admin(request)
    record = await asyncio.to_thread(revoke_key, metering.store, key)
    await metering.keys_changed()
    return json_response(record.public())


@router.post("/admin/keys/{key}/rotate", tags=["admin"])
async def rotate_key(request: Request, key: str) -> Response:
    from crossroads.metering.keys import rotate_key

    metering = _admin(request)
    data = parse_json(await read_body(request, ADMIN_BODY_BYTES) or b"{}")
    grace = data.get("grace_seconds", 86400) if isinstance(data, dict) else None
    if not isinstance(grace, int) or isinstance(grace, bool) or grace < 0:
        raise InvalidRequest("grace_seconds must be a non-negative whole number of seconds.", param="grace_seconds")
    old, new, plaintext = await asyncio.to_thread(rotate_key, metering.store, key, timedelta(seconds=grace))
    await metering.keys_changed()
    return json_response({**new.public(), "key": plaintext, "replaces": old.public()}, status=201)


@router.get("/admin/audit/verify", tags=["admin"])
async def verify_audit(request: Request) -> Response:
    from crossroads.metering.audit_verify import verify

    metering = _admin(request)
    verdict = await asyncio.to_thread(verify, metering.store)
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
    if data.get("expires_at") is not None:
        spec["expires_at"] = _when(data["expires_at"])
    return spec


def _when(value: Any) -> datetime:
    """An ISO 8601 time as naive UTC (a time without an offset is taken as UTC)."""
    try:
        when = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        when = None
    if when is None:
        raise InvalidRequest('expires_at must be an ISO 8601 time, e.g. "2027-01-31T00:00:00Z".', param="expires_at")
    return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when


def _amount(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value)) if not isinstance(value, bool) else Decimal("NaN")
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount < 0:
        raise InvalidRequest('budget must be a non-negative amount in USD, e.g. "50".', param="budget")
    return amount
