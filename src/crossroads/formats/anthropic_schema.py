"""What a Messages request must be: checked before translation, unknown fields allowed and passed on."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from crossroads.api.schemas import Positive, Whole


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)


class Block(_Open):
    type: str = Field(min_length=1)


class TextBlock(Block):
    type: Literal["text"]
    text: str


class MessageParam(_Open):
    role: Literal["user", "assistant"]
    content: str | list[Block]


class ToolParam(_Open):
    name: str = Field(min_length=1, max_length=128)
    description: str | None = None
    input_schema: dict[str, Any] | None = None
    type: str | None = None


class ToolChoiceMode(_Open):
    type: Literal["auto", "any", "none"]
    disable_parallel_tool_use: bool | None = None


class ToolChoiceTool(_Open):
    type: Literal["tool"]
    name: str = Field(min_length=1)
    disable_parallel_tool_use: bool | None = None


ToolChoice = Annotated[ToolChoiceMode | ToolChoiceTool, Field(discriminator="type")]


class Metadata(_Open):
    user_id: str | None = None


class CountTokensRequest(_Open):
    model: str = Field(min_length=1)
    messages: list[MessageParam] = Field(min_length=1)
    system: str | list[TextBlock] | None = None
    tools: list[ToolParam] | None = None
    tool_choice: ToolChoice | None = None


class MessagesRequest(CountTokensRequest):
    max_tokens: Positive
    stop_sequences: list[str] | None = None
    temperature: float | None = Field(None, ge=0, le=1)
    top_p: float | None = Field(None, ge=0, le=1)
    top_k: Annotated[int, Field(ge=0), Whole] | None = None
    stream: bool | None = None
    metadata: Metadata | None = None


# ---- answers, for the OpenAPI document (the gateway does not depend on the anthropic package) ----------------

ANTHROPIC_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "error"],
    "properties": {
        "type": {"const": "error"},
        "error": {
            "type": "object",
            "required": ["type", "message"],
            "properties": {"type": {"type": "string"}, "message": {"type": "string"}},
        },
    },
}
_USAGE = {
    "type": "object",
    "required": ["input_tokens", "output_tokens"],
    "properties": {
        name: {"type": ["integer", "null"]}
        for name in ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    },
}
MESSAGE_SCHEMA: dict[str, Any] = {
    "title": "Message",
    "type": "object",
    "required": ["id", "type", "role", "model", "content", "stop_reason", "stop_sequence", "usage"],
    "properties": {
        "id": {"type": "string"},
        "type": {"const": "message"},
        "role": {"const": "assistant"},
        "model": {"type": "string"},
        "content": {"type": "array", "items": {"type": "object", "required": ["type"]}},
        "stop_reason": {"enum": ["end_turn", "max_tokens", "stop_sequence", "tool_use", "pause_turn", "refusal", None]},
        "stop_sequence": {"type": ["string", "null"]},
        "usage": _USAGE,
    },
}
COUNT_TOKENS_SCHEMA: dict[str, Any] = {
    "title": "MessageTokensCount",
    "type": "object",
    "required": ["input_tokens"],
    "properties": {"input_tokens": {"type": "integer"}},
}
