"""HTML from the package's Jinja2 templates (autoescaped), with the headers every dashboard page carries:
a Content-Security-Policy that allows only the gateway's own scripts and styles (no inline script), no
caching, no framing by other sites."""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.responses import HTMLResponse

from crossroads import __version__

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
HEADERS = {
    "content-security-policy": CSP,
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}
PAGES = (  # (path, title, menu label)
    ("/ui", "Overview", "Overview"),
    ("/ui/privacy", "Privacy", "Privacy"),
    ("/ui/keys", "Keys and budgets", "Keys & budgets"),
    ("/ui/routing", "Routing", "Routing"),
    ("/ui/lab", "Lab", "Lab"),
    ("/ui/audit", "Audit", "Audit"),
)


@cache
def environment() -> Environment:
    env = Environment(loader=PackageLoader("crossroads.ui", "templates"), autoescape=select_autoescape(default=True))
    env.globals.update(version=__version__, pages=PAGES)
    return env


def page(template: str, status: int = 200, headers: dict[str, str] | None = None, **context: Any) -> HTMLResponse:
    html = environment().get_template(template).render(**context)
    return HTMLResponse(html, status_code=status, headers={**HEADERS, **(headers or {})})
