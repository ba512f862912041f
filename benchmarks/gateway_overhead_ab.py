"""Gateway overhead before and after a change, in one run: ``gateway_overhead.py --quick`` alternately on this
checkout ("after") and on a git worktree of an earlier revision ("before"), a few rounds each.

    python benchmarks/gateway_overhead_ab.py [--before REV] [--after REV] [--rounds 3] [--out FILE]

Alternating rounds let drift of a busy machine fall on both sides alike. Printed and written: the median over the
rounds of the added latency (gateway − direct, ms) per load shape, and the gateway's CPU time per request (µs) —
the figure least moved by other work on the machine. Target: after ≤ before (within the rounds' spread).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from harness import RESULTS, environment, write_json
from rich.console import Console
from rich.table import Table

BEFORE = "ffd0c80"  # the last revision whose gateway built its stage chain from import strings
HERE = Path(__file__).resolve().parent


def one_run(src: Path, out: Path) -> dict[str, Any]:
    """``gateway_overhead.py --quick`` with ``src`` first on the path (the gateway it starts imports from there)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), str(HERE)])}
    cmd = [sys.executable, str(HERE / "gateway_overhead.py"), "--quick", "--out", str(out)]
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def figures(run: dict[str, Any]) -> dict[str, float]:
    """Per load shape: added p50/p99 (ms) and the gateway's CPU µs per request."""
    out: dict[str, float] = {}
    rows = [("closed", r, f"c={r['concurrency']}") for r in run["closed_loop"]]
    rows += [("open", r, f"{r['rate']:g}/s") for r in run["target_rate"]]
    for kind, row, label in rows:
        name = f"{kind} {label} {'stream' if row['stream'] else 'whole'}"
        out[f"{name} added p50 ms"] = row["added_p50_ms"]
        out[f"{name} added p99 ms"] = row["added_p99_ms"]
        out[f"{name} gw CPU µs/req"] = row["gateway"]["gateway_cpu_us_per_req"]
    return out


def median(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(r[key] for r in runs) for key in runs[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", default=BEFORE, help="git revision measured as 'before'")
    parser.add_argument("--after", help="git revision measured as 'after' (default: this checkout as it is)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS / "gateway_overhead_ab.json")
    args = parser.parse_args()
    root = HERE.parent
    runs: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
    with tempfile.TemporaryDirectory() as scratch:
        trees = {"before": Path(scratch) / "before", "after": root if args.after is None else Path(scratch) / "after"}
        for name, rev in (("before", args.before), ("after", args.after)):
            if rev is not None:
                subprocess.run(["git", "-C", str(root), "worktree", "add", "--detach", str(trees[name]), rev],
                               check=True, capture_output=True)  # fmt: skip
        try:
            for i in range(args.rounds):
                for name, tree in trees.items():
                    runs[name].append(figures(one_run(tree / "src", Path(scratch) / f"{name}{i}.json")))
        finally:
            for tree in trees.values():
                if tree != root:
                    subprocess.run(["git", "-C", str(root), "worktree", "remove", "--force", str(tree)], check=False)
    result = {name: median(r) for name, r in runs.items()}
    table = Table("measure", "before", "after", "after − before", title=f"median of {args.rounds} alternating runs")
    for key, b in result["before"].items():
        a = result["after"][key]
        table.add_row(key, f"{b:.3f}", f"{a:.3f}", f"{a - b:+.3f}")
    Console(width=120).print(table)
    revisions = {"before_revision": args.before, "after_revision": args.after or "checkout"}
    write_json(args.out, {"environment": environment(), **revisions, **result, "runs": runs})
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
