"""The gateway's OpenAPI document is true: every ``$ref`` resolves, statuses and bounds are the real ones,
paths that are off are absent — and a bounded schemathesis pass (every check) over a gateway on the fake
upstream is green."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from crossroads.api import create_app
from crossroads.config import Settings, parse_settings
from crossroads.testing.fake_upstream import FakeConfig, create_fake_upstream
from crossroads.testing.server import serving

SERVER = {"max_tokens": 4096, "max_messages": 16}


def gateway_settings(upstream: str, **extra: Any) -> Settings:
    raw = {
        "server": SERVER,
        "backends": {"fake": {"type": "openai_compat", "base_url": f"{upstream}/v1"}},
        "models": {"chat": {"backend": "fake", "upstream_model": "gpt-4o-mini", "aliases": ["mini"]}},
        **extra,
    }
    return parse_settings(raw, "test")


def _document(**extra: Any) -> dict[str, Any]:
    return create_app(gateway_settings("http://127.0.0.1:9", **extra)).openapi()


def test_every_ref_resolves() -> None:
    doc = _document()
    refs = set(re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(doc)))
    assert refs and refs <= set(doc["components"]["schemas"])
    assert {"ChatMessage", "Tool", "FunctionDef", "ResponseFormat", "StreamOptions", "ErrorResponse"} <= refs


def test_operations_list_the_statuses_they_return_with_the_error_schema() -> None:
    chat = _document()["paths"]["/v1/chat/completions"]["post"]
    statuses = set(chat["responses"])
    assert {"200", "400", "403", "404", "408", "413", "429", "502", "503", "504"} <= statuses
    assert "422" not in statuses and "401" not in statuses  # no keys without metering
    error = chat["responses"]["400"]["content"]["application/json"]["schema"]
    assert error == {"$ref": "#/components/schemas/ErrorResponse"}
    assert set(chat["responses"]["200"]["content"]) == {"application/json", "text/event-stream"}


def test_bounds_and_model_names_are_in_the_request_schema() -> None:
    props = _document()["paths"]["/v1/chat/completions"]["post"]["requestBody"]["content"]["application/json"]
    props = props["schema"]["properties"]
    assert props["model"]["enum"] == ["chat", "mini"]
    assert {"type": "integer", "minimum": 1, "maximum": 4096} in props["max_tokens"]["anyOf"]
    assert props["messages"]["maxItems"] == 16


def test_admin_and_metrics_appear_only_with_metering(tmp_path: Any) -> None:
    off = _document()
    on = _document(metering={"enabled": True, "database_url": f"sqlite:///{tmp_path / 'x.db'}"})
    assert not [p for p in off["paths"] if p.startswith(("/admin", "/metrics"))]
    assert {"/admin/keys", "/admin/keys/{key}", "/admin/audit/verify", "/metrics"} <= set(on["paths"])
    assert "401" in on["paths"]["/v1/chat/completions"]["post"]["responses"]
    assert on["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    assert on["paths"]["/v1/models"]["get"]["security"] == [{"bearer": []}, {}]  # open until a key exists
    assert "security" not in off["paths"]["/v1/models"]["get"]


@pytest.fixture(scope="module")
def api_schema() -> Iterator[Any]:
    with serving(create_fake_upstream(FakeConfig())) as upstream, serving(create_app(gateway_settings(upstream))) as gw:
        yield schemathesis.openapi.from_url(f"{gw}/openapi.json")


OPERATIONS = [
    ("POST", "/v1/chat/completions"),
    ("POST", "/v1/completions"),
    ("POST", "/v1/embeddings"),
    ("POST", "/v1/messages"),
    ("POST", "/v1/messages/count_tokens"),
    ("POST", "/v1/responses"),
    ("GET", "/v1/responses/{response_id}"),
    ("DELETE", "/v1/responses/{response_id}"),
    ("GET", "/v1/responses/{response_id}/input_items"),
    ("GET", "/v1/models"),
    ("GET", "/v1/models/{model_id}"),
    ("GET", "/health"),
    ("GET", "/ready"),
]


def test_the_pass_covers_every_operation(api_schema: Any) -> None:
    found = {(op.ok().method.upper(), op.ok().path) for op in api_schema.get_all_operations()}
    assert found == set(OPERATIONS)


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_schemathesis_finds_nothing(api_schema: Any, method: str, path: str) -> None:
    """Every check schemathesis has, on a few dozen generated requests per operation (positive and negative)."""

    @given(case=api_schema[path][method].as_strategy())
    @settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        case.call_and_validate()

    run()
