"""Generation on one slot (runs in a worker thread) and the OpenAI shapes llama.cpp leaves out.

Responses carry ``id``, ``created``, ``refusal``, ``logprobs`` and always ``usage``; streams start
each choice with ``{"role": "assistant", "content": ""}``, end it with an empty delta and its
finish_reason, and close with OpenAI's ``choices: []`` usage chunk when ``include_usage`` is set.
Token counts come from the engine (``Slot``), the same for a stream as for a whole response.
"""

from __future__ import annotations

import itertools
import random
import re
import time
import uuid
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from typing import Any

from crossroads.backends.base import Body, Endpoint
from crossroads.backends.embedded.engine import Slot
from crossroads.backends.embedded.request import Plan
from crossroads.backends.embedded.tools import tool_calls
from crossroads.errors import BadGateway, CrossroadsError, InvalidRequest

_OVERFLOW = re.compile(r"Requested tokens \((\d+)\) exceed context window of (\d+)")


@contextmanager
def engine_errors(plan: Plan) -> Iterator[None]:
    """Map llama-cpp-python's exceptions to the crossroads error tree."""
    from jinja2 import TemplateError

    param = "messages" if plan.endpoint == Endpoint.CHAT else "prompt"
    try:
        yield
    except CrossroadsError:
        raise
    except TemplateError as exc:
        raise InvalidRequest(
            f"the chat template of model {plan.model} rejected the messages: {exc}", param=param
        ) from None
    except ValueError as exc:
        match = _OVERFLOW.search(str(exc))
        if match:
            tokens, n_ctx = match.groups()
            raise InvalidRequest(
                f"the prompt has {tokens} tokens but model {plan.model} has a context of {n_ctx} tokens "
                "(n_ctx); shorten the prompt or raise n_ctx in crossroads.yaml",
                param=param,
                code="context_length_exceeded",
            ) from None
        raise InvalidRequest(f"the embedded engine rejected the request: {exc}", param=param) from None
    except RuntimeError as exc:  # e.g. "llama_decode returned 1"
        raise BadGateway(f"the embedded engine failed: {exc}") from None


class Run:
    """One request on one slot: ids, choices and token counts."""

    def __init__(self, slot: Slot, plan: Plan) -> None:
        self.slot, self.plan = slot, plan
        prefix = "chatcmpl-" if plan.endpoint == Endpoint.CHAT else "cmpl-"
        self.id = prefix + uuid.uuid4().hex
        self.created = int(time.time())
        self.prompt_tokens = 0
        self.completion_tokens = 0

    def _engine(self, index: int, stream: bool) -> Any:
        seed = random.SystemRandom().getrandbits(32) if self.plan.seed is None else (self.plan.seed + index) % 2**32
        kwargs = {**self.plan.kwargs, "seed": seed, "stream": stream}
        if self.plan.endpoint == Endpoint.CHAT:
            return self.slot.llama.create_chat_completion(**kwargs)
        return self.slot.llama.create_completion(**kwargs)

    def _count(self) -> None:
        self.prompt_tokens = self.slot.prompt_tokens
        self.completion_tokens += self.slot.completion_tokens()

    def usage(self) -> Body:
        total = self.prompt_tokens + self.completion_tokens
        return {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens, "total_tokens": total}

    def _envelope(self, chunk: bool) -> Body:
        if self.plan.endpoint == Endpoint.CHAT:
            kind = "chat.completion.chunk" if chunk else "chat.completion"
        else:
            kind = "text_completion"
        return {"id": self.id, "object": kind, "created": self.created, "model": self.plan.model}

    # whole responses

    def response(self) -> Body:
        with engine_errors(self.plan):
            choices = [self._choice(i) for i in range(self.plan.n)]
        return {**self._envelope(False), "choices": choices, "usage": self.usage()}

    def _choice(self, index: int) -> Body:
        result = self._engine(index, stream=False)["choices"][0]
        self._count()
        if self.plan.endpoint == Endpoint.COMPLETIONS:
            text = (self.plan.echo or "") + result["text"]
            return {"text": text, "index": index, "logprobs": None, "finish_reason": result["finish_reason"]}
        message, finish = self._message(result["message"]["content"] or "", result["finish_reason"])
        return {"index": index, "message": message, "logprobs": None, "finish_reason": finish}

    def _message(self, text: str, finish: str) -> tuple[Body, str]:
        calls = tool_calls(text) if self.plan.tools is not None else None
        if calls is None:
            return {"role": "assistant", "content": text, "refusal": None}, finish
        return {"role": "assistant", "content": None, "refusal": None, "tool_calls": calls}, "tool_calls"

    # streams

    def chunks(self) -> Generator[Body, None, None]:
        with engine_errors(self.plan):
            for index in range(self.plan.n):
                yield from self._choice_chunks(index)
        if self.plan.include_usage:
            yield {**self._envelope(True), "choices": [], "usage": self.usage()}

    def _chunk(self, choice: Body) -> Body:
        usage = {"usage": None} if self.plan.include_usage else {}
        return {**self._envelope(True), "choices": [choice], **usage}

    def _delta(self, index: int, delta: Body | str, finish: str | None = None) -> Body:
        if self.plan.endpoint == Endpoint.COMPLETIONS:
            choice = {"text": delta, "index": index, "logprobs": None, "finish_reason": finish}
        else:
            choice = {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}
        return self._chunk(choice)

    def _choice_chunks(self, index: int) -> Iterator[Body]:
        if self.plan.tools is not None:
            yield from self._tool_chunks(index)
            return
        chat = self.plan.endpoint == Endpoint.CHAT
        pieces = iter(self._engine(index, stream=True))
        head = next(pieces, None)  # evaluates the prompt: a too-long one fails before anything is sent
        first = {"role": "assistant", "content": ""} if chat else self.plan.echo
        if first:
            yield self._delta(index, first)
        finish = "length"
        for piece in itertools.chain([head] if head else [], pieces):
            choice = piece["choices"][0]
            text = choice.get("delta", {}).get("content") if chat else choice.get("text")
            if text:
                yield self._delta(index, {"content": text} if chat else text)
            finish = choice.get("finish_reason") or finish
        self._count()
        yield self._delta(index, {} if chat else "", finish)

    def _tool_chunks(self, index: int) -> Iterator[Body]:
        """A forced call is generated whole (it must parse), then sent in OpenAI's tool-call chunks."""
        choice = self._choice(index)
        message, finish = choice["message"], choice["finish_reason"]
        yield self._delta(index, {"role": "assistant", "content": message["content"] and ""})
        if message["content"]:
            yield self._delta(index, {"content": message["content"]})
        for n, call in enumerate(message.get("tool_calls") or []):
            name, arguments = call["function"]["name"], call["function"]["arguments"]
            head = {"index": n, "id": call["id"], "type": "function", "function": {"name": name, "arguments": ""}}
            yield self._delta(index, {"tool_calls": [head]})
            yield self._delta(index, {"tool_calls": [{"index": n, "function": {"arguments": arguments}}]})
        yield self._delta(index, {}, finish)
