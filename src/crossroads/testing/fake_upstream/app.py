"""A faithful fake OpenAI-compatible upstream, with fault injection and a record of what it received.

    app = create_fake_upstream(FakeConfig(api_key="sk-test"))

Routes
    POST /v1/chat/completions, /v1/completions, /v1/embeddings       (streaming where OpenAI streams)
    POST /v1/responses                                                the Responses API, typed events (``responses``)
    POST /openai/deployments/{deployment}/<same>?api-version=…       Azure OpenAI: deployment = model
    POST /v1/messages, /v1/messages/count_tokens                     Anthropic's Messages API (``anthropic``)
    GET  /v1/models, /v1/models/{id}
    GET|DELETE /_fake/requests       what was received (method, path, query, headers, json), newest last
    GET|POST|DELETE /_fake/faults    the scripted fault queue (POST a fault object or a list of them)

A request's fault comes from, first match wins: the ``x-fake-fault`` header (a JSON object), the body
field ``fake_fault``, the scripted queue (one consumed per generation request), ``FakeConfig.default``.
Faults apply to the generation endpoints only, so health checks and ``/v1/models`` never consume
the queue. See ``faults.Fault`` for the fields and ``content`` for how tokens are counted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crossroads.testing.fake_upstream.anthropic import anthropic_routes
from crossroads.testing.fake_upstream.endpoints import ENDPOINTS, Call, Endpoint, validate
from crossroads.testing.fake_upstream.faults import Fault, FaultSpecError, error_body, fault_error, parse_fault_list
from crossroads.testing.fake_upstream.responses import responses
from crossroads.testing.fake_upstream.state import FakeConfig, FakeError, FakeState, invalid_request, json_response
from crossroads.testing.fake_upstream.wire import MODEL_CREATED

BAD_JSON = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP "
    "library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)"
)
__all__ = ["FakeConfig", "FakeState", "Fault", "create_fake_upstream", "run_fake_upstream"]

Handler = Callable[[Request, Any, FakeState], Awaitable[Response]]


def _azure_error(status: int, code: str, message: str) -> FakeError:
    return FakeError(status, {"error": {"code": code, "message": message}})


def _openai_unauthorized() -> FakeError:
    message = "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys."
    return FakeError(401, error_body(message, "invalid_request_error", None, "invalid_api_key"))


def _openai_model_not_found(model: str) -> FakeError:
    message = f"The model `{model}` does not exist or you do not have access to it."
    return FakeError(404, error_body(message, "invalid_request_error", None, "model_not_found"))


def _azure_unauthorized() -> FakeError:
    message = "Access denied due to invalid subscription key or wrong API endpoint."
    return _azure_error(401, "401", message)


def _azure_deployment_not_found(model: str) -> FakeError:
    message = f"The API deployment '{model}' for this resource does not exist."
    return _azure_error(404, "DeploymentNotFound", message)


@dataclass(frozen=True, slots=True)
class Flavor:
    """How one API dialect addresses a model and words its errors."""

    prefix: str  # path before the endpoint
    needs_api_version: bool
    unauthorized: Callable[[], FakeError]
    model_not_found: Callable[[str], FakeError]

    def admit(self, request: Request, config: FakeConfig) -> None:
        if self.needs_api_version and not request.query_params.get("api-version"):
            raise _azure_error(404, "404", "Resource not found")
        if config.api_key is not None and not _authorized(request, config.api_key):
            raise self.unauthorized()

    def model(self, request: Request, body: Mapping[str, Any]) -> str:
        deployment = request.path_params.get("deployment")
        if deployment is not None:
            return str(deployment)
        validate(body, ("model",))
        return str(body["model"])


OPENAI = Flavor("/v1/", False, _openai_unauthorized, _openai_model_not_found)
AZURE = Flavor("/openai/deployments/{deployment}/", True, _azure_unauthorized, _azure_deployment_not_found)


def _authorized(request: Request, key: str) -> bool:
    headers = request.headers
    return headers.get("authorization") == f"Bearer {key}" or headers.get("api-key") == key


async def _read_json(request: Request) -> Any:
    raw = await request.body()
    try:
        return orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        return None


def _api(flavor: Flavor, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Record the request, check api-version and key, run the handler; errors become their JSON answer."""

    async def endpoint(request: Request) -> Response:
        state: FakeState = request.app.state.fake
        body = await _read_json(request)
        state.record(request.scope, body)
        try:
            flavor.admit(request, state.config)
            return await handler(request, body, state)
        except FakeError as exc:
            return exc.response()

    return endpoint


def _generation(flavor: Flavor, endpoint: Endpoint) -> Handler:
    async def handler(request: Request, body: Any, state: FakeState) -> Response:
        if not isinstance(body, dict):
            raise invalid_request(BAD_JSON)
        fault = state.next_fault(request.headers, body)
        if fault is not None and fault.latency_ms:
            await asyncio.sleep(fault.latency_ms / 1000)
        if fault is not None and fault.status is not None:
            raise FakeError(*fault_error(fault))
        model = flavor.model(request, body)
        if state.config.strict_models and model not in state.config.models:
            raise flavor.model_not_found(model)
        validate(body, endpoint.required)
        return await endpoint.build(Call(body, model, fault, state.config))

    return handler


# ---- models -----------------------------------------------------------------------------------


def _model_object(model: str) -> dict[str, Any]:
    return {"id": model, "object": "model", "created": MODEL_CREATED, "owned_by": "system"}


async def _list_models(request: Request, body: Any, state: FakeState) -> Response:
    return json_response({"object": "list", "data": [_model_object(m) for m in state.config.models]})


async def _get_model(request: Request, body: Any, state: FakeState) -> Response:
    model = request.path_params["model_id"]
    if model not in state.config.models:
        raise _openai_model_not_found(model)
    return json_response(_model_object(model))


# ---- control: /_fake/* ------------------------------------------------------------------------


def _state(request: Request) -> FakeState:
    return request.app.state.fake


async def _requests(request: Request) -> Response:
    requests = _state(request).requests
    if request.method == "DELETE":
        cleared = len(requests)
        requests.clear()
        return json_response({"cleared": cleared})
    return json_response(list(requests))


async def _faults(request: Request) -> Response:
    faults = _state(request).faults
    if request.method == "GET":
        return json_response([f.to_dict() for f in faults])
    if request.method == "DELETE":
        cleared = len(faults)
        faults.clear()
        return json_response({"cleared": cleared})
    try:
        faults.extend(parse_fault_list(orjson.loads(await request.body())))
    except (orjson.JSONDecodeError, FaultSpecError) as exc:
        return invalid_request(f"Invalid fault list: {exc}", "faults").response()
    return json_response({"queued": len(faults)})


_ROUTING_ERRORS = {404: "Invalid URL", 405: "Invalid method for URL"}


async def _routing_error(request: Request, exc: Exception) -> Response:
    """Unknown paths and methods answer in OpenAI's words, as JSON."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    message = f"{_ROUTING_ERRORS.get(status, 'Error')} ({request.method} {request.url.path})"
    return json_response(error_body(message, "invalid_request_error"), status)


def _routes() -> list[Route]:
    generation = [
        Route(flavor.prefix + ep.path, _api(flavor, _generation(flavor, ep)), methods=["POST"])
        for flavor in (OPENAI, AZURE)
        for ep in (*ENDPOINTS, Endpoint("responses", ("input",), responses))
    ]
    return [
        *generation,
        *anthropic_routes(),
        Route("/v1/models", _api(OPENAI, _list_models), methods=["GET"]),
        Route("/v1/models/{model_id:path}", _api(OPENAI, _get_model), methods=["GET"]),
        Route("/_fake/requests", _requests, methods=["GET", "DELETE"]),
        Route("/_fake/faults", _faults, methods=["GET", "POST", "DELETE"]),
    ]


def create_fake_upstream(config: FakeConfig | None = None) -> Starlette:
    """A new fake upstream ASGI app; its state (``app.state.fake``) is a ``FakeState``."""
    app = Starlette(routes=_routes(), exception_handlers={HTTPException: _routing_error})
    app.state.fake = FakeState(config or FakeConfig())
    return app


def run_fake_upstream(
    host: str = "127.0.0.1", port: int = 9000, config: FakeConfig | None = None, *, log_level: str = "warning"
) -> None:
    """Serve a fake upstream with uvicorn until interrupted (``crossroads fake-upstream``)."""
    app = create_fake_upstream(config)
    uvicorn.run(
        app, host=host, port=port, log_level=log_level, access_log=False, lifespan="off", timeout_graceful_shutdown=1
    )
