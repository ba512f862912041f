"""The Dockerfile's build stage run as a script in a fresh virtual environment (``make test-deploy``; minutes).

Its RUN steps execute in order, with its ARG defaults and ENV, in a scratch folder standing for the image's
filesystem (``/src`` and ``/opt/crossroads`` mapped there), after its COPY steps. Steps that install system
packages with apt-get are the base image's part and are not run (this machine has what they install). Then
the final stage's CMD serves from that environment and its HEALTHCHECK command must pass on /ready.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from crossroads.procs import stop_process
from crossroads.testing.server import free_port
from tests.deploy.dockerfile import ROOT, Instruction, Stage, stage
from tests.support.processes import wait_http

pytestmark = pytest.mark.deploy


def _mapper(root: Path) -> dict[str, str]:
    return {"/opt/crossroads": str(root / "opt" / "crossroads"), "/src": str(root / "src")}


def _mapped(text: str, paths: dict[str, str]) -> str:
    for image_path, here in paths.items():
        text = re.sub(rf"(?<![\w./]){re.escape(image_path)}(?![\w])", here, text)
    return text


def _copy(instruction: Instruction, workdir: Path) -> None:
    *sources, target = shlex.split(instruction.text)
    destination = workdir / target
    for source in sources:
        src = ROOT / source
        if src.is_dir():
            shutil.copytree(src, destination, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            destination.mkdir(parents=True, exist_ok=True)
            shutil.copy(src, destination / src.name)


def _run_build(build: Stage, paths: dict[str, str], log: list[str]) -> None:
    env = {**os.environ, **build.args()}
    env.pop("PIP_NO_CACHE_DIR", None)  # pip's wheel cache stands in for the build cache mount
    env.pop("VIRTUAL_ENV", None)
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if ".venv" not in p)
    env.update({key: _mapped(value, paths) for key, value in build.env().items()})
    workdir = Path(paths["/src"])
    for instruction in build.instructions:
        if instruction.keyword == "WORKDIR":
            workdir = Path(_mapped(instruction.text, paths))
            workdir.mkdir(parents=True, exist_ok=True)
        elif instruction.keyword == "COPY":
            _copy(instruction, workdir)
        elif instruction.keyword == "RUN" and not instruction.text.startswith("apt-get"):
            command = _mapped(instruction.text, paths)
            log.append(command)
            done = subprocess.run(["/bin/sh", "-c", command], cwd=workdir, env=env, capture_output=True, text=True)
            assert done.returncode == 0, f"{command}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"


def _exec_form(instruction: Instruction) -> list[str]:
    words: list[str] = json.loads(instruction.text.removeprefix("CMD").strip())
    return words


def test_dockerfile_build_steps_make_an_environment_that_serves_and_passes_its_healthcheck(tmp_path: Path) -> None:
    paths = _mapper(tmp_path)
    log: list[str] = []
    _run_build(stage("build"), paths, log)
    assert any('pip" install -q "' + paths["/src"] in step for step in log), log  # the install step ran
    venv_bin = Path(paths["/opt/crossroads"]) / "bin"
    runtime = stage("runtime")
    port = str(free_port())
    command = [word.replace("8000", port) for word in _exec_form(runtime.all("CMD")[-1])]
    health = _exec_form(runtime.all("HEALTHCHECK")[-1])  # its --interval, … flags are parsed apart
    env = {**os.environ, **runtime.env(), "PATH": f"{venv_bin}{os.pathsep}/usr/bin:/bin"}
    proc = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_http(f"http://127.0.0.1:{port}/health", proc, timeout=120)
        checked = subprocess.run([w.replace("8000", port) for w in health], env=env, capture_output=True, timeout=60)
        assert checked.returncode == 0, checked.stderr.decode()
    finally:
        stop_process(proc)
    assert Path(shutil.which("python", path=env["PATH"]) or "").parent == venv_bin
    assert sys.executable not in (shutil.which("crossroads", path=env["PATH"]) or "")
