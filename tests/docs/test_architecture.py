"""docs/architecture.md walks a request by ``file.py:name`` references; each must name a real definition."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from .blocks import ROOT

PAGE = ROOT / "docs" / "architecture.md"
PACKAGE = ROOT / "src" / "crossroads"
REFERENCE = re.compile(r"\b([a-z_][a-z_/]*\.py):([A-Za-z_][\w.]*[A-Za-z_0-9])")


def _defined(module: Path) -> set[str]:
    """Top-level names of a module, and ``Class.method`` for methods and attributes of its classes."""
    names: set[str] = set()
    for node in ast.parse(module.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    names.add(f"{node.name}.{item.name}")
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


def test_the_walk_names_real_definitions() -> None:
    references = REFERENCE.findall(PAGE.read_text(encoding="utf-8"))
    assert len(references) > 30  # the walk is there
    missing = [f"{path}:{name}" for path, name in references if name not in _defined_or_empty(PACKAGE / path)]
    assert missing == [], "docs/architecture.md names what the code does not define"


def _defined_or_empty(module: Path) -> set[str]:
    return _defined(module) if module.is_file() else set()
