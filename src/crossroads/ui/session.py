"""The dashboard's sign-in: a signed session cookie (http-only, SameSite=Strict, Secure over https) and a
CSRF token for every form and every change made by the page's script.

The cookie holds who signed in (the master key, or the id of a key with a role), the role, when the session
ends and a random nonce — signed with HMAC-SHA256 under a secret derived from the master key, so changing the
master key ends every session, and replicas need no shared state. Nothing is kept in the browser's storage.
The CSRF token is the HMAC of the nonce: a page of another site can neither read it nor send the cookie
(SameSite=Strict), and a change without it is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

COOKIE = "crossroads_session"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
ROLES = ("master", "admin", "viewer")  # strongest first


@dataclass(frozen=True, slots=True)
class Session:
    subject: str  # "master" or a key id
    name: str  # what the page shows: "master key" or the key's name
    role: str  # master | admin | viewer
    expires: float
    nonce: str

    def may(self, role: str) -> bool:
        """True when this session's role is ``role`` or stronger."""
        return ROLES.index(self.role) <= ROLES.index(role)


class Signer:
    def __init__(self, master_key: str) -> None:
        self.secret = hmac.new(master_key.encode(), b"crossroads dashboard session", hashlib.sha256).digest()

    def issue(self, subject: str, name: str, role: str, ttl_s: float) -> tuple[Session, str]:
        session = Session(subject, name, role, time.time() + ttl_s, secrets.token_urlsafe(16))
        payload = {"s": subject, "n": name, "r": role, "e": int(session.expires), "x": session.nonce}
        body = _b64(json.dumps(payload, separators=(",", ":")).encode())
        return session, f"{body}.{self._sign(body)}"

    def read(self, cookie: str | None) -> Session | None:
        """The session the cookie stands for, or None (absent, forged, altered or ended)."""
        if not cookie or cookie.count(".") != 1:
            return None
        body, signature = cookie.split(".")
        if not hmac.compare_digest(signature, self._sign(body)):
            return None
        try:
            data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
            session = Session(str(data["s"]), str(data["n"]), str(data["r"]), float(data["e"]), str(data["x"]))
        except (ValueError, KeyError, TypeError):
            return None
        if session.role not in ROLES or session.expires < time.time():
            return None
        return session

    def csrf(self, session: Session) -> str:
        return hmac.new(self.secret, b"csrf:" + session.nonce.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, session: Session, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(str(token), self.csrf(session))

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self.secret, body.encode(), hashlib.sha256).digest())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")
