"""The deployment recipes as files: Dockerfile, compose.yaml, Kubernetes manifests, and the gateway
configurations they carry (parsed by crossroads itself). Tools that validate them against their own schemas
run in ``make test-deploy`` (tests marked ``deploy``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from crossroads.config import parse_settings
from crossroads.errors import ConfigError
from crossroads.workers import check_workers
from tests.deploy.dockerfile import ROOT, parse, stage

K8S = ROOT / "deploy" / "k8s"
COMPILERS = ("build-essential", "gcc", "g++", "cmake", "clang", "make ")


def _docs(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def _k8s() -> dict[tuple[str, str], dict[str, Any]]:
    docs = [doc for path in sorted(K8S.rglob("*.yaml")) for doc in _docs(path) if "kind" in doc]
    return {(doc["kind"], doc["metadata"]["name"]): doc for doc in docs if doc["kind"] != "Kustomization"}


def test_dockerfile_final_stage_is_slim_non_root_with_a_readiness_healthcheck() -> None:
    _, stages = parse()
    assert [s.name for s in stages] == ["build", "runtime"]
    runtime = stage("runtime")
    assert runtime.base == stages[0].base  # the same slim Python, not a compiler image
    run = " ".join(i.text for i in runtime.all("RUN"))
    assert not [c for c in COMPILERS if c in run], run
    user = runtime.all("USER")[-1].text.split(":")[0]
    assert user not in ("root", "0")
    assert any("--uid " + user in i.text for i in runtime.all("RUN"))
    (health,) = runtime.all("HEALTHCHECK")
    assert "/ready" in health.text
    copies = runtime.all("COPY")
    assert [c.flags for c in copies] == [["--from=build"]]  # only the built environment comes over


def test_dockerfile_embedded_engines_are_a_build_argument() -> None:
    build = stage("build")
    assert build.args()["EMBEDDED"] == "true"
    install = " ".join(i.text for i in build.all("RUN"))
    assert '"$EMBEDDED" = "true"' in install and "embedded,embeddings" in install
    assert any("--mount=type=cache" in flag for i in build.all("RUN") for flag in i.flags)  # no pip cache in layers


def test_compose_runs_two_gateway_replicas_with_postgresql_redis_and_llama_cpp_server() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "llamacpp", "migrate", "gateway", "proxy"} <= set(services)
    gateway = services["gateway"]
    assert gateway["deploy"]["replicas"] == 2
    assert gateway["env_file"] == ".env"  # secrets from the env file, never in compose.yaml
    assert "--no-migrate" in gateway["command"]
    assert services["migrate"]["command"] == ["crossroads", "db", "upgrade"]
    assert gateway["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "${POSTGRES_PASSWORD" in services["postgres"]["environment"]["POSTGRES_PASSWORD"]
    env_example = (ROOT / "deploy" / "compose" / "env.example").read_text()
    assert "CROSSROADS_DATABASE_URL=" in env_example and "CROSSROADS_MASTER_KEY=" in env_example


@pytest.mark.parametrize(
    "source",
    ["deploy/compose/crossroads.yaml", "deploy/k8s/configmap.yaml"],
)
def test_shipped_gateway_configs_are_valid_and_fit_several_workers(source: str) -> None:
    raw = yaml.safe_load((ROOT / source).read_text())
    if raw.get("kind") == "ConfigMap":
        raw = yaml.safe_load(raw["data"]["crossroads.yaml"])
    settings = parse_settings(raw, source)
    assert settings.server.workers == 2 and settings.metering.enabled
    env = settings.metering.database_url_env
    assert env == "CROSSROADS_DATABASE_URL"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(env, "postgresql+psycopg://crossroads@db/crossroads")
        check_workers(settings, 2)  # PostgreSQL + Redis: several workers allowed
        mp.setenv(env, "sqlite:///crossroads.db")
        with pytest.raises(ConfigError, match="PostgreSQL"):
            check_workers(settings, 2)


def test_kubernetes_deployment_probes_budget_autoscaler_and_migration_fit_together() -> None:
    objects = _k8s()
    deployment = objects[("Deployment", "crossroads")]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    pod = deployment["spec"]["template"]["spec"]
    (gateway,) = pod["containers"]
    assert gateway["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert gateway["livenessProbe"]["httpGet"]["path"] == "/health"
    assert "--no-migrate" in gateway["command"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    for kind in ("PodDisruptionBudget", "Service"):
        selector = objects[(kind, "crossroads")]["spec"]
        selector = selector.get("selector", {}).get("matchLabels", selector.get("selector"))
        assert selector.items() <= labels.items(), kind
    target = objects[("HorizontalPodAutoscaler", "crossroads")]["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", "crossroads")
    job = objects[("Job", "crossroads-db-upgrade")]["spec"]["template"]["spec"]["containers"][0]
    assert job["command"] == ["crossroads", "db", "upgrade"] and job["image"] == gateway["image"]
    secret_keys = set(objects[("Secret", "crossroads-secrets")]["stringData"])
    config = yaml.safe_load(objects[("ConfigMap", "crossroads-config")]["data"]["crossroads.yaml"])
    assert config["metering"]["database_url_env"] in secret_keys
    assert config["metering"]["master_key_env"] in secret_keys


def test_kubernetes_vllm_examples_ask_for_gpus_and_serve_what_the_gateway_points_at() -> None:
    objects = _k8s()
    vllm = objects[("Deployment", "vllm")]["spec"]["template"]["spec"]["containers"][0]
    assert vllm["resources"]["limits"]["nvidia.com/gpu"] == "1"
    model = vllm["args"][vllm["args"].index("--model") + 1]
    config = yaml.safe_load(objects[("ConfigMap", "crossroads-config")]["data"]["crossroads.yaml"])
    assert config["models"]["llama-3.1-8b"]["upstream_model"] == model
    assert "vllm.crossroads.svc" in config["backends"]["vllm"]["base_url"]
    tp = objects[("Deployment", "vllm-70b")]["spec"]["template"]["spec"]["containers"][0]
    size = tp["args"][tp["args"].index("--tensor-parallel-size") + 1]
    assert tp["resources"]["limits"]["nvidia.com/gpu"] == size
