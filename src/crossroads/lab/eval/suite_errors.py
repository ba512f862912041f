"""Suite problems that name the line and field: ``SuiteError`` and helpers turning pydantic errors into text."""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import ValidationError

from crossroads.errors import ConfigError

_MESSAGES = {
    "extra_forbidden": "unknown field — remove it or check the spelling",
    "missing": "required field is missing",
}


class EvalError(ConfigError):
    """A user mistake in an eval command (unknown model, missing run); ``problems`` say how to fix it."""


class SuiteError(EvalError):
    """An invalid suite file; ``problems`` lists each as ``file:line: field: what is wrong``."""


def field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """``("messages", 0, "role")`` -> ``messages[0].role`` (pydantic's union tags dropped)."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif str(part).startswith(("function-", "str", "list[", "dict[")) or ("[" in str(part) and "]" in str(part)):
            continue
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


def pydantic_problems(exc: ValidationError) -> list[str]:
    return [
        f"{field_path(e['loc'])}: {_MESSAGES.get(e['type'], e['msg'].removeprefix('Value error, '))}"
        for e in exc.errors()
    ]


def line_of(node: Any, loc: tuple[Any, ...] | list[Any]) -> int:
    """1-based line of the deepest YAML node that ``loc`` reaches."""
    line = node.start_mark.line + 1 if node is not None else 1
    for part in loc:
        child = _child(node, part)
        if child is None:
            break
        node, line = child, child.start_mark.line + 1
    return line


def _child(node: Any, part: Any) -> Any:
    if isinstance(node, yaml.MappingNode):
        return next((value for key, value in node.value if key.value == str(part)), None)
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part]
    return None
