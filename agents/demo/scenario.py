"""The lab's scenario as the demo and the eval suite address it: by name, with hosts by role.

`agents.lab.scenarios` (branch `lab`) owns scenarios; this module is the one place the demo
and the evals reach into it, so a question's `{db_ip}` and an expected flow's `db` name the
same host the lab staged. Until that module exists, only the lab's built-in incident is known.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agents.lab import topology
from agents.lab.server import Lab, LabConfig

DEFAULT_SCENARIO = "incident"


class UnknownScenario(ValueError):
    """A scenario name or file the lab cannot stage; the message is one sentence naming it."""


@dataclass(frozen=True)
class FlowRef:
    client: str  # role
    server: str  # role
    dport: int


@dataclass(frozen=True)
class Truth:
    """What is really wrong in a scenario (the lab's ground truth), hosts named by role."""

    cause: str
    flow: FlowRef | None
    direction: str | None
    host: str | None
    fix: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class StagedScenario:
    name: str
    truth: Truth
    config: LabConfig
    roles: tuple[str, ...]  # the hosts' roles, which questions and facts may name


def _incident() -> StagedScenario:
    """Today's lab (before scenarios): netem loss, small buffers and window scaling off on the app."""
    truth = Truth(
        cause="path_loss",
        flow=FlowRef("app", "db", topology.DB_PORT),
        direction="client_to_server",
        host="app",
        fix={"app": ["qdisc", "net.ipv4.tcp_window_scaling", "net.core.rmem_max", "net.ipv4.tcp_rmem"]},
    )
    return StagedScenario(DEFAULT_SCENARIO, truth, LabConfig(), ("app", "db"))


def _truth_of(raw: Any) -> Truth:
    flow = getattr(raw, "flow", None)
    return Truth(
        cause=str(raw.cause),
        flow=FlowRef(str(flow.client), str(flow.server), int(flow.dport)) if flow is not None else None,
        direction=raw.direction,
        host=raw.host,
        fix={str(role): [str(s) for s in settings] for role, settings in (raw.fix or {}).items()},
    )


def stage(name_or_path: str | None) -> StagedScenario:
    """The scenario to start the lab with (`incident` when None); raises `UnknownScenario`."""
    name = name_or_path or DEFAULT_SCENARIO
    try:
        from agents.lab.scenarios import ScenarioError, load_scenario
    except ImportError:  # a lab without scenarios stages its one incident
        if name == DEFAULT_SCENARIO:
            return _incident()
        raise UnknownScenario(f"unknown scenario {name!r}: this lab stages only {DEFAULT_SCENARIO!r}") from None
    try:
        scenario = load_scenario(name)
    except ScenarioError as exc:
        raise UnknownScenario(str(exc)) from None
    return StagedScenario(scenario.name, _truth_of(scenario.truth), LabConfig(scenario=scenario), tuple(scenario.hosts))


def scenario_list() -> list[str]:
    try:
        from agents.lab.scenarios import scenario_names
    except ImportError:
        return [DEFAULT_SCENARIO]
    return scenario_names()


def instances(lab: Lab) -> dict[str, str]:
    """role → instance id of the running lab."""
    if hasattr(lab, "instances"):
        return dict(lab.instances)
    assert lab.ids is not None, "start() the lab first"
    return {"app": lab.ids.app_instance_id, "db": lab.ids.db_instance_id}


def ips(lab: Lab) -> dict[str, str]:
    """role → private IP of the running lab."""
    if hasattr(lab, "ips"):
        return dict(lab.ips)
    return {"app": topology.APP_IP, "db": topology.DB_IP}
