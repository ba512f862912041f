"""Eval suites: JSONL cases or a YAML suite (prompts x test variables x assertions), loaded into ``Suite``.

JSONL, one case per line::

    {"id": "paris", "messages": [{"role": "user", "content": "Capital of France?"}],
     "reference": "Paris", "assert": [{"type": "icontains", "value": "paris"}]}

``prompt`` (a string, sent as one user message) may stand in for ``messages``.

YAML (every test runs against every prompt; ``{{name}}`` is replaced by the test's variable)::

    name: capitals
    system: Answer with the city name only.
    params: {max_tokens: 32}
    prompts: ["What is the capital of {{country}}?"]
    defaults: {assert: [{type: max-length, value: 40}]}
    tests:
      - vars: {country: France}
        reference: Paris
        assert: [{type: icontains, value: paris}]

Every problem is reported as ``file:line: field: what is wrong``.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crossroads import yamlfile
from crossroads.lab.eval.assertions import Assertion
from crossroads.lab.eval.suite_errors import SuiteError, line_of, pydantic_problems

DEFAULT_PARAMS: dict[str, Any] = {"temperature": 0, "max_tokens": 256}
_VAR = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: str = Field(pattern="^(system|user|assistant)$")
    content: str


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    id: str | None = None
    messages: list[Message] = Field(min_length=1)
    reference: str | None = None
    assertions: list[Assertion] = Field(default_factory=list, alias="assert")
    tags: list[str] = Field(default_factory=list)
    params: dict[str, Any] = Field(default_factory=dict)


class Suite(BaseModel):
    name: str
    path: str
    sha256: str
    description: str = ""
    params: dict[str, Any] = Field(default_factory=dict)
    cases: list[Case]


def load_suite(path: str | Path) -> Suite:
    """Read a ``.jsonl`` or ``.yaml``/``.yml`` suite; raises ``SuiteError`` listing every problem."""
    file = Path(path)
    if not file.is_file():
        raise SuiteError(f"suite {file} not found", [f"{file}: no such file — pass a .jsonl or .yaml suite"])
    text = file.read_text(encoding="utf-8")
    head: dict[str, Any]
    if file.suffix == ".jsonl":
        cases, head = _jsonl_cases(file, text), {"description": _leading_comment(text)}
    elif file.suffix in {".yaml", ".yml"}:
        cases, head = _yaml_suite(file, text)
    else:
        raise SuiteError(f"{file}: unknown suite format", [f"{file}: use a .jsonl or .yaml file"])
    if not cases:
        raise SuiteError(f"{file} has no cases", [f"{file}: add at least one case"])
    _unique_ids(file, cases)
    return Suite(
        name=str(head.get("name") or file.stem),
        path=str(file),
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        description=str(head.get("description") or ""),
        params={**DEFAULT_PARAMS, **(head.get("params") or {})},
        cases=cases,
    )


def _jsonl_cases(file: Path, text: str) -> list[Case]:
    cases, problems = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{file}:{number}: not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        if not isinstance(raw, dict):
            problems.append(f"{file}:{number}: expected a JSON object with messages")
            continue
        raw = _prompt_shortcut(raw)
        raw.setdefault("id", f"line-{number}")
        try:
            cases.append(Case.model_validate(raw))
        except ValidationError as exc:
            problems += [f"{file}:{number}: {p}" for p in pydantic_problems(exc)]
    if problems:
        raise SuiteError(f"{file} is not a valid suite", problems)
    return cases


def _leading_comment(text: str) -> str:
    """The ``//`` comment lines at the top of a JSONL suite, joined: its description."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("//"):
            break
        lines.append(line.removeprefix("//").strip())
    return " ".join(lines)


def _prompt_shortcut(raw: dict[str, Any]) -> dict[str, Any]:
    if "prompt" in raw and "messages" not in raw:
        raw = {**raw, "messages": [{"role": "user", "content": raw["prompt"]}]}
        raw.pop("prompt")
    return raw


class _YamlTest(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    id: str | None = None
    vars: dict[str, Any] = Field(default_factory=dict)
    reference: str | None = None
    assertions: list[dict[str, Any]] = Field(default_factory=list, alias="assert")
    tags: list[str] = Field(default_factory=list)


class _YamlSuite(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    description: str = ""
    system: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    prompts: list[str | list[dict[str, Any]]] = Field(min_length=1)
    defaults: dict[str, Any] = Field(default_factory=dict)
    tests: list[_YamlTest] = Field(min_length=1)


def _yaml_suite(file: Path, text: str) -> tuple[list[Case], dict[str, Any]]:
    try:
        node = yaml.compose(text)
        raw = yamlfile.load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{file}:{mark.line + 1}" if mark else str(file)
        raise SuiteError(f"{file} is not valid YAML", [f"{where}: {getattr(exc, 'problem', exc)}"]) from None
    if not isinstance(raw, dict):
        raise SuiteError(f"{file} is not a valid suite", [f"{file}:1: expected a mapping with prompts and tests"])
    try:
        spec = _YamlSuite.model_validate(raw)
    except ValidationError as exc:
        problems = [
            f"{file}:{line_of(node, e['loc'])}: {p}" for e, p in zip(exc.errors(), pydantic_problems(exc), strict=True)
        ]
        raise SuiteError(f"{file} is not a valid suite", problems) from None
    return _expand(file, node, spec), raw


def _expand(file: Path, node: Any, spec: _YamlSuite) -> list[Case]:
    cases, problems = [], []
    for t, test in enumerate(spec.tests):
        for p, prompt in enumerate(spec.prompts):
            raw = _case_dict(spec, test, prompt, t, p)
            try:
                cases.append(Case.model_validate(_fill(raw, test.vars)))
            except (ValidationError, KeyError) as exc:
                line = line_of(node, ("tests", t))
                for problem in _expand_problems(exc):
                    problems.append(f"{file}:{line}: tests[{t}] with prompts[{p}]: {problem}")
    if problems:
        raise SuiteError(f"{file} is not a valid suite", problems)
    return cases


def _expand_problems(exc: ValidationError | KeyError) -> list[str]:
    if isinstance(exc, KeyError):
        return [f"variable {exc.args[0]!r} is not set — add it to vars"]
    return pydantic_problems(exc)


def _case_dict(spec: _YamlSuite, test: _YamlTest, prompt: str | list[dict[str, Any]], t: int, p: int) -> dict[str, Any]:
    messages = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else list(prompt)
    if spec.system and not any(m.get("role") == "system" for m in messages):
        messages = [{"role": "system", "content": spec.system}, *messages]
    suffix = f"-p{p}" if len(spec.prompts) > 1 else ""
    return {
        "id": (test.id or f"test-{t + 1}") + suffix,
        "messages": messages,
        "reference": test.reference,
        "assert": [*spec.defaults.get("assert", []), *test.assertions],
        "tags": test.tags,
    }


def _fill(value: Any, variables: dict[str, Any]) -> Any:
    """Replace ``{{name}}`` in every string; an unknown name raises KeyError."""
    if isinstance(value, str):
        return _VAR.sub(lambda m: str(variables[m.group(1)]), value)
    if isinstance(value, list):
        return [_fill(v, variables) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, variables) for k, v in value.items()}
    return value


def _unique_ids(file: Path, cases: list[Case]) -> None:
    seen: set[str] = set()
    dupes = [c.id for c in cases if c.id in seen or seen.add(c.id or "")]  # type: ignore[func-returns-value]
    if dupes:
        raise SuiteError(
            f"{file} is not a valid suite", [f"{file}: duplicate case id {d!r} — ids must be unique" for d in dupes]
        )
