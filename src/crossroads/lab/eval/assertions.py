"""Per-case assertions: text checks run here, metric checks read scores computed by ``metrics``/``judge``.

=============  ==============================================  ===============================
type           passes when                                     fields
=============  ==============================================  ===============================
equals         the stripped answer equals ``value``            value, ignore_case
contains       ``value`` (or every item of a list) occurs      value, ignore_case
icontains      same, ignoring case                             value
not-contains   ``value`` does not occur (case-insensitive)     value
contains-any   at least one item of the list occurs            value (list), ignore_case
regex          ``re.search(value, answer)`` matches            value
is-json        the answer (``json`` fence allowed) parses      -
json-schema    it parses and validates against ``value``       value (a JSON schema)
number         the first number is within ``tolerance``        value, tolerance (absolute)
max-length     at most ``value`` characters (or words)         value, unit: chars | words
similar        embedding cosine to ``reference`` >= threshold  threshold (default 0.75)
rouge-l        ROUGE-L F1 to ``reference`` >= threshold        threshold (default 0.5)
judge          the judge's rubric score (1..5) >= threshold    threshold (default 4)
=============  ==============================================  ===============================
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

import jsonschema
from pydantic import BaseModel, ConfigDict, model_validator

from crossroads.lab.eval.result import AssertionResult

Kind = Literal[
    "equals", "contains", "icontains", "not-contains", "contains-any", "regex", "is-json", "json-schema",
    "number", "max-length", "similar", "rouge-l", "judge",
]  # fmt: skip
METRIC_OF = {"similar": "similarity", "rouge-l": "rouge_l", "judge": "judge"}
_DEFAULT_THRESHOLD = {"similar": 0.75, "rouge-l": 0.5, "judge": 4.0}
_NEEDS_VALUE = {
    "equals",
    "contains",
    "icontains",
    "not-contains",
    "contains-any",
    "regex",
    "json-schema",
    "number",
    "max-length",
}
_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


class Assertion(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    type: Kind
    value: Any = None
    threshold: float | None = None
    tolerance: float = 0.0
    unit: Literal["chars", "words"] = "chars"
    ignore_case: bool = False

    @model_validator(mode="after")
    def _check(self) -> Assertion:
        if self.type in _NEEDS_VALUE and self.value is None:
            raise ValueError(f"assertion {self.type} needs a value")
        if self.type == "regex":
            try:
                re.compile(str(self.value))
            except re.error as exc:
                raise ValueError(f"regex {self.value!r} does not compile: {exc}") from None
        if self.type == "json-schema":
            try:
                jsonschema.Draft202012Validator.check_schema(self.value)
            except jsonschema.SchemaError as exc:
                raise ValueError(f"value is not a valid JSON schema: {exc.message}") from None
        if self.type in {"number", "max-length"} and not isinstance(self.value, int | float):
            raise ValueError(f"assertion {self.type} needs a numeric value")
        if self.type == "contains-any" and not isinstance(self.value, list):
            raise ValueError("assertion contains-any needs a list value")
        return self

    @property
    def metric(self) -> str | None:
        return METRIC_OF.get(self.type)

    @property
    def min_score(self) -> float:
        return self.threshold if self.threshold is not None else _DEFAULT_THRESHOLD.get(self.type, 0.0)


def parse_json_answer(text: str) -> Any:
    """The JSON in an answer, allowing a Markdown code fence around it; raises ValueError."""
    fence = _FENCE.search(text)
    return json.loads(fence.group(1) if fence else text.strip())


def check(assertion: Assertion, text: str, scores: dict[str, float]) -> AssertionResult:
    """Run one assertion on an answer; metric assertions read ``scores`` (judge on its 1..5 scale)."""
    if assertion.metric is not None:
        return _metric(assertion, scores)
    passed, detail = _TEXT_CHECKS[assertion.type](assertion, text)
    return AssertionResult(type=assertion.type, passed=passed, detail=detail)


def _metric(a: Assertion, scores: dict[str, float]) -> AssertionResult:
    name = a.metric or ""
    if name not in scores:
        return AssertionResult(type=a.type, passed=False, detail=f"{name} not computed (no reference or no judge)")
    value = scores[name] * 4 + 1 if name == "judge" else scores[name]
    return AssertionResult(type=a.type, passed=value >= a.min_score, detail=f"{name} {value:.2f} (min {a.min_score:g})")


def _fold(a: Assertion, text: str, value: str) -> tuple[str, str]:
    return (text.lower(), value.lower()) if a.ignore_case or a.type == "icontains" else (text, value)


def _equals(a: Assertion, text: str) -> tuple[bool, str]:
    got, want = _fold(a, text.strip(), str(a.value).strip())
    return got == want, "" if got == want else f"expected {str(a.value)!r}"


def _contains(a: Assertion, text: str) -> tuple[bool, str]:
    wanted = a.value if isinstance(a.value, list) else [a.value]
    missing = [w for w in wanted if _fold(a, "", str(w))[1] not in _fold(a, text, "")[0]]
    return not missing, f"missing {missing}" if missing else ""


def _not_contains(a: Assertion, text: str) -> tuple[bool, str]:
    found = str(a.value).lower() in text.lower()
    return not found, f"contains {a.value!r}" if found else ""


def _contains_any(a: Assertion, text: str) -> tuple[bool, str]:
    ok = any(_fold(a, "", str(w))[1] in _fold(a, text, "")[0] for w in a.value)
    return ok, "" if ok else f"none of {a.value}"


def _regex(a: Assertion, text: str) -> tuple[bool, str]:
    ok = re.search(str(a.value), text) is not None
    return ok, "" if ok else f"no match for /{a.value}/"


def _is_json(a: Assertion, text: str) -> tuple[bool, str]:
    try:
        parse_json_answer(text)
    except ValueError as exc:
        return False, f"not JSON: {exc}"
    return True, ""


def _json_schema(a: Assertion, text: str) -> tuple[bool, str]:
    try:
        jsonschema.validate(parse_json_answer(text), a.value)
    except ValueError as exc:
        return False, f"not JSON: {exc}"
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(root)"
        return False, f"{where}: {exc.message}"
    return True, ""


def _number(a: Assertion, text: str) -> tuple[bool, str]:
    match = _NUMBER.search(text.replace(",", "") if "," in text and "." in text else text)
    if match is None:
        return False, "no number in the answer"
    got = float(match.group(0).replace(",", "."))
    ok = abs(got - float(a.value)) <= a.tolerance
    return ok, "" if ok else f"got {got:g}, expected {a.value} ± {a.tolerance:g}"


def _max_length(a: Assertion, text: str) -> tuple[bool, str]:
    size = len(text.split()) if a.unit == "words" else len(text.strip())
    return size <= a.value, f"{size} {a.unit}" if size > a.value else ""


_TEXT_CHECKS = {
    "equals": _equals,
    "contains": _contains,
    "icontains": _contains,
    "not-contains": _not_contains,
    "contains-any": _contains_any,
    "regex": _regex,
    "is-json": _is_json,
    "json-schema": _json_schema,
    "number": _number,
    "max-length": _max_length,
}
