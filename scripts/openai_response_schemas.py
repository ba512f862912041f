"""Cut the Responses API's answer and stream-event schemas out of OpenAI's published OpenAPI document.

    python scripts/openai_response_schemas.py OPENAPI_JSON > tests/formats/data/openai_responses.schema.json

OPENAPI_JSON is ``openapi.json`` of the repository openai/openai-openapi (MIT licence, kept beside the
output as ``openai-openapi.LICENSE``). The output holds ``Response``, ``ResponseStreamEvent`` and every
schema they refer to, unchanged, under ``components.schemas`` (so their ``$ref``s resolve as they are).
"""

from __future__ import annotations

import json
import re
import sys

ROOTS = ("Response", "ResponseStreamEvent", "ResponseErrorEvent")
REF = re.compile(r'"#/components/schemas/([^"]+)"')


def closure(schemas: dict[str, object], roots: tuple[str, ...]) -> dict[str, object]:
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += REF.findall(json.dumps(schemas[name]))
    return {name: schemas[name] for name in sorted(seen)}


def main(path: str) -> None:
    with open(path, encoding="utf-8") as f:
        spec = json.load(f)
    cut = {
        "$comment": f"Cut from OpenAI's OpenAPI document (openai/openai-openapi, version {spec['info']['version']}).",
        "components": {"schemas": closure(spec["components"]["schemas"], ROOTS)},
    }
    json.dump(cut, sys.stdout, separators=(",", ":"))


if __name__ == "__main__":
    main(sys.argv[1])
