"""The dashboard's JSON endpoints are in the OpenAPI document (with metering on), every $ref still resolves,
and the HTML pages are not listed."""

from __future__ import annotations

import json
import re

from crossroads.api import create_app
from tests.ui.conftest import stack_settings


def test_dashboard_endpoints_are_documented_without_dangling_refs(tmp_path: object) -> None:
    doc = create_app(stack_settings("http://127.0.0.1:9", "http://127.0.0.1:9", "sqlite://")).openapi()
    refs = set(re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(doc)))
    assert refs <= set(doc["components"]["schemas"])
    paths = doc["paths"]
    for name in ("overview", "privacy", "keys", "routing", "lab", "audit"):
        op = paths[f"/admin/api/{name}"]["get"]
        assert op["tags"] == ["dashboard"] and {"200", "401", "403"} <= set(op["responses"])
    assert paths["/admin/api/overview"]["get"]["parameters"][0]["name"] == "range"
    assert "post" in paths["/admin/api/audit/verify"] and "patch" in paths["/admin/api/keys/{key}"]
    assert not [p for p in paths if p.startswith("/ui")]
