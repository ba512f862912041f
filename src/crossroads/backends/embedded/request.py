"""Turn an OpenAI request body into a ``Plan`` for llama-cpp-python, validating every value it uses.

Omitted sampling parameters keep llama.cpp's defaults (chat: temperature 0.2, top_p 0.95, top_k 40),
which suit small local models better than OpenAI's temperature 1. Unknown fields are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crossroads.backends.base import Body, Endpoint
from crossroads.backends.embedded.tools import ToolPlan, json_grammar, messages_for_llama, tool_plan
from crossroads.errors import InvalidRequest, Unsupported

MAX_N = 128


@dataclass(frozen=True)
class Plan:
    """What to generate: engine keyword arguments plus what the response needs to know."""

    endpoint: Endpoint
    model: str
    n: int
    seed: int | None
    include_usage: bool
    kwargs: dict[str, Any] = field(default_factory=dict)
    tools: ToolPlan | None = None
    echo: str | None = None


def _number(body: Body, name: str, low: float, high: float) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise InvalidRequest(f"{name} must be a number between {low:g} and {high:g}, got {value!r}", param=name)
    return float(value)


def _integer(body: Body, name: str, low: int, high: int | None = None) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f">= {low}"
        raise InvalidRequest(f"{name} must be an integer {bound}, got {value!r}", param=name)
    return value


def _stop(body: Body) -> list[str] | None:
    stop = body.get("stop")
    if stop is None:
        return None
    stops = [stop] if isinstance(stop, str) else stop
    if not isinstance(stops, list) or len(stops) > 4 or not all(isinstance(s, str) and s for s in stops):
        raise InvalidRequest("stop must be a non-empty string or a list of up to 4 non-empty strings", param="stop")
    return stops


def _logit_bias(body: Body, n_vocab: int) -> dict[int, float] | None:
    bias = body.get("logit_bias")
    if bias is None:
        return None
    if not isinstance(bias, dict):
        raise InvalidRequest("logit_bias must map token ids to numbers between -100 and 100", param="logit_bias")
    out: dict[int, float] = {}
    for key, value in bias.items():
        token = int(key) if str(key).isdigit() else -1
        ok_value = isinstance(value, int | float) and not isinstance(value, bool) and -100 <= value <= 100
        if not 0 <= token < n_vocab or not ok_value:
            raise InvalidRequest(
                f"logit_bias[{key!r}]: keys must be token ids below {n_vocab}, values numbers in [-100, 100]",
                param="logit_bias",
            )
        out[token] = float(value)
    return out


def _max_tokens(body: Body, default: int | None) -> int | None:
    chosen = _integer(body, "max_completion_tokens", 1)
    return chosen if chosen is not None else _integer(body, "max_tokens", 1) or default


def _sampling(body: Body, n_vocab: int) -> dict[str, Any]:
    values = {
        "temperature": _number(body, "temperature", 0, 2),
        "top_p": _number(body, "top_p", 0, 1),
        "presence_penalty": _number(body, "presence_penalty", -2, 2),
        "frequency_penalty": _number(body, "frequency_penalty", -2, 2),
        "stop": _stop(body),
        "logit_bias": _logit_bias(body, n_vocab),
    }
    return {key: value for key, value in values.items() if value is not None}


def _include_usage(body: Body) -> bool:
    options = body.get("stream_options")
    if options is not None and not isinstance(options, dict):
        raise InvalidRequest("stream_options must be an object like {'include_usage': true}", param="stream_options")
    return bool((options or {}).get("include_usage"))


def _common(endpoint: Endpoint, body: Body, n_vocab: int) -> dict[str, Any]:
    if body.get("logprobs") not in (None, False) or body.get("top_logprobs") is not None:
        raise Unsupported(f"model {body.get('model')} does not return logprobs (embedded backend)", param="logprobs")
    seed = _integer(body, "seed", -(2**63), 2**63 - 1)
    return {
        "endpoint": endpoint,
        "model": str(body.get("model", "")),
        "n": _integer(body, "n", 1, MAX_N) or 1,
        "seed": None if seed is None else seed % 2**32,
        "include_usage": _include_usage(body),
    }


def chat_plan(body: Body, n_vocab: int) -> Plan:
    tools = tool_plan(body)
    kwargs = _sampling(body, n_vocab)
    kwargs["max_tokens"] = _max_tokens(body, None)
    kwargs["messages"] = messages_for_llama(body.get("messages"), tools)
    grammar = tools.grammar if tools else _response_format_grammar(body.get("response_format"))
    if grammar is not None:
        kwargs["grammar"] = grammar
    return Plan(**_common(Endpoint.CHAT, body, n_vocab), kwargs=kwargs, tools=tools)


def _prompt(body: Body) -> str | list[int]:
    prompt = body.get("prompt")
    if isinstance(prompt, list) and len(prompt) == 1 and isinstance(prompt[0], str | list):
        prompt = prompt[0]
    if isinstance(prompt, str):
        return prompt
    if isinstance(prompt, list) and prompt and all(isinstance(t, int) and not isinstance(t, bool) for t in prompt):
        return prompt
    if isinstance(prompt, list) and len(prompt) > 1:
        raise Unsupported("the embedded backend takes one prompt per request; send several requests", param="prompt")
    raise InvalidRequest("prompt must be a string, a list with one string, or a list of token ids", param="prompt")


def completion_plan(body: Body, n_vocab: int) -> Plan:
    if body.get("suffix") is not None:
        raise Unsupported("suffix (fill-in-the-middle) is not supported by the embedded backend", param="suffix")
    prompt = _prompt(body)
    kwargs = _sampling(body, n_vocab)
    kwargs["max_tokens"] = _max_tokens(body, 16)
    kwargs["prompt"] = prompt
    echo = prompt if body.get("echo") is True and isinstance(prompt, str) else None
    return Plan(**_common(Endpoint.COMPLETIONS, body, n_vocab), kwargs=kwargs, echo=echo)


def _response_format_grammar(response_format: Any) -> Any:
    if response_format is None:
        return None
    kind = response_format.get("type") if isinstance(response_format, dict) else None
    if kind == "text":
        return None
    if kind == "json_object":
        return json_grammar(None, "response_format")
    if kind == "json_schema":
        spec = response_format.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, dict) else None
        if not isinstance(schema, dict):
            message = "response_format.json_schema.schema must be a JSON schema object"
            raise InvalidRequest(message, param="response_format")
        return json_grammar(schema, "response_format")
    raise InvalidRequest("response_format.type must be text, json_object or json_schema", param="response_format")


def build_plan(endpoint: Endpoint, body: Body, n_vocab: int) -> Plan:
    if not isinstance(body, dict):
        raise InvalidRequest("the request body must be a JSON object")
    if endpoint == Endpoint.CHAT:
        return chat_plan(body, n_vocab)
    if endpoint == Endpoint.COMPLETIONS:
        return completion_plan(body, n_vocab)
    raise Unsupported(
        f"model {body.get('model')} does not serve {endpoint.value}; use an embedding model such as minilm",
        param="model",
    )
