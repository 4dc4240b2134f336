"""The cluster configurations we ship: `ray up` YAML checked by Ray itself, KubeRay manifests
checked against the fields the operator requires, images matching Ray and Python."""

from __future__ import annotations

import platform
import shlex
from pathlib import Path
from typing import Any

import pytest
import ray
import yaml

from regional.cli import build_parser

CONFIGS = Path(__file__).resolve().parents[2] / "cluster" / "configs"
PYTHON_TAG = "py" + "".join(platform.python_version_tuple()[:2])


def _load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((CONFIGS / name).read_text())
    assert isinstance(data, dict)
    return data


def test_ray_up_config_is_valid_for_ray() -> None:
    from ray.autoscaler._private.util import prepare_config, validate_config

    config = prepare_config(_load("ray-cluster.yaml"))
    validate_config(config)
    assert config["cluster_name"] == "regional-twin"
    assert any("RAY_AUTH_MODE=token" in c for c in config["head_start_ray_commands"])
    assert "min_workers" not in config  # only per node type


def _containers(group: dict[str, Any]) -> list[dict[str, Any]]:
    return list(group["template"]["spec"]["containers"])


def _check_cluster_spec(spec: dict[str, Any]) -> None:
    assert spec["rayVersion"] == ray.__version__
    assert spec["authOptions"] == {"mode": "token"}
    groups = [spec["headGroupSpec"], *spec["workerGroupSpecs"]]
    for group in groups:
        assert "rayStartParams" in group
        for container in _containers(group):
            tag = container["image"].rsplit(":", 1)[1]
            assert f"ray{ray.__version__}" in tag and tag.endswith(PYTHON_TAG), tag
            assert container["resources"]["requests"] == container["resources"]["limits"]
    for worker in spec["workerGroupSpecs"]:
        assert worker["groupName"]
        assert worker["minReplicas"] <= worker["replicas"] <= worker["maxReplicas"]


def test_kuberay_raycluster_manifest() -> None:
    manifest = _load("kuberay-raycluster.yaml")
    assert manifest["apiVersion"] == "ray.io/v1"
    assert manifest["kind"] == "RayCluster"
    _check_cluster_spec(manifest["spec"])


def test_kuberay_rayjob_manifest() -> None:
    manifest = _load("kuberay-rayjob.yaml")
    assert manifest["apiVersion"] == "ray.io/v1"
    assert manifest["kind"] == "RayJob"
    spec = manifest["spec"]
    assert spec["shutdownAfterJobFinishes"] is True
    assert spec["ttlSecondsAfterFinished"] > 0
    runtime_env = yaml.safe_load(spec["runtimeEnvYAML"])
    assert runtime_env["env_vars"]["RAY_AUTH_MODE"] == "token"
    _check_cluster_spec(spec["rayClusterSpec"])
    argv = shlex.split(spec["entrypoint"])
    assert argv[:3] == ["python", "-m", "regional"]
    args = build_parser().parse_args(argv[3:])
    assert args.command == "run" and args.address == "auto" and args.workers >= args.shards / 4


@pytest.mark.parametrize("name", ["kuberay-raycluster.yaml", "kuberay-rayjob.yaml"])
def test_dockerfile_matches_the_manifests(name: str) -> None:
    base = (CONFIGS / "Dockerfile").read_text().split("FROM ", 1)[1].split()[0]
    assert base == f"rayproject/ray:{ray.__version__}-{PYTHON_TAG}"
    assert f"ray{ray.__version__}-{PYTHON_TAG}" in (CONFIGS / name).read_text()
