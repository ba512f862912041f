"""Turn an upstream's error answer into the crossroads error tree.

4xx: passed through with its status, message, type, param and code — except 401 and 403: the upstream
refused the gateway's own credentials, which is not the client's business (its message may name the key,
the account or the organisation). The client gets 502 ``upstream_auth_failed``; the detail goes to the
server log only. 5xx: 502 naming the backend.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import orjson

from crossroads.errors import BadGateway, CrossroadsError, UpstreamStatusError
from crossroads.urls import scrub

log = logging.getLogger("crossroads.backends")
CREDENTIALS = (401, 403)


def _error_fields(raw: bytes) -> dict[str, Any]:
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return {"message": raw.decode("utf-8", "replace")[:500].strip()}
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return dict(body["error"])
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return {"message": body["error"]}
    return {"message": str(body)[:500]}


def from_response(name: str, status: int, raw: bytes, headers: Mapping[str, str]) -> CrossroadsError:
    fields = _error_fields(raw)
    message = str(fields.get("message") or f"HTTP {status}")
    if status >= 500:
        return BadGateway(scrub(f"Backend '{name}' returned HTTP {status}: {message}"))
    if status in CREDENTIALS:
        log.error("backend %s refused the gateway's credentials: HTTP %d %s", name, status, message)
        return BadGateway(
            "Upstream credentials rejected: the gateway's key for this backend is wrong or lacks access "
            "(the operator finds the detail in the server log).",
            code="upstream_auth_failed",
        )
    retry_after = headers.get("Retry-After")
    return UpstreamStatusError(
        message,
        status=status,
        type=_str(fields.get("type")),
        param=_str(fields.get("param")),
        code=_str(fields.get("code")),
        headers={"Retry-After": retry_after} if retry_after else None,
    )


def stream_error(name: str, chunk: dict[str, Any]) -> CrossroadsError:
    fields = chunk["error"] if isinstance(chunk["error"], dict) else {"message": str(chunk["error"])}
    return BadGateway(f"Backend '{name}' failed mid-stream: {fields.get('message') or fields}")


def _str(value: Any) -> str | None:
    return None if value is None else str(value)
