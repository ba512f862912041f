"""The fake upstream's configuration, its mutable state (request record, fault queue) and HTTP errors."""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.responses import Response
from starlette.types import Scope

from crossroads.testing.fake_upstream.faults import Fault, FaultSpecError, error_body

DEFAULT_MODELS = ("gpt-4o-mini", "gpt-4o", "text-embedding-3-small")


@dataclass
class FakeConfig:
    """How the fake upstream behaves.

    api_key        when set, require ``Authorization: Bearer KEY`` or Azure's ``api-key: KEY``
    models         listed by ``/v1/models``
    strict_models  answer 404 model_not_found for a model not in ``models`` (else any name works)
    embedding_dim  vector size when a request gives no ``dimensions``
    default        the fault applied to every request that brings none (header, body, queue)
    record_limit   how many recent requests ``/_fake/requests`` keeps
    """

    api_key: str | None = None
    models: list[str] = field(default_factory=lambda: list(DEFAULT_MODELS))
    strict_models: bool = False
    embedding_dim: int = 8
    default: Fault | None = None
    record_limit: int = 1000


class FakeError(Exception):
    """An HTTP error answer: status, JSON body, extra headers."""

    def __init__(self, status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> None:
        super().__init__(str(body))
        self.status = status
        self.body = body
        self.headers = dict(headers or {})

    def response(self) -> Response:
        return json_response(self.body, self.status, self.headers)


def invalid_request(message: str, param: str | None = None, code: str | None = None) -> FakeError:
    return FakeError(400, error_body(message, "invalid_request_error", param, code))


def request_id_header() -> dict[str, str]:
    return {"x-request-id": "req_" + uuid.uuid4().hex}


def json_response(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    all_headers = request_id_header() | dict(headers or {})
    return Response(orjson.dumps(body), status, all_headers, media_type="application/json")


class FakeState:
    """What tests inspect and script: the last requests received and the queue of scripted faults.

    ``deque`` appends and pops are atomic, so a test thread may use this while the server thread serves.
    """

    def __init__(self, config: FakeConfig) -> None:
        self.config = config
        self.requests: deque[dict[str, Any]] = deque(maxlen=config.record_limit)
        self.faults: deque[Fault] = deque()

    def record(self, scope: Scope, body: Any) -> None:
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        query = dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True))
        entry = {"method": scope["method"], "path": scope["path"], "query": query, "headers": headers, "json": body}
        self.requests.append(entry)

    def next_fault(self, headers: Mapping[str, str], body: Mapping[str, Any]) -> Fault | None:
        """First match wins: ``x-fake-fault`` header, body ``fake_fault``, scripted queue, config default."""
        header = headers.get("x-fake-fault")
        try:
            if header:
                return Fault.from_dict(orjson.loads(header))
            if body.get("fake_fault") is not None:
                return Fault.from_dict(body["fake_fault"])
        except orjson.JSONDecodeError as exc:
            raise invalid_request(f"Invalid x-fake-fault header: not JSON ({exc})", "x-fake-fault") from exc
        except FaultSpecError as exc:
            source = "x-fake-fault header" if header else "fake_fault"
            raise invalid_request(f"Invalid {source}: {exc}", f"fake_fault.{exc.field}") from exc
        try:
            return self.faults.popleft()
        except IndexError:
            return self.config.default
