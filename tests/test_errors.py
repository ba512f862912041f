"""The error tree drawn in ``crossroads.errors``' docstring is the tree the code defines."""

from __future__ import annotations

import re
import subprocess
import sys

from crossroads import errors
from crossroads.errors import CrossroadsError

LINE = re.compile(r"^    ((?:[│ ]   )*(?:[├└]── )?)(\w+)\s+(\d{3}|4xx) (\S+)")


def drawn() -> list[tuple[int, str, str, str]]:
    """(depth, class name, status, type/code) of each line of the drawing."""
    assert errors.__doc__ is not None
    rows = []
    for line in errors.__doc__.splitlines():
        if match := LINE.match(line):
            prefix, name, status, kind = match.groups()
            rows.append((len(prefix) // 4, name, status, kind))
    return rows


def test_the_drawing_has_every_class_of_the_module_once_under_its_parent() -> None:
    rows = drawn()
    defined = {c.__name__ for c in vars(errors).values() if isinstance(c, type) and issubclass(c, CrossroadsError)}
    assert sorted(name for _, name, _, _ in rows) == sorted(defined)
    parents: list[str] = []
    for depth, name, _, _ in rows:
        del parents[depth:]
        cls = getattr(errors, name)
        if parents:
            assert cls.__bases__[0].__name__ == parents[-1], name
        else:
            assert cls is CrossroadsError
        parents.append(name)


def test_status_type_and_code_are_the_classes() -> None:
    for _, name, status, kind in drawn():
        cls = getattr(errors, name)
        if status == "4xx":  # the upstream's own status, type and code
            continue
        type_, _, code = kind.partition("/")
        assert (cls.status, cls.type) == (int(status), type_), name
        assert cls.code == (code or None), name


# Importing every module runs in a child process: this process's garbage (another test's objects) stays its own.
SUBCLASSES = """
import importlib, pkgutil, crossroads
from crossroads.errors import CrossroadsError
for module in pkgutil.walk_packages(crossroads.__path__, "crossroads."):
    if ".migrations" not in module.name:
        importlib.import_module(module.name)
seen = [CrossroadsError]
while seen:
    for sub in seen.pop().__subclasses__():
        seen.append(sub)
        if sub.__module__.startswith("crossroads.") and sub.__module__ != "crossroads.errors":
            print(sub.__name__)
"""


def test_every_error_defined_elsewhere_is_named_in_the_docstring() -> None:
    found = subprocess.run([sys.executable, "-c", SUBCLASSES], capture_output=True, text=True, check=True, timeout=300)
    elsewhere = set(found.stdout.split())
    assert "BenchError" in elsewhere  # the walk found the lab's errors
    assert errors.__doc__ is not None
    assert {name for name in elsewhere if f"``{name}``" not in errors.__doc__} == set()
