"""The master key: who may use the admin API and read the operational details (/metrics, /ready's
per-backend reasons and breakers).

The key lives in the gateway's environment (``metering.master_key_env``, CROSSROADS_MASTER_KEY by
default), never in the file; it is compared in constant time. ``server.ops_access: open`` lets anyone
who reaches the port read the operational details — for a port only a trusted network or a proxy that
guards /metrics can reach.
"""

from __future__ import annotations

import hmac
import os

from starlette.requests import Request

from crossroads.config import Settings
from crossroads.errors import AuthenticationFailed, PermissionDenied
from crossroads.metering.auth import presented_key


def holds_master(request: Request, settings: Settings) -> bool:
    master = os.environ.get(settings.metering.master_key_env)
    given = presented_key(request.headers)
    return bool(master and given) and hmac.compare_digest(str(given).encode(), str(master).encode())


def require_master(request: Request, settings: Settings, what: str) -> None:
    """Raise 403 when no master key is set, 401 when the request does not carry it."""
    env = settings.metering.master_key_env
    if not os.environ.get(env):
        raise PermissionDenied(f"{what} needs the master key, and none is set: set {env} in the gateway's environment.")
    if not holds_master(request, settings):
        raise AuthenticationFailed(f"{what} needs the master key: 'Authorization: Bearer <master key>'.")


def may_read_ops(request: Request, settings: Settings) -> bool:
    return settings.server.ops_access == "open" or holds_master(request, settings)


def require_ops(request: Request, settings: Settings, what: str) -> None:
    if settings.server.ops_access != "open":
        require_master(request, settings, what + " (or server.ops_access: open)")
