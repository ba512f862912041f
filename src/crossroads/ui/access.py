"""Who may see the dashboard: the metering stage it reads, and the session (or master key) of each request.

Pages and the JSON endpoints take a signed session cookie (``session``); the JSON endpoints also take
``Authorization: Bearer <master key>`` for scripts. A key with the ``admin`` or ``viewer`` role signs in
with the key itself; its session ends as soon as the key is revoked, expires or loses its role.
"""

from __future__ import annotations

import hmac
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.requests import Request

from crossroads.api.deps import gateway
from crossroads.errors import AuthenticationFailed, NotFound, PermissionDenied
from crossroads.metering.auth import presented_key
from crossroads.ui.session import COOKIE, CSRF_FIELD, CSRF_HEADER, Session, Signer

if TYPE_CHECKING:
    from crossroads.config import Settings
    from crossroads.metering.access import Metering

MASTER = "master"


@dataclass(frozen=True, slots=True)
class Viewer:
    """A request the dashboard answers: the metering stage, the settings, who asks and how to sign for them."""

    stage: Metering
    settings: Settings
    session: Session
    signer: Signer

    @property
    def csrf(self) -> str:
        return self.signer.csrf(self.session)


def metering(request: Request) -> tuple[Metering, Settings]:
    """The gateway's metering stage (the dashboard reads nothing else of the request path)."""
    gw = gateway(request)
    stage = gw.metering
    if stage is None or not gw.settings.ui.enabled:
        raise NotFound("The dashboard needs metering: set metering.enabled: true in crossroads.yaml (and ui.enabled).")
    return stage, gw.settings


def signer(settings: Settings) -> Signer:
    """The session signer; PermissionDenied naming the fix when no master key is set."""
    env = settings.metering.master_key_env
    master = os.environ.get(env)
    if not master:
        raise PermissionDenied(
            f"The dashboard needs the master key, and none is set: set {env} in the gateway's environment."
        )
    return Signer(master)


def is_master(given: str, settings: Settings) -> bool:
    master = os.environ.get(settings.metering.master_key_env) or ""
    return bool(master and given) and hmac.compare_digest(given.encode(), master.encode())


def viewer(request: Request, *, bearer: bool = False) -> Viewer:
    """The signed-in viewer of this request; AuthenticationFailed when there is none.
    ``bearer``: the master key in ``Authorization`` counts too (the JSON endpoints)."""
    stage, settings = metering(request)
    sign = signer(settings)
    given = presented_key(request.headers) if bearer else None
    if given:
        if not is_master(given, settings):
            raise AuthenticationFailed(
                "The dashboard's API needs the master key: 'Authorization: Bearer <master key>'."
            )
        return Viewer(stage, settings, Session(MASTER, "master key", MASTER, float("inf"), "bearer"), sign)
    session = sign.read(request.cookies.get(COOKIE))
    if session is None or not still_valid(stage, session):
        raise AuthenticationFailed("Sign in to the dashboard at /ui/login (with the master key or a key with a role).")
    return Viewer(stage, settings, session, sign)


def still_valid(stage: Metering, session: Session) -> bool:
    """The master's session holds until it ends; a key's only while the key is active and keeps its role."""
    if session.subject == MASTER:
        return session.role == MASTER
    key = next((k for k in stage.key_records() if k.id == session.subject), None)
    from crossroads.metering.keys import utcnow

    return key is not None and key.role == session.role and not key.expired(utcnow())


def require(view: Viewer, role: str, what: str) -> None:
    if not view.session.may(role):
        raise PermissionDenied(f"{what} needs the {role} role or the master key; you signed in as {view.session.role}.")


async def check_csrf(request: Request, view: Viewer, form_token: str | None = None) -> None:
    """A change made with the session cookie must carry the page's CSRF token (form field or header)."""
    if view.session.subject == MASTER and view.session.nonce == "bearer":
        return  # the master key itself was sent: no cookie involved
    token = form_token if form_token is not None else request.headers.get(CSRF_HEADER)
    if not view.signer.csrf_ok(view.session, token):
        raise PermissionDenied(
            f"This change lacks the page's CSRF token ({CSRF_FIELD}); reload the page and try again."
        )
