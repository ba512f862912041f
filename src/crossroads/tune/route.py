"""The routing config that puts a tuned local model in front of the hosted one.

One public model, a group of two deployments tried in order under a cascade: the tuned local model
answers first; when its answer fails a validator the hosted model answers instead (the client sees one
answer, the ledger both calls). A sample of the traffic is shadowed to the hosted model too, so
``crossroads eval --from-shadow`` keeps checking the local model on live traffic after the switch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class RouteRequest:
    adapter: Path
    model: str = "support"  # the public model name clients use
    base: Path | None = None  # the GGUF the adapter was trained on (None: the bundled SmolLM2)
    hosted_backend: str = "openai"
    hosted_model: str = "gpt-4o-mini"
    validators: list[dict[str, Any]] = field(default_factory=lambda: [{"type": "json"}])
    shadow_sample: float = 0.05


def route_config(request: RouteRequest) -> dict[str, Any]:
    """The ``backends`` and ``models`` sections to merge into crossroads.yaml."""
    tuned: dict[str, Any] = {"type": "embedded", "lora": str(request.adapter)}
    if request.base is not None:
        tuned["model_path"] = str(request.base)
    group = {
        "deployments": [
            {"backend": "tuned", "priority": 0},
            {"backend": request.hosted_backend, "upstream_model": request.hosted_model, "priority": 1},
        ],
        "strategy": "priority",
        "cascade": {"validators": request.validators},
        "shadow": [{"backend": request.hosted_backend, "upstream_model": request.hosted_model,
                    "sample": request.shadow_sample}],
    }  # fmt: skip
    return {"backends": {"tuned": tuned}, "models": {request.model: group}}


def route_yaml(request: RouteRequest) -> str:
    head = (
        f"# {request.model}: the tuned local model first; the hosted {request.hosted_model} when a validator fails;\n"
        f"# {request.shadow_sample:.0%} shadowed to the hosted model to keep checking it (eval --from-shadow).\n"
        f"# Merge into crossroads.yaml (backend '{request.hosted_backend}' must be defined there).\n"
    )
    return head + yaml.safe_dump(route_config(request), sort_keys=False)
