"""The recipes checked by the tools that own their formats (``make test-deploy``; not in the default run):
``docker-compose config`` (PyPI docker-compose) and the Kubernetes JSON schemas (PyPI kubernetes-validate,
strict: unknown fields are errors). The tools live in their own virtual environments, never the project's."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.deploy.dockerfile import ROOT

pytestmark = pytest.mark.deploy


def _tool(venv: str, name: str) -> Path:
    tools = os.environ.get("CROSSROADS_DEPLOY_TOOLS")
    if not tools:
        pytest.fail("set CROSSROADS_DEPLOY_TOOLS to the tools' folder: run `make test-deploy`")
    return Path(tools) / venv / "bin" / name


def test_docker_compose_accepts_compose_yaml_with_the_example_env_file(tmp_path: Path) -> None:
    shutil.copy(ROOT / "compose.yaml", tmp_path / "compose.yaml")
    shutil.copytree(ROOT / "deploy", tmp_path / "deploy")
    (tmp_path / ".env").write_text((ROOT / "deploy" / "compose" / "env.example").read_text())
    out = subprocess.run(
        [_tool("compose", "docker-compose"), "-f", "compose.yaml", "config"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    services = yaml.safe_load(out.stdout)["services"]
    assert services["gateway"]["environment"]["CROSSROADS_MASTER_KEY"] == "change-me-too"  # from .env
    assert services["llamacpp"]["command"][1] == "/models/SmolLM2-135M-Instruct.Q4_1.gguf"


def test_docker_compose_refuses_a_missing_password(tmp_path: Path) -> None:
    shutil.copy(ROOT / "compose.yaml", tmp_path / "compose.yaml")
    env = (ROOT / "deploy" / "compose" / "env.example").read_text()
    (tmp_path / ".env").write_text("\n".join(x for x in env.splitlines() if not x.startswith("POSTGRES_PASSWORD")))
    out = subprocess.run(
        [_tool("compose", "docker-compose"), "config"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert out.returncode != 0 and "POSTGRES_PASSWORD" in out.stderr


def test_kubernetes_manifests_match_the_schemas_strictly() -> None:
    files = sorted(str(p) for p in (ROOT / "deploy" / "k8s").rglob("*.yaml") if p.name != "kustomization.yaml")
    out = subprocess.run(
        [_tool("k8s", "kubernetes-validate"), "--strict", *files], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stdout + out.stderr
    passed = [line for line in (out.stdout + out.stderr).splitlines() if " passed for resource " in line]
    kinds = {line.split("resource ")[1].split("/")[0] for line in passed}
    assert {"deployment", "poddisruptionbudget", "horizontalpodautoscaler", "job", "secret", "configmap"} <= kinds
