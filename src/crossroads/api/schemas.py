"""Request schemas: validate what the gateway relies on; unknown fields are allowed and passed on.

These models only check a request. The body forwarded to a backend is the client's own JSON,
so fields crossroads does not know reach an OpenAI-compatible upstream untouched.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


def _whole(value: Any) -> Any:
    """JSON has one number type: 34.0 is the integer 34 (as JSON Schema's ``integer`` says)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


# integer fields that take 34.0 as 34; bounds inside the Annotated, so the JSON schema states them
Whole = BeforeValidator(_whole)
Int = Annotated[int, Whole]
Positive = Annotated[int, Field(ge=1), Whole]
TokenId = Annotated[int, Field(ge=0, le=2**31 - 1), Whole]
Choices = Annotated[int, Field(ge=1, le=128), Whole]
TopLogprobs = Annotated[int, Field(ge=0, le=20), Whole]
Logprobs = Annotated[int, Field(ge=0, le=5), Whole]
BestOf = Annotated[int, Field(ge=1, le=20), Whole]
Dimensions = Annotated[int, Field(ge=1, le=8192), Whole]
MAX_ITEMS = 2048  # prompts or inputs in one request (OpenAI's limit for embeddings)
Prompt = (
    str
    | Annotated[list[str], Field(min_length=1, max_length=MAX_ITEMS)]
    | Annotated[list[TokenId], Field(min_length=1)]
    | Annotated[list[Annotated[list[TokenId], Field(min_length=1)]], Field(min_length=1, max_length=MAX_ITEMS)]
)
INT_FIELDS = ("n", "max_tokens", "max_completion_tokens", "seed", "top_logprobs", "logprobs", "best_of", "dimensions")


def as_validated(data: dict[str, Any], model: BaseModel) -> dict[str, Any]:
    """``data`` with its integer fields and prompts as validated (34.0 -> 34), so the upstream gets what was
    checked; every other field stays as the client sent it."""
    for name in (*INT_FIELDS, "prompt", "input"):
        if data.get(name) is not None and name in type(model).model_fields:
            data[name] = getattr(model, name)
    return data


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)


class ChatMessage(_Open):
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[dict[str, Any]] | None = None
    name: str | None = None


class StreamOptions(_Open):
    include_usage: bool | None = None


class ResponseFormat(_Open):
    type: Literal["text", "json_object", "json_schema"]
    json_schema: dict[str, Any] | None = None


class FunctionDef(_Open):
    name: str = Field(min_length=1, max_length=64)
    description: str | None = None
    parameters: dict[str, Any] | None = None


class Tool(_Open):
    type: Literal["function"]
    function: FunctionDef


Stop = str | list[str] | None


class _Sampling(_Open):
    model: str = Field(min_length=1)
    stream: bool | None = None
    stream_options: StreamOptions | None = None
    max_tokens: Positive | None = None
    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, ge=0, le=1)
    n: Choices | None = None
    stop: Stop = None
    seed: Int | None = None
    presence_penalty: float | None = Field(None, ge=-2, le=2)
    frequency_penalty: float | None = Field(None, ge=-2, le=2)
    logit_bias: dict[str, float] | None = None
    user: str | None = None


class ChatCompletionRequest(_Sampling):
    messages: list[ChatMessage] = Field(min_length=1)
    max_completion_tokens: Positive | None = None
    response_format: ResponseFormat | None = None
    tools: list[Tool] | None = None
    tool_choice: Literal["none", "auto", "required"] | dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    logprobs: bool | None = None
    top_logprobs: TopLogprobs | None = None


class CompletionRequest(_Sampling):
    prompt: Prompt
    echo: bool | None = None
    suffix: str | None = None
    logprobs: Logprobs | None = None
    best_of: BestOf | None = None


class EmbeddingRequest(_Open):
    model: str = Field(min_length=1)
    input: Prompt
    encoding_format: Literal["float", "base64"] | None = None
    dimensions: Dimensions | None = None
    user: str | None = None
