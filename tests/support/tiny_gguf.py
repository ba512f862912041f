"""A tiny random-weight llama GGUF (~0.5 MB) written in code, for fast tests of the embedded backend.

The model speaks gibberish but is a real llama graph with a byte-level BPE tokenizer and a ChatML
template. Its output layer never picks a special or non-ASCII token (a constant hidden dimension
pushes their logits far down), so generation runs until ``max_tokens`` or a stop string, and the
text is always plain ASCII.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

CHATML = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + (message['content'] or '') "
    "+ '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
DIMS = {"vocab": 384, "embd": 64, "layers": 2, "heads": 4, "ffn": 128, "ctx": 2048}
_CORPUS = (
    "The quick brown fox jumps over the lazy dog. Paris is the capital of France; Rome of Italy. "
    'JSON looks like {"name": "value", "count": 3, "ok": true}. Hello, world! 0123456789 '
    "Tests, tokens and tiny models: a b c d e f g h i j k l m n o p q r s t u v w x y z."
)


def _train_tokenizer() -> tuple[list[str], list[str]]:
    """Tokens (by id) and merges of a byte-level BPE trained on a small fixed corpus."""
    import json

    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(
        vocab_size=DIMS["vocab"],
        special_tokens=SPECIALS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator([_CORPUS] * 20, trainer=trainer)
    model = json.loads(tok.to_str())["model"]
    vocab: dict[str, int] = model["vocab"]
    tokens = [t for t, _ in sorted(vocab.items(), key=lambda kv: kv[1])]
    merges = [m if isinstance(m, str) else " ".join(m) for m in model["merges"]]
    return tokens, merges


def _is_plain(token: str) -> bool:
    """True for tokens that decode to printable ASCII (byte-level BPE maps ' ' to 'Ġ', '\\n' to 'Ċ')."""
    text = token.replace("Ġ", " ")
    return token not in SPECIALS and all(32 <= ord(c) < 127 for c in text)


def _tensors(tokens: list[str], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Float32 weights; dim 0 of the residual stream is a constant 1 used to ban tokens."""
    import numpy as np

    n_vocab, embd, ffn = len(tokens), DIMS["embd"], DIMS["ffn"]

    def rand(*shape: int, scale: float = 0.3) -> np.ndarray:
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    def writes_residual(*shape: int) -> np.ndarray:
        weight = rand(*shape)
        weight[0, :] = 0.0  # keep residual dim 0 constant
        return weight

    embed = rand(n_vocab, embd, scale=0.1)
    embed[:, 0] = 1.0
    output = rand(n_vocab, embd, scale=1.0)
    output[:, 0] = [0.0 if _is_plain(t) else -50.0 for t in tokens]
    output_norm = np.ones(embd, np.float32)
    output_norm[0] = 100.0  # the constant dim dominates the final logits of banned tokens
    out: dict[str, np.ndarray] = {"token_embd.weight": embed, "output_norm.weight": output_norm}
    out["output.weight"] = output
    for i in range(DIMS["layers"]):
        blk = f"blk.{i}."
        out[blk + "attn_norm.weight"] = np.ones(embd, np.float32)
        out[blk + "ffn_norm.weight"] = np.ones(embd, np.float32)
        for name in ("attn_q", "attn_k", "attn_v"):
            out[blk + name + ".weight"] = rand(embd, embd)
        out[blk + "attn_output.weight"] = writes_residual(embd, embd)
        out[blk + "ffn_gate.weight"] = rand(ffn, embd)
        out[blk + "ffn_up.weight"] = rand(ffn, embd)
        out[blk + "ffn_down.weight"] = writes_residual(embd, ffn)
    return out


def _write_metadata(writer: Any, tokens: list[str], merges: list[str]) -> None:
    from gguf import TokenType

    writer.add_name("crossroads-tiny")
    writer.add_context_length(DIMS["ctx"])
    writer.add_embedding_length(DIMS["embd"])
    writer.add_block_count(DIMS["layers"])
    writer.add_feed_forward_length(DIMS["ffn"])
    writer.add_head_count(DIMS["heads"])
    writer.add_head_count_kv(DIMS["heads"])
    writer.add_rope_dimension_count(DIMS["embd"] // DIMS["heads"])
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_file_type(0)  # all float32
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("gpt-2")
    writer.add_token_list(tokens)
    writer.add_token_types([TokenType.CONTROL if t in SPECIALS else TokenType.NORMAL for t in tokens])
    writer.add_token_merges(merges)
    writer.add_bos_token_id(tokens.index("<|endoftext|>"))
    writer.add_eos_token_id(tokens.index("<|im_end|>"))
    writer.add_add_bos_token(False)
    writer.add_chat_template(CHATML)


def write_tiny_gguf(path: Path, *, seed: int = 0) -> Path:
    """Write the tiny model to ``path`` (same seed, same file) and return ``path``."""
    import numpy as np
    from gguf import GGUFWriter

    tokens, merges = _train_tokenizer()
    writer = GGUFWriter(str(path), "llama")
    _write_metadata(writer, tokens, merges)
    for name, tensor in _tensors(tokens, np.random.default_rng(seed)).items():
        writer.add_tensor(name, tensor)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return Path(path)
