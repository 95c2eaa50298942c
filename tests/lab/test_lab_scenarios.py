"""Scenario files: the shipped ones load from anywhere, a bad one is refused in one sentence naming its field."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from agents.lab.scenarios import CAUSES, STOCK_SYSCTL, ScenarioError, load_scenario, scenario_names

SHIPPED = [
    "added-latency",
    "aws-network",
    "healthy",
    "incident",
    "instance-allowance",
    "no-data",
    "no-window-scaling",
    "path-loss",
    "receiver-window",
    "reordering",
    "resets",
]


def _incident_data() -> dict:
    return yaml.safe_load((Path(__file__).parents[2] / "agents/lab/scenarios/incident.yaml").read_text())


def _write(tmp_path: Path, data: dict | str, name: str = "x.yaml") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data))
    return path


def test_the_eleven_scenarios_ship_sorted_by_name() -> None:
    assert scenario_names() == SHIPPED


@pytest.mark.parametrize("name", SHIPPED)
def test_each_shipped_scenario_loads_with_a_description_and_its_ground_truth(name: str) -> None:
    scenario = load_scenario(name)
    assert scenario.name == name
    assert len(scenario.description) > 100
    assert scenario.truth.cause in CAUSES


def test_the_incidents_right_fix_is_removing_the_netem_qdisc_on_the_app() -> None:
    truth = load_scenario("incident").truth
    assert (truth.cause, truth.host, truth.fix) == ("path_loss", "app", {"app": ["qdisc"]})
    assert (truth.flow.client, truth.flow.server, truth.flow.dport, truth.direction) == (
        "app",
        "db",
        5432,
        "client_to_server",
    )


def test_a_host_gets_a_stock_linux_instance_where_its_scenario_says_nothing() -> None:
    db = load_scenario("incident").hosts["db"]
    assert db.sysctls() == STOCK_SYSCTL
    assert db.sysctls()["net.ipv4.tcp_rmem"] == "4096\t131072\t6291456"


def test_a_scenario_file_loads_by_path(tmp_path: Path) -> None:
    data = {**_incident_data(), "name": "mine"}
    assert load_scenario(_write(tmp_path, data)).name == "mine"


def test_a_file_without_a_name_is_named_after_the_file(tmp_path: Path) -> None:
    data = _incident_data()
    del data["name"]
    assert load_scenario(_write(tmp_path, data, "my-case.yaml")).name == "my-case"


def test_shipped_scenarios_load_from_any_working_directory(tmp_path: Path) -> None:
    code = (
        "from agents.lab.scenarios import load_scenario, scenario_names; "
        "print(len(scenario_names()), load_scenario('resets').name)"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["11", "resets"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["hosts"]["db"].update(qdisc={"loss_pct": 120}),
            r"^scenario x\.yaml: hosts\.db\.qdisc\.loss_pct: .*less than 100",
        ),
        (
            lambda d: d["hosts"]["db"].update(qdisc={"los_pct": 1}),
            r"^scenario x\.yaml: hosts\.db\.qdisc\.los_pct: Extra inputs",
        ),
        (lambda d: d["hosts"]["db"].update(qdisc={}), r"^scenario x\.yaml: hosts\.db\.qdisc: a netem qdisc needs"),
        (
            lambda d: d["hosts"]["app"].update(ip="10.9.9.9"),
            r"^scenario x\.yaml: hosts\.app\.ip: 10\.9\.9\.9 is not in its subnet",
        ),
        (
            lambda d: d["hosts"]["app"]["sysctl"].update({"net.ipv4.tcp_rto_min": "200"}),
            r"hosts\.app\.sysctl\.net\.ipv4\.tcp_rto_min: not a sysctl",
        ),
        (
            lambda d: d["hosts"]["app"]["sysctl"].update({"net.ipv4.tcp_rmem": "big"}),
            r"hosts\.app\.sysctl\.net\.ipv4\.tcp_rmem: 'big' is not a value",
        ),
        (
            lambda d: d["hosts"]["app"].update(ena={"pps_allowance": 1}),
            r"^scenario x\.yaml: hosts\.app\.ena\.pps_allowance: ",
        ),
        (
            lambda d: d["flows"][0].update(server="cache"),
            r"^scenario x\.yaml: flows\.0\.server: 'cache' is not one of the hosts",
        ),
        (lambda d: d["flows"][1].update(pattern="stream"), r"^scenario x\.yaml: flows\.1\.pattern: "),
        (
            lambda d: d["flows"][1].update(client_port=40000),
            r"^scenario x\.yaml: flows\.1\.client_port: app already uses port 40000",
        ),
        (lambda d: d["monitors"][0].update(health_indicator=2), r"^scenario x\.yaml: monitors\.0\.health_indicator: "),
        (lambda d: d.update(mirror="cache"), r"^scenario x\.yaml: mirror: 'cache' is not one of the hosts"),
        (lambda d: d["truth"].update(cause="gremlins"), r"^scenario x\.yaml: truth\.cause: "),
        (lambda d: d["truth"].update(fix={"app": ["tc"]}), r"^scenario x\.yaml: truth\.fix\.app: 'tc' is neither"),
        (
            lambda d: d["truth"]["flow"].update(dport=1),
            r"^scenario x\.yaml: truth\.flow: no flow from app to db port 1\.",
        ),
        (lambda d: d.pop("truth"), r"^scenario x\.yaml: truth: Field required\.$"),
    ],
)
def test_a_bad_field_is_refused_in_one_sentence_naming_it(tmp_path: Path, change, message: str) -> None:
    data = _incident_data()
    change(data)
    with pytest.raises(ScenarioError, match=message) as refused:
        load_scenario(_write(tmp_path, data))
    assert "\n" not in str(refused.value)
    assert str(refused.value).endswith(".")


def test_a_file_that_is_not_yaml_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"^scenario x\.yaml: not valid YAML at line 2\.$"):
        load_scenario(_write(tmp_path, "name: x\nhosts: a: b\n"))


def test_a_file_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"^scenario x\.yaml: the file must be a mapping"):
        load_scenario(_write(tmp_path, "- a\n- b\n"))


def test_a_missing_file_is_refused_with_the_reason(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"^scenario nope\.yaml: cannot read .*No such file"):
        load_scenario(tmp_path / "nope.yaml")


def test_an_unknown_name_lists_the_shipped_ones() -> None:
    with pytest.raises(
        ScenarioError, match=r"^scenario gremlins: no such scenario \(shipped: added-latency, .*resets\)"
    ):
        load_scenario("gremlins")
