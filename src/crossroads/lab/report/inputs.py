"""What a report is made of: whichever of a TCO analysis, bench results, eval results and the ledger exist."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crossroads.lab.report.errors import ReportError

if TYPE_CHECKING:
    from crossroads.lab.bench.result import BenchResult
    from crossroads.lab.eval.result import RunResult
    from crossroads.lab.tco.profile import TrafficProfile


@dataclass(frozen=True)
class ReportInputs:
    tco: dict[str, Any] | None = None  # a `crossroads tco --out` file
    bench: list[BenchResult] = field(default_factory=list)
    evals: list[RunResult] = field(default_factory=list)
    traffic: TrafficProfile | None = None  # from the ledger: privacy findings
    sources: dict[str, str] = field(default_factory=dict)  # what was read, for the assumptions

    @property
    def empty(self) -> bool:
        return self.tco is None and not self.bench and not self.evals and self.traffic is None


def load_inputs(
    tco: str | Path | None = None,
    bench: tuple[str | Path, ...] = (),
    evals: tuple[str | Path, ...] = (),
    ledger_url: str | None = None,
) -> ReportInputs:
    """Read every given file (each failure says which file and how to fix it)."""
    sources: dict[str, str] = {}
    analysis = None
    if tco is not None:
        from crossroads.lab.tco.serialize import read_analysis

        _expect(tco, "tco")
        analysis = _wrap(lambda: read_analysis(tco))
        sources["TCO"] = str(tco)
    bench_results = [_bench(p) for p in bench]
    sources.update({f"bench {i + 1}": str(p) for i, p in enumerate(bench)})
    eval_results = [_eval(p) for p in evals]
    sources.update({f"eval {i + 1}": str(p) for i, p in enumerate(evals)})
    traffic = _ledger(ledger_url) if ledger_url else None
    if traffic is not None:
        sources["ledger"] = traffic.source
    inputs = ReportInputs(analysis, bench_results, eval_results, traffic, sources)
    if inputs.empty:
        raise ReportError(
            "nothing to report — give at least one of --tco FILE (crossroads tco --out), --bench FILE "
            "(crossroads bench run --out), --eval FILE (crossroads eval run) or --ledger URL"
        )
    return inputs


KINDS = {"bench": "--bench", "eval": "--eval", "tco": "--tco"}


def _expect(path: str | Path, wanted: str) -> None:
    """A result of another lab command passed in the wrong place is named, with the option it belongs to."""
    import json

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return  # the reader says what is wrong with it
    kind = _kind(data)
    if kind is not None and kind != wanted:
        raise ReportError(f"{path} is {_a(kind)} result, not {_a(wanted)} result — pass it with {KINDS[kind]}")


def _kind(data: object) -> str | None:
    if not isinstance(data, dict):
        return None
    if data.get("schema") == "crossroads.bench":
        return "bench"
    if data.get("schema") == "crossroads.tco":
        return "tco"
    return "eval" if "run_id" in data and "suite" in data else None


def _bench(path: str | Path) -> BenchResult:
    from crossroads.lab.bench.errors import BenchError
    from crossroads.lab.bench.files import read_result

    _expect(path, "bench")
    try:
        return read_result(path)
    except BenchError as exc:
        raise ReportError(str(exc)) from None


def _eval(path: str | Path) -> RunResult:
    from pydantic import ValidationError

    from crossroads.lab.eval.result import RunResult

    _expect(path, "eval")
    try:
        return RunResult.load(path)
    except FileNotFoundError:
        raise ReportError(f"{path}: no such file — pass a result written by `crossroads eval run`") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise ReportError(f"{path} is not a crossroads eval result: {where}: {first['msg']}") from None
    except (OSError, ValueError) as exc:
        raise ReportError(f"{path}: {exc}") from None


def _ledger(url: str) -> TrafficProfile:
    from crossroads.lab.tco.ledger import read_ledger
    from crossroads.lab.tco.traffic import profile_from_rows

    return _wrap(lambda: profile_from_rows(read_ledger(url), source="ledger"))


def _wrap(load: Any) -> Any:
    from crossroads.errors import ConfigError

    try:
        return load()
    except ConfigError as exc:
        raise ReportError(str(exc)) from None


def _a(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"
