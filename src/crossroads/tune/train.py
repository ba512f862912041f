"""LoRA fine-tuning of the embedded model on CPU: transformers loads the GGUF the engine serves
(dequantised to float32), peft adds low-rank adapters, a plain AdamW loop trains them on the answers
only (prompt tokens are masked), and the result is written as a GGUF LoRA adapter for llama.cpp.

Limits: ``max_steps`` and ``max_minutes`` (whichever comes first; an epoch count bounds both).
Every ``checkpoint_every`` steps the adapter, optimizer and step are saved under ``checkpoints/``;
``resume`` continues from the newest one. ``tune.json`` beside the adapter records the data, the base
model and every setting, with hashes, so a run can be told apart and repeated.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from crossroads.errors import ConfigError
from crossroads.tune.dataset import read_chat_jsonl

Progress = Callable[[int, int, float, float], None]  # (step, total steps, loss, seconds so far)
ADAPTER = "adapter.gguf"
MANIFEST = "tune.json"


@dataclass(frozen=True)
class TrainRequest:
    data: Path  # train.jsonl (chat format)
    out_dir: Path
    base: Path | None = None  # a GGUF file; None: the bundled SmolLM2-135M-Instruct
    validation: Path | None = None
    rank: int = 8
    alpha: int = 16
    targets: tuple[str, ...] = ("q_proj", "v_proj")
    last_layers: int | None = None  # adapt only the last N blocks (backward stops there: much faster on CPU)
    learning_rate: float = 1e-3
    batch_size: int = 4
    epochs: float = 3.0
    max_steps: int | None = None
    max_minutes: float | None = None
    max_length: int = 512
    checkpoint_every: int = 50
    resume: bool = False
    seed: int = 0
    threads: int | None = None


@dataclass
class TrainResult:
    adapter: Path
    manifest: Path
    steps: int
    first_loss: float
    last_loss: float
    validation_loss: float | None
    seconds: float
    stopped_by: str
    losses: list[float] = field(default_factory=list)


def base_path(base: Path | None) -> Path:
    from crossroads.backends.embedded.engine import model_path

    try:
        return model_path(None if base is None else str(base))
    except Exception as exc:  # the engine's ServiceUnavailable: say it as a setting
        raise ConfigError(f"base model: {getattr(exc, 'message', exc)}", ["--base: a GGUF file"]) from None


def load_base(path: Path) -> tuple[Any, Any]:
    """(model, tokenizer) from a GGUF file, float32 on CPU."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging

    logging.disable_progress_bar()  # the caller shows its own progress
    tokenizer = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
    model = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name, dtype=torch.float32)
    return model, tokenizer


def encode(tokenizer: Any, conversation: list[dict[str, str]], max_length: int) -> tuple[list[int], list[int]]:
    """Token ids of the chat as the engine renders it, and labels that train on the answer and its end token."""
    prompt = tokenizer.apply_chat_template(conversation[:-1], tokenize=False, add_generation_prompt=True)
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    answer_ids = tokenizer(conversation[-1]["content"] + tokenizer.eos_token, add_special_tokens=False)["input_ids"]
    ids = (prompt_ids + answer_ids)[:max_length]
    labels = ([-100] * len(prompt_ids) + answer_ids)[:max_length]
    return ids, labels


def _batches(encoded: list[tuple[list[int], list[int]]], size: int, pad: int, rng: random.Random) -> Any:
    import torch

    order = list(range(len(encoded)))
    while True:
        rng.shuffle(order)
        for start in range(0, len(order) - size + 1 if len(order) >= size else 1, size):
            chunk = [encoded[i] for i in order[start : start + size]]
            yield _collate(chunk, pad, torch)


def _collate(chunk: list[tuple[list[int], list[int]]], pad: int, torch: Any) -> dict[str, Any]:
    width = max(len(ids) for ids, _ in chunk)
    ids = [i + [pad] * (width - len(i)) for i, _ in chunk]
    labels = [lab + [-100] * (width - len(lab)) for _, lab in chunk]
    mask = [[1] * len(i) + [0] * (width - len(i)) for i, _ in chunk]
    return {"input_ids": torch.tensor(ids), "labels": torch.tensor(labels), "attention_mask": torch.tensor(mask)}


def _mean_loss(model: Any, encoded: list[tuple[list[int], list[int]]], pad: int, size: int) -> float | None:
    import torch

    if not encoded:
        return None
    model.eval()
    total = 0.0
    with torch.no_grad():
        for start in range(0, len(encoded), size):
            chunk = encoded[start : start + size]
            total += float(model(**_collate(chunk, pad, torch)).loss) * len(chunk)
    model.train()
    return total / len(encoded)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def train(request: TrainRequest, progress: Progress | None = None) -> TrainResult:
    """Fine-tune, then write ``adapter.gguf`` and ``tune.json`` into ``request.out_dir``."""
    import torch
    from peft import LoraConfig, get_peft_model, get_peft_model_state_dict

    from crossroads.tune import checkpoints
    from crossroads.tune.gguf_lora import gguf_architecture, write_gguf_lora

    base = base_path(request.base)
    conversations = _read(request.data, "--data")
    held_out = _read(request.validation, "--validation") if request.validation else []
    torch.manual_seed(request.seed)
    if request.threads:
        torch.set_num_threads(request.threads)
    model, tokenizer = load_base(base)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    encoded = [encode(tokenizer, c, request.max_length) for c in conversations]
    val_encoded = [encode(tokenizer, c, request.max_length) for c in held_out]
    config = LoraConfig(
        r=request.rank,
        lora_alpha=request.alpha,
        target_modules=list(request.targets),
        lora_dropout=0.0,
        layers_to_transform=_last(model.config.num_hidden_layers, request.last_layers),
    )
    heads = (model.config.num_attention_heads, model.config.num_key_value_heads)
    with warnings.catch_warnings():  # peft asks transformers' deprecated is_gradient_checkpointing
        warnings.filterwarnings("ignore", "`is_gradient_checkpointing` is deprecated", FutureWarning)
        model = get_peft_model(model, config)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=request.learning_rate)
    per_epoch = max(1, len(encoded) // request.batch_size)
    total = max(1, math.ceil(per_epoch * request.epochs))
    total = min(total, request.max_steps) if request.max_steps else total
    request.out_dir.mkdir(parents=True, exist_ok=True)
    step, losses = checkpoints.restore(request.out_dir, model, optimizer) if request.resume else (0, [])
    rng = random.Random(request.seed + step)
    batches = _batches(encoded, request.batch_size, pad, rng)
    started, stopped_by = time.monotonic(), "steps"
    model.train()
    while step < total:
        if request.max_minutes is not None and time.monotonic() - started > request.max_minutes * 60:
            stopped_by = "time"
            break
        loss = model(**next(batches)).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        step += 1
        losses.append(round(loss.item(), 5))
        if progress is not None:
            progress(step, total, losses[-1], time.monotonic() - started)
        if request.checkpoint_every and step % request.checkpoint_every == 0:
            checkpoints.save(request.out_dir, model, optimizer, step, losses)
    if not losses:
        raise ConfigError("no training step ran", ["raise --max-steps / --max-minutes, or give more data"])
    checkpoints.save(request.out_dir, model, optimizer, step, losses)
    adapter = request.out_dir / ADAPTER
    write_gguf_lora(
        get_peft_model_state_dict(model, save_embedding_layers=False),
        adapter,
        alpha=request.alpha,
        n_head=heads[0],
        n_head_kv=heads[1],
        arch=gguf_architecture(base),
    )
    result = TrainResult(
        adapter=adapter,
        manifest=request.out_dir / MANIFEST,
        steps=step,
        first_loss=losses[0],
        last_loss=sum(losses[-5:]) / len(losses[-5:]),
        validation_loss=_mean_loss(model, val_encoded, pad, request.batch_size),
        seconds=round(time.monotonic() - started, 1),
        stopped_by=stopped_by,
        losses=losses,
    )
    _write_manifest(request, result, base, len(conversations), len(held_out))
    return result


def _last(blocks: int, last: int | None) -> list[int] | None:
    return None if last is None or last >= blocks else list(range(blocks - last, blocks))


def _read(path: Path | None, option: str) -> list[list[dict[str, str]]]:
    if path is None or not path.is_file():
        raise ConfigError(
            f"{option} {path}: no such file", [f"{option}: a chat JSONL file from crossroads tune collect"]
        )
    try:
        conversations = read_chat_jsonl(path)
    except ValueError as exc:
        raise ConfigError(str(exc), [f"{option}: one {{'messages': [...]}} per line"]) from None
    if not conversations and option == "--data":
        raise ConfigError(f"{option} {path} holds no examples", ["collect more traffic first"])
    return conversations


def _write_manifest(request: TrainRequest, result: TrainResult, base: Path, n_train: int, n_val: int) -> None:
    import peft
    import torch
    import transformers

    settings = {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(request).items()}
    manifest = {
        "adapter": {"file": result.adapter.name, "sha256": sha256_of(result.adapter), "format": "gguf lora"},
        "base_model": {"path": str(base), "sha256": sha256_of(base)},
        "data": {"train": str(request.data), "train_sha256": sha256_of(request.data), "train_examples": n_train},
        "validation": None if request.validation is None else {"path": str(request.validation), "examples": n_val},
        "settings": settings,
        "result": {k: v for k, v in asdict(result).items() if k not in ("adapter", "manifest", "losses")},
        "losses": result.losses,
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__},
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    result.manifest.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
