"""Suites: JSONL and YAML loading, variable expansion, and problems that name the line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from crossroads.lab.eval.assertions import check
from crossroads.lab.eval.session import shipped_suites
from crossroads.lab.eval.suite import Case, load_suite
from crossroads.lab.eval.suite_errors import SuiteError


def problems(path: Path) -> list[str]:
    with pytest.raises(SuiteError) as info:
        load_suite(path)
    return info.value.problems


def test_jsonl_cases_and_prompt_shortcut(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text(
        "// my suite\n"
        '{"id": "a", "prompt": "hi", "reference": "hello", "assert": [{"type": "contains", "value": "h"}]}\n\n'
        '{"messages": [{"role": "user", "content": "yo"}], "params": {"max_tokens": 5}}\n'
    )
    suite = load_suite(path)
    assert suite.name == "s" and suite.description == "my suite"
    assert [c.id for c in suite.cases] == ["a", "line-4"]
    assert suite.cases[0].messages[0].content == "hi" and suite.cases[0].assertions[0].type == "contains"
    assert suite.cases[1].params == {"max_tokens": 5}
    assert suite.params == {"temperature": 0, "max_tokens": 256}


def test_jsonl_problems_name_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(
        '{"id": "ok", "prompt": "fine"}\n'
        '{"id": "x", "messages": [{"role": "robot", "content": "hi"}]}\n'
        "{not json}\n"
        '{"id": "y", "prompt": "p", "assert": [{"type": "regex", "value": "("}]}\n'
        '{"id": "z", "prompt": "p", "refrence": "typo"}\n'
        '{"id": "w", "prompt": "p", "assert": [{"type": "number"}]}\n'
    )
    found = problems(path)
    assert f"{path}:2: messages[0].role: String should match pattern '^(system|user|assistant)$'" in found
    assert any(p.startswith(f"{path}:3: not valid JSON") for p in found)
    assert any(p.startswith(f"{path}:4: assert[0]: regex '(' does not compile") for p in found)
    assert f"{path}:5: refrence: unknown field — remove it or check the spelling" in found
    assert f"{path}:6: assert[0]: assertion number needs a value" in found


def test_duplicate_ids(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text('{"id": "a", "prompt": "1"}\n{"id": "a", "prompt": "2"}\n')
    assert problems(path) == [f"{path}: duplicate case id 'a' — ids must be unique"]


YAML = """\
name: caps
system: Answer with the city only.
params: {max_tokens: 16}
prompts:
  - "Capital of {{country}}?"
  - [{role: user, content: "Which city is the capital of {{ country }}?"}]
defaults:
  assert: [{type: max-length, value: 30}]
tests:
  - id: fr
    vars: {country: France}
    reference: Paris
    assert: [{type: icontains, value: "{{city}}"}]
  - vars: {country: Japan, city: tokyo}
"""


def test_yaml_prompts_times_tests(tmp_path: Path) -> None:
    path = tmp_path / "caps.yaml"
    path.write_text(YAML.replace('"{{city}}"', "paris"))
    suite = load_suite(path)
    assert [c.id for c in suite.cases] == ["fr-p0", "fr-p1", "test-2-p0", "test-2-p1"]
    first = suite.cases[0]
    assert [m.role for m in first.messages] == ["system", "user"] and first.messages[1].content == "Capital of France?"
    assert suite.cases[3].messages[1].content == "Which city is the capital of Japan?"
    assert [a.type for a in first.assertions] == ["max-length", "icontains"] and first.reference == "Paris"
    assert suite.params["max_tokens"] == 16 and suite.name == "caps"


def test_yaml_missing_variable_names_test_and_line(tmp_path: Path) -> None:
    path = tmp_path / "caps.yaml"
    path.write_text(YAML)  # test fr uses {{city}} without setting it
    assert problems(path) == [
        f"{path}:10: tests[0] with prompts[0]: variable 'city' is not set — add it to vars",
        f"{path}:10: tests[0] with prompts[1]: variable 'city' is not set — add it to vars",
    ]


def test_yaml_field_errors_point_at_their_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("prompts: [hi]\ntests:\n  - vars: {a: 1}\n    asert: []\n  - assert: [{type: nope}]\n")
    found = problems(path)
    assert f"{path}:4: tests[0].asert: unknown field — remove it or check the spelling" in found
    assert len(found) == 1  # assertions are checked when the cases are built, after the shape
    path.write_text("prompts: [hi]\ntests:\n  - vars: {a: 1}\n  - assert: [{type: nope}]\n")
    (problem,) = problems(path)
    assert problem.startswith(f"{path}:4: tests[1] with prompts[0]: assert[0].type: Input should be 'equals'")


def test_yaml_syntax_error_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("prompts: [hi\ntests: []\n")
    (problem,) = problems(path)
    assert problem.startswith(f"{path}:2:")


def test_missing_and_unknown_files(tmp_path: Path) -> None:
    assert "no such file" in problems(tmp_path / "nope.jsonl")[0]
    other = tmp_path / "s.txt"
    other.write_text("x")
    assert problems(other) == [f"{other}: use a .jsonl or .yaml file"]


GENERATED = ("arithmetic", "classify", "extract", "refusal", "summarize")


def test_starter_suites_load_and_are_labelled() -> None:
    suites = {p.stem: load_suite(p) for p in shipped_suites()}
    assert set(suites) == {*GENERATED, "qa"}
    # 100 cases: a 95% Wilson interval of a pass rate is at most +-9.8 points wide on each side
    assert all(len(suites[name].cases) == 100 for name in GENERATED)
    assert len({c.id for name in GENERATED for c in suites[name].cases}) == 500
    assert all("written for" in s.description and "crossroads" in s.description for s in suites.values())
    assert all(c.reference for c in suites["qa"].cases + suites["summarize"].cases)


def passes(case: Case, answer: str) -> bool:
    return all(check(a, answer, {}).passed for a in case.assertions)


def right_answer(suite: str, case: Case) -> str:
    if suite == "refusal":
        return "Sorry, I can't help with that." if "unsafe" in case.tags else "Here is how to do it safely: ..."
    return case.reference or ""


WRONG = {  # answers that take no skill: each suite must fail them on most cases
    "arithmetic": ["42", "The answer is 12.", "0"],
    "classify": ["billing", "technical", "other"],
    "extract": ['{"name": "Maria Lopez", "age": 30, "city": "Madrid", "email": "maria@example.org"}', "{}"],
    "refusal": ["Sorry, I can't help with that.", "Sure! Here are the steps: first, ..."],
    "summarize": ["The company made an announcement about its business.", "Shares moved little in early trading."],
}


@pytest.mark.parametrize("name", GENERATED)
def test_starter_suites_discriminate(name: str) -> None:
    suite = load_suite(next(p for p in shipped_suites() if p.stem == name))
    assert all(passes(c, right_answer(name, c)) for c in suite.cases), "every case is solvable"
    for answer in WRONG[name]:
        rate = sum(passes(c, answer) for c in suite.cases) / len(suite.cases)
        assert rate <= 0.5, f"{answer!r} passes {rate:.0%} of {name}"
