"""Validating Responses payloads against OpenAI's published OpenAPI schemas (``data/``, cut by
``scripts/openai_response_schemas.py`` from openai/openai-openapi, MIT licence) and the ``openai`` package's types."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import jsonschema
from openai.types.responses import Response, ResponseStreamEvent
from pydantic import TypeAdapter
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC = Path(__file__).parent / "data" / "openai_responses.schema.json"
URI = "urn:openai-openapi"


@functools.cache
def _spec() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SPEC.read_text(encoding="utf-8"))
    return loaded


@functools.cache
def _validator(name: str) -> jsonschema.protocols.Validator:
    registry: Registry[Any] = Registry().with_resource(URI, Resource.from_contents(_spec(), DRAFT202012))
    schema = {"$ref": f"{URI}#/components/schemas/{name}"}
    return jsonschema.Draft202012Validator(schema, registry=registry)


@functools.cache
def _event_schemas() -> dict[str, str]:
    """Event type -> the name of its schema in the spec (from the ``ResponseStreamEvent`` union)."""
    schemas = _spec()["components"]["schemas"]
    by_type: dict[str, str] = {}
    for branch in schemas["ResponseStreamEvent"]["anyOf"]:
        name = branch["$ref"].rsplit("/", 1)[-1]
        for kind in schemas[name]["properties"]["type"].get("enum", []):
            by_type[kind] = name
    return by_type


def check_response(payload: dict[str, Any]) -> Response:
    """``payload`` is a valid ``Response`` by the spec and by the openai package's type."""
    _validator("Response").validate(payload)
    return Response.model_validate(payload)


def check_event(payload: dict[str, Any]) -> Any:
    """``payload`` is a valid stream event of its type by the spec and by the openai package's types."""
    name = _event_schemas()[payload["type"]]
    _validator(name).validate(payload)
    return TypeAdapter(ResponseStreamEvent).validate_python(payload)
