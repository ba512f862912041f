"""The tuning loop end to end on a task the repository ships (``make demo-tune``; ~9 minutes on 2 free cores).

    python scripts/demo_tune.py [--out build/demo-tune] [--tickets 300] [--minutes 12]

1. Support tickets written with Faker (seeded) go through a real ``crossroads serve`` to a "hosted" model: the
   bundled fake OpenAI upstream, scripted to answer each ticket with its JSON record (a seeded 5 % with a wrong
   priority). The guard pseudonymizes names and e-mails; the gateway logs content (encrypted) and shadows a
   sample to the local SmolLM2.
2. ``crossroads tune collect`` builds train/validation/test from what the gateway stored (JSON-schema checked).
3. ``crossroads tune train`` fine-tunes SmolLM2-135M-Instruct with LoRA on CPU within a time limit.
4. ``crossroads eval run`` asks untuned and tuned SmolLM2 — and the hosted teacher, replaying its answers — the
   held-out tickets, graded against the tickets' true records; ``crossroads tco`` and ``crossroads report`` put
   quality and cost side by side. Figures go to OUT/demo.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import openai
import yaml
from cryptography.fernet import Fernet

from crossroads.procs import stop_process
from crossroads.testing.server import free_port
from crossroads.tune.tickets import SCHEMA, assertions_for, make_tickets, teacher_answer

HOSTED_MODEL = "gpt-4o-mini"


@contextmanager
def running(args: list[str], probe: str, port: int, env: dict[str, str] | None = None) -> Iterator[str]:
    """A server process (its output in a temporary file) until the block ends; yields its base URL."""
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(args, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(1200):
                if proc.poll() is not None:
                    log.seek(0)
                    raise SystemExit(f"{args[2:4]} exited: {log.read()[-3000:].decode(errors='replace')}")
                try:
                    if httpx.get(base + probe, timeout=1.0).status_code < 500:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            yield base
        finally:
            stop_process(proc)


def crossroads_serve(config: Path, env: dict[str, str]) -> Any:
    port = free_port()
    args = [sys.executable, "-m", "crossroads", "serve", "--config", str(config), "--port", str(port)]
    return running(args, "/health", port, env)


def cli(*args: str, env: dict[str, str] | None = None) -> str:
    """Run a crossroads command as a user would; echo and return its output."""
    print("$ crossroads " + " ".join(args), flush=True)
    done = subprocess.run([sys.executable, "-m", "crossroads", *args], env={**os.environ, **(env or {})},
                          capture_output=True, text=True)  # fmt: skip
    print(done.stdout[-3000:], done.stderr[-3000:], sep="", flush=True)
    if done.returncode != 0:
        raise SystemExit(f"crossroads {args[0]} failed ({done.returncode})")
    return done.stdout


def config(out: Path, fake: str, tuned: Path | None) -> dict[str, Any]:
    backends: dict[str, Any] = {
        "hosted": {"type": "openai_compat", "base_url": fake + "/v1", "api_key_env": "DEMO_HOSTED_KEY"},
        "local": {"type": "embedded", "n_ctx": 1024, "n_threads": 2},
    }
    models: dict[str, Any] = {
        "support": {"backend": "hosted", "upstream_model": HOSTED_MODEL,
                    "shadow": [{"backend": "local", "sample": 0.05}]},
        "smollm2": {"backend": "local"},
    }  # fmt: skip
    if tuned is not None:  # the eval: the held-out prompts already went through the guard; no mirrors
        backends["local-tuned"] = {**backends["local"], "lora": str(tuned)}
        models["smollm2-tuned"] = {"backend": "local-tuned"}
        models[HOSTED_MODEL] = {"backend": "hosted"}  # the teacher under the name the TCO prices
        del models["support"]
        return {"backends": backends, "models": models}
    return {
        "backends": backends,
        "models": models,
        "routing": {"shadow_log": str(out / "shadow.jsonl")},
        "privacy": {"default": {"EMAIL_ADDRESS": "pseudonymize", "PERSON": "pseudonymize"}},
        "metering": {"enabled": True, "database_url": f"sqlite:///{out / 'gateway.db'}",
                     "content_logging": {"enabled": True}},
    }  # fmt: skip


def send_traffic(out: Path, n: int, seed: int, env: dict[str, str]) -> dict[str, dict[str, str]]:
    """Serve the gateway, script the teacher, send every ticket once; the true record per order number."""
    tickets = make_tickets(n, seed)
    rng = random.Random(seed + 1)
    answers = [teacher_answer(t, rng) for t in tickets]
    port = free_port()
    fake_args = [sys.executable, "-m", "crossroads", "fake-upstream", "--port", str(port)]
    with running(fake_args, "/v1/models", port) as fake:
        path = out / "gateway.yaml"
        path.write_text(yaml.safe_dump(config(out, fake, None)))
        httpx.post(fake + "/_fake/faults", json=[{"content": a} for a in answers]).raise_for_status()
        with crossroads_serve(path, env) as gateway:
            client = openai.OpenAI(base_url=gateway + "/v1", api_key="unused", max_retries=0)
            started = time.monotonic()
            for ticket in tickets:
                client.chat.completions.create(model="support", messages=ticket.messages(), max_tokens=80)  # type: ignore[arg-type]
            print(f"sent {n} tickets through the gateway in {time.monotonic() - started:.0f} s", flush=True)
            time.sleep(3)  # the last shadow mirrors finish
        seen = httpx.get(fake + "/_fake/requests").json()
    leaked = sum(1 for r in seen for t in tickets if t.text.split(", ")[-1] in json.dumps(r))
    print(f"the teacher saw {len(seen)} requests; e-mails that reached it: {leaked}", flush=True)
    return {t.record["order"]: t.record for t in tickets}


def suite_from(test: Path, truth: dict[str, dict[str, str]], out: Path) -> tuple[Path, list[str]]:
    """The held-out split as an eval suite graded against the tickets' true records; the teacher's answers."""
    cases, teacher = [], []
    for i, line in enumerate(test.read_text().splitlines()):
        messages = json.loads(line)["messages"]
        order = next(o for o in truth if o in messages[-2]["content"])
        cases.append({"id": f"t{i:03d}", "messages": messages[:-1], "reference": messages[-1]["content"],
                      "assert": assertions_for(truth[order])})  # fmt: skip
        teacher.append(messages[-1]["content"])
    path = out / "tickets.eval.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in cases))
    return path, teacher


def newest(folder: Path) -> Path:
    return max(folder.glob("*.json"), key=lambda p: p.stat().st_mtime)


def evaluate(out: Path, suite: Path, teacher: list[str], env: dict[str, str]) -> dict[str, Path]:
    runs = out / "eval"
    common = ["--no-similarity", "--no-cache", "--runs-dir", str(runs), "--max-tokens", "80"]
    port = free_port()
    fake_args = [sys.executable, "-m", "crossroads", "fake-upstream", "--port", str(port)]
    with running(fake_args, "/v1/models", port) as fake:
        path = out / "eval.yaml"
        path.write_text(yaml.safe_dump(config(out, fake, out / "model" / "adapter.gguf")))
        cli("eval", "run", str(suite), "--config", str(path), "--models", "smollm2,smollm2-tuned",
            "--concurrency", "1", *common, env=env)  # fmt: skip
        local = newest(runs)
        httpx.post(fake + "/_fake/faults", json=[{"content": a} for a in teacher]).raise_for_status()
        cli("eval", "run", str(suite), "--config", str(path), "--models", HOSTED_MODEL, "--concurrency", "1", *common,
            env=env)  # fmt: skip
        hosted = newest(runs)
    return {"local": local, "hosted": hosted}


def collect_and_train(out: Path, minutes: float, env: dict[str, str]) -> None:
    cli("tune", "collect", "--config", str(out / "gateway.yaml"), "--model", "support", "--out", str(out / "data"),
        "--check", json.dumps({"type": "json_schema", "schema": SCHEMA}), env=env)  # fmt: skip
    cli("tune", "train", "--data", str(out / "data" / "train.jsonl"), "--validation",
        str(out / "data" / "validation.jsonl"), "--out", str(out / "model"), "--max-minutes", str(minutes),
        "--rank", "16", "--alpha", "32", "--targets", "q_proj,k_proj,v_proj,o_proj", "--last-layers", "10",
        "--learning-rate", "2e-3", "--batch-size", "4", "--epochs", "3", "--threads", "2")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("build/demo-tune"))
    parser.add_argument("--tickets", type=int, default=300)
    parser.add_argument("--minutes", type=float, default=12.0, help="training time limit")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--eval-only", action="store_true", help="reuse OUT's dataset and adapter: evaluate again")
    args = parser.parse_args()
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    for stale in ("gateway.db", "shadow.jsonl") if not args.eval_only else ():
        (out / stale).unlink(missing_ok=True)
    env = {"CROSSROADS_CONTENT_KEY": Fernet.generate_key().decode(), "DEMO_HOSTED_KEY": "sk-demo",
           "CROSSROADS_HASH_KEY": "demo-" + "k" * 32}  # fmt: skip
    timings: dict[str, float] = {}
    start = time.monotonic()
    if args.eval_only:  # the same seeded tickets; data and adapter from the last run
        truth = {t.record["order"]: t.record for t in make_tickets(args.tickets, args.seed)}
    else:
        truth = send_traffic(out, args.tickets, args.seed, env)
        timings["traffic_s"] = time.monotonic() - start
        collect_and_train(out, args.minutes, env)
        timings["collect_and_train_s"] = time.monotonic() - start - sum(timings.values())
    suite, teacher = suite_from(out / "data" / "test.jsonl", truth, out)
    runs = evaluate(out, suite, teacher, env)
    timings["eval_s"] = time.monotonic() - start - sum(timings.values())
    # the cost axis: this traffic from the gateway's ledger, self-hosted on a small CPU machine (SmolLM2 decodes
    # ~130 tokens/s on 2 cores; price the machine you would use) against the hosted model's catalog price
    cli("tco", "--from-ledger", f"sqlite:///{out / 'gateway.db'}", "--api", HOSTED_MODEL,
        "--gpu", "cpu-2vcpu,hourly=0.05,tps=130,model=smollm2-tuned", "--out", str(out / "tco.json"))  # fmt: skip
    cli("report", "--eval", str(runs["local"]), "--eval", str(runs["hosted"]), "--tco", str(out / "tco.json"),
        "--ledger", f"sqlite:///{out / 'gateway.db'}", "--out", str(out / "report.html"),
        "--markdown", str(out / "report.md"))  # fmt: skip
    cli("tune", "route", "--adapter", str(out / "model" / "adapter.gguf"), "--hosted-backend", "hosted",
        "--hosted-model", HOSTED_MODEL, "--schema", json.dumps(SCHEMA))  # fmt: skip
    summary = {"timings_s": {k: round(v) for k, v in timings.items()}, "total_s": round(time.monotonic() - start)}
    summary["pass_rates"] = {name: _pass_rates(path) for name, path in runs.items()}
    summary["training"] = {k: v for k, v in json.loads((out / "model" / "tune.json").read_text())["result"].items()}
    (out / "demo.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))


def _pass_rates(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text())
    return {s["model"]: s.get("pass_rate") for s in data["summaries"]}


if __name__ == "__main__":
    main()
