"""URLs that carry no secrets: what config refuses, and how a URL is shown in a message or a log.

Credentials belong in the environment (``api_key_env``, ``headers_env``, ``database_url_env``), never
in the file: config refuses a URL with user info (``http://admin:pw@host``) or a secret-looking query
parameter (``?key=…``), and a literal header whose name looks like it carries a secret. Every message
that shows a URL shows it without user info, query and fragment (``safe_url``, ``scrub``).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

SECRET_WORDS = frozenset(
    {"sig", "signature", "cookie", "password", "passwd", "pwd", "credential", "credentials", "session"}
)
SECRET_PARTS = ("auth", "key", "token", "secret")  # api_key, x-api-key, apikey, access_token, x-auth …
URL_IN_TEXT = re.compile(r"[a-z][a-z0-9+.-]*://[^\s'\"<>]+", re.IGNORECASE)


def safe_url(url: str) -> str:
    """``scheme://host:port/path`` — no user info, query or fragment."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "<unparsable URL>"
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def scrub(text: str) -> str:
    """``text`` with every URL in it made safe."""
    return URL_IN_TEXT.sub(lambda m: safe_url(m.group(0)), text)


def url_problem(url: str) -> str | None:
    """Why this URL may not be in the config file, or None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "is not a URL"
    if parts.username or parts.password:
        return "has credentials in it (user:password@) — remove them and put the key in a variable named by api_key_env"
    names = [pair.split("=", 1)[0] for pair in parts.query.split("&") if pair]
    secret = [n for n in names if secret_name(n)]
    if secret:
        return (
            f"has a secret-looking query parameter ({', '.join(secret)}) — secrets are not read from the file; "
            "use api_key_env, or headers_env for a header from the environment"
        )
    return None


def secret_name(name: str) -> bool:
    """Does a header or parameter name look like it carries a secret? (``design`` no, ``x-api-key`` yes)"""
    words = [w for w in re.split(r"[^a-z0-9]+", name.lower()) if w]
    return any(w in SECRET_WORDS or any(p in w for p in SECRET_PARTS) for w in words)


def header_problem(name: str) -> str | None:
    if secret_name(name):
        return (
            f"'{name}' looks like it carries a secret, and secrets are not read from the file — "
            f"use headers_env: {{{name}: SOME_VARIABLE}} (or api_key_env for the API key)"
        )
    return None
