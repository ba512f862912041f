"""The whole tuning loop on the tiny random GGUF: collect-format data -> LoRA -> GGUF adapter -> llama.cpp."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from crossroads.backends.base import Endpoint
from crossroads.backends.config import EmbeddedConfig
from crossroads.backends.embedded.backend import EmbeddedBackend
from crossroads.errors import ConfigError, ServiceUnavailable
from crossroads.tune.train import TrainRequest, load_base, train
from tests.support.tiny_gguf import write_tiny_gguf

pytest.importorskip("peft")
TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj")  # q and k: the rows llama.cpp keeps permuted
ASK = [{"role": "user", "content": "Ticket 99: the printer is broken"}]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_gguf(tmp_path_factory.mktemp("gguf") / "tiny.gguf")


def data(folder: Path, n: int = 8) -> Path:
    rows = [
        {"messages": [{"role": "user", "content": f"Ticket {i}: the printer is broken"},
                      {"role": "assistant", "content": '{"ok": true}'}]}
        for i in range(n)
    ]  # fmt: skip
    path = folder / "train.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def request(tiny: Path, folder: Path, **extra: object) -> TrainRequest:
    settings: dict = {"rank": 4, "alpha": 8, "targets": TARGETS, "learning_rate": 1e-2, "epochs": 10.0}
    return TrainRequest(data=data(folder), out_dir=folder / "out", base=tiny, **{**settings, **extra})  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def trained(tiny: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    folder = tmp_path_factory.mktemp("tune")
    steps: list[int] = []
    result = train(request(tiny, folder, max_steps=12, checkpoint_every=4), lambda s, t, loss, e: steps.append(s))
    assert steps == list(range(1, 13))
    return folder, result


def test_loss_decreases_and_the_run_is_recorded(trained: tuple[Path, object], tiny: Path) -> None:
    folder, result = trained
    assert result.steps == 12 and result.stopped_by == "steps"  # type: ignore[attr-defined]
    losses = result.losses  # type: ignore[attr-defined]
    assert sum(losses[-3:]) / 3 < losses[0] * 0.8
    manifest = json.loads((folder / "out" / "tune.json").read_text())
    assert manifest["base_model"]["path"] == str(tiny) and len(manifest["base_model"]["sha256"]) == 64
    assert manifest["data"]["train_examples"] == 8 and manifest["settings"]["rank"] == 4
    assert manifest["adapter"]["file"] == "adapter.gguf" and manifest["losses"] == losses


def _llama_logits(tiny: Path, adapter: Path | None, ids: list[int]) -> np.ndarray:
    from llama_cpp import Llama

    llm = Llama(model_path=str(tiny), lora_path=None if adapter is None else str(adapter), n_ctx=256,
                logits_all=True, verbose=False, n_threads=1)  # fmt: skip
    llm.eval(ids)
    scores = np.array(llm.scores[len(ids) - 1])
    llm.close()
    return scores


def test_llama_cpp_with_the_adapter_computes_what_the_trained_model_does(
    trained: tuple[Path, object], tiny: Path
) -> None:
    """The GGUF adapter is the trained adapter: llama.cpp's logits match transformers + peft's."""
    import torch
    from peft import LoraConfig, get_peft_model, set_peft_model_state_dict

    folder, result = trained
    model, tokenizer = load_base(tiny)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "`is_gradient_checkpointing` is deprecated", FutureWarning)
        model = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules=list(TARGETS)))
    state = torch.load(folder / "out" / "checkpoints" / "step-12" / "state.pt", weights_only=True)
    set_peft_model_state_dict(model, state["adapter"])
    model.eval()
    prompt = tokenizer.apply_chat_template(ASK, tokenize=False, add_generation_prompt=True)
    ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    with torch.no_grad():
        expected = model(torch.tensor([ids])).logits[0, -1].numpy()
    tuned = _llama_logits(tiny, result.adapter, ids)  # type: ignore[attr-defined]
    untuned = _llama_logits(tiny, None, ids)
    scale = float(np.abs(expected).max())
    assert float(np.abs(tuned - expected).max()) < 1e-3 * scale
    assert float(np.abs(untuned - expected).max()) > 0.1 * scale


async def test_the_embedded_backend_loads_the_adapter_and_answers_change(
    trained: tuple[Path, object], tiny: Path
) -> None:
    _, result = trained
    answers = []
    for lora in (None, str(result.adapter)):  # type: ignore[attr-defined]
        config = EmbeddedConfig(type="embedded", model_path=str(tiny), lora=lora, n_ctx=512, n_threads=1)
        backend = EmbeddedBackend("tiny", config)
        await backend.start()
        body = {"model": "tiny", "messages": ASK, "max_tokens": 8, "temperature": 0}
        answers.append((await backend.send(Endpoint.CHAT, body))["choices"][0]["message"]["content"])
        await backend.aclose()
    assert answers[0] != answers[1]


async def test_a_missing_adapter_is_named(tiny: Path, tmp_path: Path) -> None:
    config = EmbeddedConfig(type="embedded", model_path=str(tiny), lora=str(tmp_path / "nope.gguf"), n_threads=1)
    with pytest.raises(ServiceUnavailable, match=r"LoRA adapter .*nope.gguf not found — fix lora in crossroads.yaml"):
        await EmbeddedBackend("tiny", config).start()


def test_resume_continues_from_the_newest_checkpoint(tiny: Path, tmp_path: Path) -> None:
    first = train(request(tiny, tmp_path, max_steps=4, checkpoint_every=2))
    again = train(request(tiny, tmp_path, max_steps=6, checkpoint_every=2, resume=True))
    assert again.steps == 6 and again.losses[:4] == first.losses and len(again.losses) == 6
    assert sorted(p.name for p in (tmp_path / "out" / "checkpoints").iterdir()) == ["step-4", "step-6"]


def test_bad_inputs_say_what_to_fix(tiny: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        train(TrainRequest(data=tmp_path / "missing.jsonl", out_dir=tmp_path / "o", base=tiny))
    with pytest.raises(ConfigError, match="--resume: no checkpoint"):
        train(request(tiny, tmp_path, max_steps=1, resume=True))
    with pytest.raises(ConfigError, match="base model"):
        train(TrainRequest(data=data(tmp_path), out_dir=tmp_path / "o", base=tmp_path / "none.gguf"))
