"""Request schemas: validate what the gateway relies on; unknown fields are allowed and passed on.

These models only check a request. The body forwarded to a backend is the client's own JSON,
so fields crossroads does not know reach an OpenAI-compatible upstream untouched.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)


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
INT_FIELDS = (
    "n",
    "max_tokens",
    "max_completion_tokens",
    "max_output_tokens",
    "seed",
    "top_logprobs",
    "logprobs",
    "best_of",
    "dimensions",
)


def as_validated(data: dict[str, Any], model: BaseModel) -> dict[str, Any]:
    """``data`` with its integer fields and prompts as validated (34.0 -> 34), so the upstream gets what was
    checked; every other field stays as the client sent it."""
    for name in (*INT_FIELDS, "prompt", "input"):
        if data.get(name) is not None and name in type(model).model_fields:
            value = getattr(model, name)
            if not (isinstance(value, list) and value and isinstance(value[0], BaseModel)):  # Responses items
                data[name] = value
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


# The OpenAI Responses API (POST /v1/responses)
KNOWN_ITEMS = frozenset({"message", "function_call", "function_call_output", "reasoning"})


class InputText(_Open):
    type: Literal["input_text", "output_text"]
    text: str


class Refusal(_Open):
    type: Literal["refusal"]
    refusal: str


class InputImage(_Open):
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": ["image_url"], "properties": {"image_url": {"type": "string"}}},
                {"required": ["file_id"], "properties": {"file_id": {"type": "string"}}},
            ]
        }
    )
    type: Literal["input_image"]
    image_url: str | None = None
    file_id: str | None = None
    detail: Literal["low", "high", "auto"] | None = None

    @model_validator(mode="after")
    def _has_image(self) -> InputImage:
        if self.image_url is None and self.file_id is None:
            raise ValueError("an input_image needs image_url or file_id")
        return self


class InputFile(_Open):
    type: Literal["input_file"]
    file_data: str | None = None
    file_id: str | None = None
    filename: str | None = None


ContentPart = Annotated[InputText | Refusal | InputImage | InputFile, Field(discriminator="type")]
Content = str | list[ContentPart]


class MessageItem(_Open):
    type: Literal["message"] | None = None
    role: Literal["user", "assistant", "system", "developer"]
    content: Content


class FunctionCallItem(_Open):
    type: Literal["function_call"]
    call_id: str = Field(min_length=1)
    name: str = Field(min_length=1, max_length=64)
    arguments: str


class FunctionCallOutputItem(_Open):
    type: Literal["function_call_output"]
    call_id: str = Field(min_length=1)
    output: Content


class ReasoningItem(_Open):
    type: Literal["reasoning"]


class OtherItem(_Open):
    """An item only a backend that speaks Responses natively takes (a hosted tool's call, an item reference);
    refused with 400 where the request is translated to Chat Completions."""

    type: str = Field(
        min_length=1,
        json_schema_extra={"not": {"enum": ["function_call", "function_call_output", "message", "reasoning"]}},
    )

    @model_validator(mode="after")
    def _not_known(self) -> OtherItem:
        if self.type in KNOWN_ITEMS:
            raise ValueError(f"not a valid {self.type} item")
        return self


def _item_kind(item: Any) -> str:
    kind = _field(item, "type") or "message"
    return kind if kind in KNOWN_ITEMS else "other"


InputItem = Annotated[
    Annotated[MessageItem, Tag("message")]
    | Annotated[FunctionCallItem, Tag("function_call")]
    | Annotated[FunctionCallOutputItem, Tag("function_call_output")]
    | Annotated[ReasoningItem, Tag("reasoning")]
    | Annotated[OtherItem, Tag("other")],
    Discriminator(_item_kind),
]


class FunctionTool(_Open):
    type: Literal["function"]
    name: str = Field(min_length=1, max_length=64)
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class HostedTool(_Open):
    """A tool the upstream runs (web_search, file_search …): only for a backend that speaks Responses natively."""

    type: str = Field(min_length=1, json_schema_extra={"not": {"const": "function"}})

    @model_validator(mode="after")
    def _not_function(self) -> HostedTool:
        if self.type == "function":
            raise ValueError("not a valid function tool")
        return self


ResponsesTool = Annotated[
    Annotated[FunctionTool, Tag("function")] | Annotated[HostedTool, Tag("hosted")],
    Discriminator(lambda tool: "function" if _field(tool, "type") == "function" else "hosted"),
]


def _field(value: Any, name: str) -> Any:
    return value.get(name) if isinstance(value, dict) else getattr(value, name, None)


class FunctionChoice(_Open):
    type: Literal["function"]
    name: str = Field(min_length=1, max_length=64)


class AllowedTools(_Open):
    type: Literal["allowed_tools"]
    mode: Literal["auto", "required"]
    tools: list[dict[str, Any]]


class HostedChoice(_Open):
    """Forcing a hosted tool: only for a backend that speaks Responses natively."""

    type: str = Field(min_length=1, json_schema_extra={"not": {"enum": ["function", "allowed_tools"]}})

    @model_validator(mode="after")
    def _not_known(self) -> HostedChoice:
        if self.type in ("function", "allowed_tools"):
            raise ValueError(f"not a valid {self.type} tool choice")
        return self


ToolChoice = Annotated[
    Annotated[FunctionChoice, Tag("function")]
    | Annotated[AllowedTools, Tag("allowed_tools")]
    | Annotated[HostedChoice, Tag("hosted")],
    Discriminator(lambda c: _field(c, "type") if _field(c, "type") in ("function", "allowed_tools") else "hosted"),
]


class TextFormat(_Open):
    type: Literal["text", "json_object", "json_schema"]
    name: str | None = Field(None, min_length=1, max_length=64)
    json_schema: dict[str, Any] | None = Field(None, alias="schema")


class TextConfig(_Open):
    format: TextFormat | None = None


class ResponsesRequest(_Open):
    model: str = Field(min_length=1)
    input: str | Annotated[list[InputItem], Field(min_length=1)] = Field(
        json_schema_extra={"contains": {"not": {"properties": {"type": {"const": "reasoning"}}, "required": ["type"]}}}
    )  # at least one item that is not a reasoning item
    instructions: str | None = None
    tools: list[ResponsesTool] | None = None
    tool_choice: Literal["none", "auto", "required"] | ToolChoice | None = None
    text: TextConfig | None = None
    max_output_tokens: Positive | None = None
    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, ge=0, le=1)
    metadata: Annotated[dict[str, str], Field(max_length=16)] | None = None
    stream: bool | None = None
    store: bool | None = None
    previous_response_id: str | None = Field(None, min_length=1)
    parallel_tool_calls: bool | None = None
    reasoning: dict[str, Any] | None = None
    user: str | None = None
    top_logprobs: TopLogprobs | None = None

    @field_validator("input")
    @classmethod
    def _something_to_answer(cls, given: Any) -> Any:
        if isinstance(given, list) and all(isinstance(item, ReasoningItem) for item in given):
            raise ValueError("input needs an item besides reasoning items (a message, or a function call's output)")
        return given
