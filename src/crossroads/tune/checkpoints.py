"""Training checkpoints: ``checkpoints/step-N/`` holds the adapter weights, the optimizer and the losses so far."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from crossroads.errors import ConfigError

FOLDER = "checkpoints"
KEEP = 2  # the newest checkpoints kept


def save(out_dir: Path, model: Any, optimizer: Any, step: int, losses: list[float]) -> Path:
    import torch
    from peft import get_peft_model_state_dict

    folder = out_dir / FOLDER / f"step-{step}"
    folder.mkdir(parents=True, exist_ok=True)
    torch.save(
        {"adapter": get_peft_model_state_dict(model, save_embedding_layers=False), "optimizer": optimizer.state_dict()},
        folder / "state.pt",
    )
    (folder / "progress.json").write_text(json.dumps({"step": step, "losses": losses}), encoding="utf-8")
    for old in _all(out_dir)[:-KEEP]:
        for file in old.iterdir():
            file.unlink()
        old.rmdir()
    return folder


def _all(out_dir: Path) -> list[Path]:
    root = out_dir / FOLDER
    found = [p for p in root.glob("step-*") if (p / "progress.json").exists()] if root.is_dir() else []
    return sorted(found, key=lambda p: int(p.name.split("-")[1]))


def restore(out_dir: Path, model: Any, optimizer: Any) -> tuple[int, list[float]]:
    """Load the newest checkpoint into ``model`` and ``optimizer``; (step, losses) it had reached."""
    import torch
    from peft import set_peft_model_state_dict

    found = _all(out_dir)
    if not found:
        raise ConfigError(f"--resume: no checkpoint under {out_dir / FOLDER}", ["drop --resume to start afresh"])
    state = torch.load(found[-1] / "state.pt", weights_only=True)
    set_peft_model_state_dict(model, state["adapter"])
    optimizer.load_state_dict(state["optimizer"])
    progress = json.loads((found[-1] / "progress.json").read_text())
    return int(progress["step"]), [float(x) for x in progress["losses"]]
