"""What each page shows, as one function per page (run in a worker thread: they read the database), shared by
the HTML pages (``pages``) and the JSON endpoints (``api``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from crossroads.ui import keys_view, lab_view, ops_view, queries
from crossroads.ui.access import Viewer
from crossroads.ui.ranges import Range, parse


@dataclass(frozen=True, slots=True)
class View:
    template: str
    title: str
    ranged: bool
    compute: Callable[[Viewer, Range, dict[str, Any]], dict[str, Any]]


def _db(fn: Callable[..., dict[str, Any]]) -> Callable[[Viewer, Range, dict[str, Any]], dict[str, Any]]:
    def run(view: Viewer, r: Range, live: dict[str, Any]) -> dict[str, Any]:
        with view.stage.store.connect() as conn:
            return fn(conn, r)

    return run


VIEWS: dict[str, View] = {
    "overview": View("overview.html", "Overview", True, _db(queries.overview)),
    "privacy": View("privacy.html", "Privacy", True, _db(queries.privacy)),
    "keys": View("keys.html", "Keys and budgets", True, _db(keys_view.keys)),
    "routing": View(
        "routing.html",
        "Routing",
        True,
        lambda view, r, live: _routing(view, r, live),
    ),
    "lab": View("lab.html", "Lab", False, lambda view, r, live: lab_view.lab_page(view.settings.ui)),
    "audit": View("audit.html", "Audit", False, _db(lambda conn, r: ops_view.audit_page(conn))),
}


def _routing(view: Viewer, r: Range, live: dict[str, Any]) -> dict[str, Any]:
    with view.stage.store.connect() as conn:
        return ops_view.routing_page(conn, r, live.get("breakers") or {})


def live_state(gateway: Any) -> dict[str, Any]:
    """What the running gateway knows and the database does not (read on the event loop, before the thread)."""
    return {"breakers": gateway.router.breakers()}


def compute(name: str, view: Viewer, params: Mapping[str, str], live: dict[str, Any]) -> tuple[Range, dict[str, Any]]:
    r = parse(params.get("range"))
    return r, VIEWS[name].compute(view, r, live)
