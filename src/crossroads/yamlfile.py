"""YAML as users write it: a key given twice in one mapping is an error (PyYAML keeps the last one silently,
so a second ``ner:`` or ``default:`` would quietly undo the first)."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import yaml


class _StrictLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses duplicate keys."""


def _no_duplicates(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, Hashable):
            continue  # a complex key: construct_mapping says what is wrong with it
        if key in seen:
            problem = f"key {key!r} given twice in one mapping (keep one)"
            raise yaml.constructor.ConstructorError(None, None, problem, key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def load(text: str) -> Any:
    """Parse ``text`` like ``yaml.safe_load``, refusing a key given twice; errors are ``yaml.YAMLError``."""
    return yaml.load(text, Loader=_StrictLoader)
