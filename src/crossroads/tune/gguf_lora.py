"""A peft LoRA adapter of a llama-architecture model, written as a GGUF LoRA adapter llama.cpp loads.

The small conversion llama.cpp's ``convert_lora_to_gguf.py`` does for this case, with the ``gguf``
package: general.type ``adapter``, adapter.type ``lora``, adapter.lora.alpha; per adapted weight
``blk.N.<tensor>.weight.lora_a`` (rank x in) and ``.lora_b`` (out x rank), float32. llama.cpp scales
the product by alpha / rank, as peft does.

One catch: llama.cpp's llama graph keeps the rows of attn_q and attn_k permuted for its rope layout,
and transformers un-permutes them when it loads a GGUF. A delta B·A learned on the un-permuted
weight gets the same row permutation — applied to B, the factor whose rows are the output rows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from crossroads.errors import ConfigError

GGUF_NAME = {
    "q_proj": "attn_q",
    "k_proj": "attn_k",
    "v_proj": "attn_v",
    "o_proj": "attn_output",
    "gate_proj": "ffn_gate",
    "up_proj": "ffn_up",
    "down_proj": "ffn_down",
}
_PEFT = re.compile(r"layers\.(\d+)\.(?:self_attn|mlp)\.(\w+)\.lora_([AB])(?:\.default)?\.weight$")


def permute_rows(weights: np.ndarray, n_head: int) -> np.ndarray:
    """llama.cpp's rope permutation of a weight's rows (the inverse of what transformers undoes)."""
    return (
        weights.reshape(n_head, 2, weights.shape[0] // n_head // 2, *weights.shape[1:])
        .swapaxes(1, 2)
        .reshape(weights.shape)
    )


def gguf_tensors(state: Mapping[str, Any], n_head: int, n_head_kv: int) -> dict[str, np.ndarray]:
    """GGUF tensor name -> float32 array, from a peft state dict (torch tensors or arrays)."""
    out: dict[str, np.ndarray] = {}
    for name, value in state.items():
        found = _PEFT.search(name)
        if found is None or found.group(2) not in GGUF_NAME:
            raise ConfigError(f"cannot write adapter weight {name} as GGUF: only llama attention/MLP projections")
        layer, module, side = found.groups()
        array = np.asarray(value.detach().float().cpu().numpy() if hasattr(value, "detach") else value, np.float32)
        if side == "B" and module in ("q_proj", "k_proj"):
            array = permute_rows(array, n_head if module == "q_proj" else n_head_kv)
        out[f"blk.{layer}.{GGUF_NAME[module]}.weight.lora_{side.lower()}"] = np.ascontiguousarray(array)
    return out


def write_gguf_lora(
    state: Mapping[str, Any], path: Path, *, alpha: float, n_head: int, n_head_kv: int, arch: str = "llama"
) -> Path:
    """Write ``state`` (a peft adapter's weights) as a GGUF LoRA adapter at ``path``."""
    import gguf

    if arch != "llama":
        raise ConfigError(f"GGUF LoRA export knows the llama architecture only, not {arch!r}")
    tensors = gguf_tensors(state, n_head, n_head_kv)
    writer = gguf.GGUFWriter(str(path), arch)
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(alpha))
    for name in sorted(tensors):
        writer.add_tensor(name, tensors[name])
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def gguf_architecture(path: Path) -> str:
    """``general.architecture`` of a GGUF file."""
    import gguf

    reader = gguf.GGUFReader(str(path))
    field = reader.fields["general.architecture"]
    return bytes(field.parts[field.data[0]]).decode()
