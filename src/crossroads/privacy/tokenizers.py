"""The tokenizer of a target, for reading token-id prompts: tiktoken's for OpenAI models it knows (encodings
shipped offline), else none — the ids stay unreadable (UNSCANNABLE)."""

from __future__ import annotations

import functools
from typing import Any

from crossroads.pipeline.call import Target


def tokenizer_for(target: Target) -> Any:
    return _tiktoken(target.upstream) if target.location == "hosted" else None


@functools.lru_cache(maxsize=64)
def _tiktoken(model: str) -> Any:
    import tiktoken

    from crossroads.metering.tokens import SHIPPED, encoding

    try:
        name = tiktoken.encoding_name_for_model(model)
    except KeyError:
        return None
    return encoding(name) if name in SHIPPED else None
