"""Incident scenarios: what the lab's hosts and paths are like, as a declarative YAML file.

A scenario names its hosts (role → address, subnet, sysctls, root qdisc, ENA allowance
counters, whether SSM manages it), its flows (client and server roles, port, pattern, rate,
the path's base RTT and any impairment outside the hosts), its monitors (with the AWS network
health indicator, or none) and its ground truth (the cause an expert should find, the flow,
direction and host, and the settings the right fix changes). Every kind of telemetry the lab
produces is derived from it (`agents.lab.model`), so captures, metrics and SSM reads cannot
disagree. A bad file is refused on load with one sentence naming the field.
"""

from __future__ import annotations

import ipaddress
import re
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from agents.lab import shims

DEFAULT_SCENARIO = "incident"
# A stock Linux 6.x EC2 instance (Amazon Linux 2023): what a host has unless its scenario says otherwise.
STOCK_SYSCTL: dict[str, str] = {
    "net.ipv4.tcp_rmem": "4096\t131072\t6291456",
    "net.ipv4.tcp_wmem": "4096\t16384\t4194304",
    "net.core.rmem_max": "212992",
    "net.core.wmem_max": "212992",
    "net.ipv4.tcp_window_scaling": "1",
    "net.ipv4.tcp_sack": "1",
    "net.ipv4.tcp_timestamps": "1",
    "net.ipv4.tcp_congestion_control": "cubic",
    "net.core.default_qdisc": "fq_codel",
}
ENA_COUNTERS = (
    "bw_in_allowance_exceeded",
    "bw_out_allowance_exceeded",
    "pps_allowance_exceeded",
    "conntrack_allowance_exceeded",
    "linklocal_allowance_exceeded",
)
CAUSES = (
    "path_loss",
    "receiver_window_limited",
    "window_scaling_disabled",
    "added_latency",
    "aws_network",
    "instance_allowance_exceeded",
    "connection_resets",
    "reordering",
    "none",
    "insufficient_evidence",
)
QDISC_SETTING = "qdisc"  # in a fix: "remove the root netem qdisc"
_ROLE = r"^[a-z][a-z0-9-]{0,30}$"
_SCENARIO_DIR = "scenarios"

Percent = Annotated[float, Field(ge=0, lt=100)]
Role = Annotated[str, Field(pattern=_ROLE)]


class ScenarioError(ValueError):
    """A scenario that cannot be used; the message is one sentence naming the bad field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Netem(_Strict):
    """A root netem qdisc on the host's eth0: what it does to every segment the host sends."""

    loss_pct: Percent = 0.0
    delay_ms: Annotated[float, Field(ge=0, le=10_000)] = 0.0
    reorder_pct: Percent = 0.0

    def tc_params(self) -> str:
        """The parameters as `tc qdisc show` prints them after `netem`."""
        words = []
        if self.delay_ms:
            words.append(f"delay {self.delay_ms:g}ms")
        if self.loss_pct:
            words.append(f"loss {self.loss_pct:g}%")
        if self.reorder_pct:
            words.append(f"reorder {self.reorder_pct:g}%")
        return " ".join(words)


class HostSpec(_Strict):
    ip: ipaddress.IPv4Address
    subnet: ipaddress.IPv4Network
    az: Annotated[str, Field(pattern=r"^[a-z]{2}-[a-z]+-\d[a-z]$")]
    instance_type: Annotated[str, Field(pattern=r"^[a-z0-9]+\.[a-z0-9]+$")] = "t3.small"
    sysctl: dict[str, str] = Field(default_factory=dict)  # overrides of STOCK_SYSCTL
    qdisc: Netem | None = None
    ena: dict[Literal[ENA_COUNTERS], Annotated[float, Field(ge=0)]] = Field(default_factory=dict)  # per minute
    ssm_managed: bool = True

    @field_validator("sysctl", mode="before")
    @classmethod
    def _as_text(cls, value: Any) -> Any:
        """YAML reads `1` as an integer; a sysctl value is text."""
        return {k: str(v) for k, v in value.items()} if isinstance(value, dict) else value

    def sysctls(self) -> dict[str, str]:
        """Every sysctl the host has: stock values, then the scenario's, as the kernel stores them."""
        merged = dict(STOCK_SYSCTL)
        for key, value in self.sysctl.items():
            merged[key] = shims.valid_value(key, value) or value
        return merged


class PathImpairment(_Strict):
    """Trouble between the hosts, in the AWS network: no host setting shows it."""

    loss_pct: Percent = 0.0
    reorder_pct: Percent = 0.0
    reorder_depth: Annotated[int, Field(ge=1, le=16)] = 3  # how many later segments overtake a reordered one


class Flow(_Strict):
    client: Role
    server: Role
    client_port: Annotated[int, Field(ge=1024, le=65535)]
    port: Annotated[int, Field(ge=1, le=65535)]
    pattern: Literal["bulk", "request_response"] = "bulk"
    rate_mbps: Annotated[float, Field(gt=0, le=100_000)]
    base_rtt_ms: Annotated[float, Field(gt=0, le=1_000)]
    path: PathImpairment = PathImpairment()
    server_pause_ms: Annotated[float, Field(ge=0, le=10_000)] = 0.0  # the server app reads its socket this often
    reset_pct: Percent = 0.0  # share of new connections the server resets


class Monitor(_Strict):
    name: Annotated[str, Field(pattern=r"^[a-zA-Z0-9_.-]{1,255}$")]
    health_indicator: Literal[0, 1] | None = None  # None: the metric is not published


class FlowRef(_Strict):
    client: Role
    server: Role
    dport: int


class Truth(_Strict):
    cause: Literal[CAUSES]
    flow: FlowRef | None = None
    direction: Literal["client_to_server", "server_to_client"] | None = None
    host: Role | None = None
    fix: dict[Role, list[str]] = Field(default_factory=dict)  # role → settings; empty = no host change


class Scenario(_Strict):
    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
    description: Annotated[str, Field(min_length=20)]
    hosts: Annotated[dict[Role, HostSpec], Field(min_length=1)]
    flows: list[Flow] = Field(default_factory=list)
    mirror: Role | None = None  # the role whose interface Traffic Mirroring copies; None = no captures
    monitors: list[Monitor] = Field(default_factory=list)
    truth: Truth

    @property
    def captures(self) -> bool:
        return self.mirror is not None


def scenario_names() -> list[str]:
    """The scenarios shipped with the product, sorted."""
    folder = resources.files("agents.lab").joinpath(_SCENARIO_DIR)
    return sorted(entry.name[: -len(".yaml")] for entry in folder.iterdir() if entry.name.endswith(".yaml"))


def load_scenario(name_or_path: str | Path = DEFAULT_SCENARIO) -> Scenario:
    """A shipped scenario by name, or the YAML file at a path; `ScenarioError` if it is unusable."""
    text, label = _read(str(name_or_path))
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ScenarioError(f"scenario {label}: not valid YAML{where}.") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"scenario {label}: the file must be a mapping of scenario fields.")
    data.setdefault("name", Path(label).stem)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"] if part != "[key]") or "(top level)"
        raise ScenarioError(f"scenario {label}: {where}: {_sentence(error['msg'])}") from None
    problem = _inconsistency(scenario)
    if problem:
        raise ScenarioError(f"scenario {label}: {problem}")
    return scenario


def _read(name_or_path: str) -> tuple[str, str]:
    """The file's text and the label errors use: the shipped name, or the file's name."""
    if re.fullmatch(r"[a-z0-9][a-z0-9-]*", name_or_path) and not Path(name_or_path).is_file():
        entry = resources.files("agents.lab").joinpath(_SCENARIO_DIR, f"{name_or_path}.yaml")
        if not entry.is_file():
            shipped = ", ".join(scenario_names())
            raise ScenarioError(f"scenario {name_or_path}: no such scenario (shipped: {shipped}); or give a YAML file.")
        return entry.read_text(encoding="utf-8"), name_or_path
    path = Path(name_or_path)
    try:
        return path.read_text(encoding="utf-8"), path.name
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise ScenarioError(f"scenario {path.name}: cannot read {path} ({reason}).") from None


def _sentence(message: str) -> str:
    return message if message.endswith(".") else message + "."


def _inconsistency(s: Scenario) -> str | None:
    """The first field that contradicts another (pydantic checks each field alone)."""
    return next(
        (problem for check in (_host_problem, _flow_problem, _truth_problem) if (problem := check(s))),
        None,
    )


def _host_problem(s: Scenario) -> str | None:
    seen: dict[ipaddress.IPv4Address, str] = {}
    for role, host in s.hosts.items():
        if host.ip not in host.subnet:
            return f"hosts.{role}.ip: {host.ip} is not in its subnet {host.subnet}."
        if host.ip in seen:
            return f"hosts.{role}.ip: {host.ip} is already the address of {seen[host.ip]}."
        seen[host.ip] = role
        for key, value in host.sysctl.items():
            if key not in STOCK_SYSCTL:
                return f"hosts.{role}.sysctl.{key}: not a sysctl the lab simulates ({', '.join(STOCK_SYSCTL)})."
            if shims.valid_value(key, value) is None:
                return f"hosts.{role}.sysctl.{key}: {value!r} is not a value the kernel accepts."
        if host.qdisc is not None and not host.qdisc.tc_params():
            return f"hosts.{role}.qdisc: a netem qdisc needs loss_pct, delay_ms or reorder_pct."
    if s.mirror is not None and s.mirror not in s.hosts:
        return f"mirror: {s.mirror!r} is not one of the hosts ({', '.join(s.hosts)})."
    return None


def _flow_problem(s: Scenario) -> str | None:
    ends = set()
    for i, flow in enumerate(s.flows):
        for field in ("client", "server"):
            if getattr(flow, field) not in s.hosts:
                return f"flows.{i}.{field}: {getattr(flow, field)!r} is not one of the hosts ({', '.join(s.hosts)})."
        if flow.client == flow.server:
            return f"flows.{i}.server: a flow needs two different hosts."
        key = (flow.client, flow.client_port)
        if key in ends:
            return f"flows.{i}.client_port: {flow.client} already uses port {flow.client_port} for another flow."
        ends.add(key)
    names = [m.name for m in s.monitors]
    if len(set(names)) != len(names):
        return "monitors: two monitors have the same name."
    return None


def _truth_problem(s: Scenario) -> str | None:
    t = s.truth
    if t.flow is not None and not any(
        (f.client, f.server, f.port) == (t.flow.client, t.flow.server, t.flow.dport) for f in s.flows
    ):
        return f"truth.flow: no flow from {t.flow.client} to {t.flow.server} port {t.flow.dport}."
    if t.host is not None and t.host not in s.hosts:
        return f"truth.host: {t.host!r} is not one of the hosts ({', '.join(s.hosts)})."
    for role, settings in t.fix.items():
        if role not in s.hosts:
            return f"truth.fix.{role}: not one of the hosts ({', '.join(s.hosts)})."
        for setting in settings:
            if setting != QDISC_SETTING and setting not in STOCK_SYSCTL:
                return f"truth.fix.{role}: {setting!r} is neither a simulated sysctl nor {QDISC_SETTING!r}."
    return None
