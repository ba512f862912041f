"""Do the report's inputs describe the same thing? Each check compares two inputs and, when they disagree,
says what the disagreement is and how to close it.

The checks (data, run in order): the bench hardware against the machine priced, the bench's prompt shape
against the workload, a bench of a hosted API used as self-hosted capacity, the model benched against the
model the fleet is said to serve, and the models costed against the models evaluated. ``unknowns`` lists
what no input says at all (a throughput typed in by hand, a fleet whose model is not named)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from crossroads.lab.tco.fmt import num

if TYPE_CHECKING:
    from crossroads.catalog import Catalog
    from crossroads.lab.report.inputs import ReportInputs

SHAPE_TOLERANCE = Decimal(2)  # a bench prompt or answer more than 2x off the workload's is another workload


@dataclass(frozen=True)
class Mismatch:
    kind: str  # hardware | prompt_shape | hosted_capacity | bench_model | not_evaluated
    subject: str  # the option it concerns
    problem: str
    fix: str

    @property
    def text(self) -> str:
        return f"{self.problem} To close it: {self.fix}"


def mismatches(inputs: ReportInputs) -> list[Mismatch]:
    found: list[Mismatch] = []
    for option in _self_hosted(inputs):
        for check in BENCH_CHECKS:
            found += check(option, inputs.tco or {})
    return found + list(_not_evaluated(inputs))


def unknowns(inputs: ReportInputs) -> list[str]:
    notes = []
    for o in _self_hosted(inputs):
        if o.get("bench") is None and o.get("throughput") is not None:
            notes.append(
                f"The throughput of {o['name']} ({num(Decimal(o['throughput']))} tokens/s per machine) is an "
                "assumption, not a measurement. To close it: bench the model on that machine and pass "
                f"`--gpu NAME,bench=FILE` to tco."
            )
        if not o.get("model"):
            notes.append(
                f"The model {o['name']} would serve is not named, so its quality cannot be matched to an eval. "
                "To close it: `--gpu NAME,model=MODEL` (or a bench of that model) in tco."
            )
    return notes


def _self_hosted(inputs: ReportInputs) -> list[dict[str, Any]]:
    return [o for o in (inputs.tco or {}).get("options", []) if o["kind"] == "self-hosted"]


def _hardware(o: dict[str, Any], _tco: dict[str, Any]) -> list[Mismatch]:
    bench, gpu, gpus = o.get("bench"), o.get("gpu") or "", o.get("gpus")
    if bench is None or not gpu:
        return []
    priced = f"{gpus}× {gpu}"
    measured = bench["hardware"]
    family = re.sub(r"\s*\d+\s*GB$", "", gpu, flags=re.I).replace(" ", "").lower()
    count = re.search(r"(\d+)\s*[x×]", measured)
    same_gpu = bench["hardware_given"] and family in measured.replace(" ", "").lower()
    same_count = count is None or int(count.group(1)) == gpus
    if same_gpu and same_count:
        return []
    problem = (
        f"{o['name']} is priced as {priced}, but the throughput it is sized with "
        f"({num(Decimal(bench['tokens_per_s']))} tokens/s) was measured on {measured} ({bench['file']})."
    )
    fix = (
        f"bench {bench['model']} on the machine you price (`crossroads bench run ... --hardware '{priced}'` on a "
        f"{o.get('instance') or o['name']}), or price the machine you benched (`--gpu NAME,hourly=USD`)."
    )
    return [Mismatch("hardware", o["name"], problem, fix)]


def _shape(o: dict[str, Any], tco: dict[str, Any]) -> list[Mismatch]:
    bench, profile = o.get("bench"), tco.get("profile", {})
    if bench is None or bench.get("prompt_tokens") is None or bench.get("completion_tokens") is None:
        return []
    pairs = [(Decimal(bench[k]), Decimal(profile[k])) for k in ("prompt_tokens", "completion_tokens")]
    if all(w == 0 or 1 / SHAPE_TOLERANCE <= b / w <= SHAPE_TOLERANCE for b, w in pairs):
        return []
    (bp, wp), (bc, wc) = pairs
    problem = (
        f"{o['name']}'s throughput was measured with {num(bp)}-in / {num(bc)}-out requests ({bench['file']}); "
        f"the workload is {num(wp)}-in / {num(wc)}-out. Throughput and latency depend on the prompt and answer "
        "lengths, so that capacity is not this workload's."
    )
    fix = (
        f"rerun `crossroads bench run ... --input-tokens {wp:.0f} --output-tokens {wc:.0f}` (or --dataset "
        "with real prompts) and pass the result to tco."
    )
    return [Mismatch("prompt_shape", o["name"], problem, fix)]


def _hosted_capacity(o: dict[str, Any], _tco: dict[str, Any]) -> list[Mismatch]:
    bench = o.get("bench")
    if bench is None or bench.get("location") != "hosted":
        return []
    problem = (
        f"{o['name']} is sized with the throughput of a hosted API ({bench['model']}, {bench['file']}): a "
        "provider's shared fleet says nothing about what one of your GPU machines can carry."
    )
    fix = "bench the self-hosted server (vLLM, llama.cpp's server) on the machine you price, and pass that file."
    return [Mismatch("hosted_capacity", o["name"], problem, fix)]


def _bench_model(o: dict[str, Any], _tco: dict[str, Any]) -> list[Mismatch]:
    bench = o.get("bench")
    if bench is None or not o.get("model") or same_model(o["model"], bench["model"]):
        return []
    problem = f"{o['name']} is said to serve {o['model']}, but its throughput is a bench of {bench['model']}."
    fix = f"bench {o['model']} on that machine and pass the file with --gpu NAME,bench=FILE."
    return [Mismatch("bench_model", o["name"], problem, fix)]


BENCH_CHECKS: tuple[Callable[[dict[str, Any], dict[str, Any]], list[Mismatch]], ...] = (
    _hardware,
    _shape,
    _hosted_capacity,
    _bench_model,
)


def _not_evaluated(inputs: ReportInputs) -> Iterator[Mismatch]:
    evaluated = sorted({m for run in inputs.evals for m in run.models})
    if not evaluated or inputs.tco is None:
        return
    costed = [o for o in inputs.tco["options"] if o.get("model")]
    uncosted = [m for m in evaluated if not any(same_model(m, o["model"]) for o in costed)]
    for o in costed:
        if any(same_model(o["model"], m) for m in evaluated):
            continue
        instead = f"; the eval measured {', '.join(uncosted)} instead" if uncosted else ""
        which = o["model"] if o["model"] == o["name"] else f"{o['model']} ({o['name']})"
        problem = f"{which} is costed but was not evaluated{instead}."
        fix = (
            f"add it to the eval (`crossroads eval run SUITE --models {_short(o['model'])},...`), or cost the "
            "model you evaluated (tco --api MODEL, or --gpu NAME,model=MODEL)."
        )
        yield Mismatch("not_evaluated", o["name"], problem, fix)


def same_model(a: str, b: str) -> bool:
    """Two names of one model: equal ignoring the provider prefix and case, or the same catalog entry."""
    if _short(a).lower() == _short(b).lower():
        return True
    return (key := _catalog_key(a)) is not None and key == _catalog_key(b)


def _short(name: str) -> str:
    return name.split("/", 1)[1] if "/" in name else name


def _catalog_key(name: str) -> str | None:
    found = _catalog().price(name)
    return None if found is None else found.key


@functools.lru_cache(maxsize=1)
def _catalog() -> Catalog:
    from crossroads.catalog import load_catalog

    return load_catalog()
