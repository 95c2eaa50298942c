"""The plan script on a simulated host: checks first, all or nothing, read back."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.lab.host import create_host
from agents.performance.tools.fix_script import parse_output
from agents.performance.tools.plan_script import PlannedChange, build_plan_script, plan_problems

INSTANCE = "i-0123456789abcdef0"
NETEM = PlannedChange("qdisc", "netem loss 3%", "removed")
SCALING = PlannedChange("net.ipv4.tcp_window_scaling", "0", "1")
RMEM_MAX = PlannedChange("net.core.rmem_max", "212992", "4194304")


def run(tmp_path: Path, changes: list[PlannedChange], *, refuse: tuple[str, ...] = ()):
    host = create_host(tmp_path / "host", impaired=True)
    if refuse:
        host.refuse_writes(*refuse)
    result = host.run_script(build_plan_script(INSTANCE, changes))
    return host, result, parse_output(result.stdout)


def test_a_plan_applies_every_change_and_reads_it_back(tmp_path: Path):
    host, result, report = run(tmp_path, [NETEM, SCALING, RMEM_MAX])
    assert result.exit_code == 0, result.stderr
    assert plan_problems(report, [NETEM, SCALING, RMEM_MAX]) == []
    assert host.sysctl_values()["net.ipv4.tcp_window_scaling"] == "1"
    assert host.sysctl_values()["net.core.rmem_max"] == "4194304"
    assert not any(q and q.startswith("netem") for q in host.qdiscs().values())
    assert report.before["net.core.rmem_max"] == "212992"


def test_a_host_whose_value_changed_since_the_recommendation_gets_no_change(tmp_path: Path):
    stale = PlannedChange("net.core.rmem_max", "8388608", "16777216")  # the host has 212992, not 8388608
    host, result, _ = run(tmp_path, [SCALING, stale])
    assert result.exit_code != 0
    assert "nothing was changed" in result.stderr
    assert host.sysctl_values()["net.ipv4.tcp_window_scaling"] == "0"


def test_a_write_that_fails_restores_what_was_already_changed(tmp_path: Path):
    host, result, _ = run(tmp_path, [SCALING, RMEM_MAX], refuse=("net.core.rmem_max",))
    assert result.exit_code != 0
    assert "restored" in result.stderr
    assert host.sysctl_values()["net.ipv4.tcp_window_scaling"] == "0"  # rolled back
    assert host.sysctl_values()["net.core.rmem_max"] == "212992"


def test_a_removed_netem_is_put_back_when_a_later_write_fails(tmp_path: Path):
    host, result, _ = run(tmp_path, [NETEM, RMEM_MAX], refuse=("net.core.rmem_max",))
    assert result.exit_code != 0
    assert host.qdiscs()["eth0"] == "netem loss 3%"


@pytest.mark.parametrize(
    "change",
    [
        PlannedChange("kernel.shutdown", "0", "1"),
        PlannedChange("net.core.rmem_max", "1; rm -rf /", "2"),
        PlannedChange("qdisc", "mq", "removed"),
        PlannedChange("qdisc", "netem loss 3%; reboot", "removed"),
    ],
)
def test_only_tcp_sysctls_and_netem_removal_with_plain_values_reach_a_script(change: PlannedChange):
    with pytest.raises(ValueError):
        build_plan_script(INSTANCE, [change])


def test_a_value_already_at_its_target_is_in_place_and_not_written(tmp_path: Path):
    host = create_host(tmp_path / "host", impaired=True)
    host.run_script(build_plan_script(INSTANCE, [SCALING]))
    result = host.run_script(build_plan_script(INSTANCE, [SCALING]))  # a second, stale approval of the same plan
    report = parse_output(result.stdout)
    assert result.exit_code == 0
    assert report.in_place == ["net.ipv4.tcp_window_scaling"] and report.changes == []


def test_an_undo_puts_the_removed_netem_back(tmp_path: Path):
    host, _, _ = run(tmp_path, [NETEM])
    restore = PlannedChange("qdisc", "mq", "netem loss 3%")
    result = host.run_script(build_plan_script(INSTANCE, [restore]))
    assert result.exit_code == 0, result.stderr
    assert plan_problems(parse_output(result.stdout), [restore]) == []
    assert host.qdiscs()["eth0"].startswith("netem")


def test_persisting_writes_the_planned_sysctls_where_boot_reads_them(tmp_path: Path):
    host = create_host(tmp_path / "host", impaired=True)
    result = host.run_script(build_plan_script(INSTANCE, [SCALING, RMEM_MAX, NETEM], persist=True))
    assert result.exit_code == 0, result.stderr
    conf = (host.sysctl_d / "90-netops-tcp.conf").read_text()
    assert conf == "net.ipv4.tcp_window_scaling = 1\nnet.core.rmem_max = 4194304\n"
