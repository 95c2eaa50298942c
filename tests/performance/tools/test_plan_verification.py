"""A plan script's edges on a simulated host, and how its read-back is judged (`plan_problems`).

The main path (apply, stale value, rollback, netem put back, what may reach a script) is in
tests/performance/diagnosis/test_plan_script.py; these are the ways a host or SSM can differ.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.lab.host import create_host
from agents.performance.tools.fix_script import parse_output
from agents.performance.tools.plan_script import PlannedChange, build_plan_script, plan_problems

INSTANCE = "i-0123456789abcdef0"
NETEM = PlannedChange("qdisc", "netem loss 3%", "removed")
RMEM_MAX = PlannedChange("net.core.rmem_max", "212992", "4194304")
WMEM = PlannedChange("net.ipv4.tcp_wmem", "4096 16384 4194304", "4096 16384 8388608")


def test_a_plan_for_a_key_the_kernel_lacks_changes_nothing(tmp_path: Path) -> None:
    host = create_host(tmp_path, missing_keys=["net.ipv4.tcp_wmem"])
    result = host.run_script(build_plan_script(INSTANCE, [RMEM_MAX, WMEM]))
    assert result.exit_code != 0
    assert "net.ipv4.tcp_wmem cannot be read; nothing was changed" in result.stderr
    assert not [c for c in host.calls() if c.tool == "sysctl" and "-w" in c.argv]
    assert host.sysctl_values()["net.core.rmem_max"] == "212992"


def test_the_script_fails_clearly_without_a_default_route_and_changes_nothing(tmp_path: Path) -> None:
    host = create_host(tmp_path)
    (host.root / "network.json").write_text('{"routes": [], "links": {}}')
    result = host.run_script(build_plan_script(INSTANCE, [NETEM, RMEM_MAX]))
    assert result.exit_code == 3
    assert "no default route" in result.stderr
    assert host.sysctl_values()["net.core.rmem_max"] == "212992"
    assert host.qdiscs()["eth0"] == "netem loss 3%"


def test_a_netem_that_is_already_gone_is_in_place_and_not_removed_again(tmp_path: Path) -> None:
    host = create_host(tmp_path, impaired=False)
    result = host.run_script(build_plan_script(INSTANCE, [NETEM]))
    assert result.exit_code == 0
    assert parse_output(result.stdout).in_place == ["qdisc"]
    assert not [c for c in host.calls() if c.tool == "tc" and "del" in c.argv]


@pytest.mark.parametrize(
    "bad", ["i-123", "i-0123456789abcdef0; rm -rf /", "$(reboot)", "I-0123456789ABCDEF0", "i-0123456789abcdef0\n"]
)
def test_a_plan_script_refuses_an_invalid_instance_id(bad: str) -> None:
    with pytest.raises(ValueError, match="not an EC2 instance id"):
        build_plan_script(bad, [RMEM_MAX])


def test_a_plan_script_needs_a_change() -> None:
    with pytest.raises(ValueError, match="at least one change"):
        build_plan_script(INSTANCE, [])


def test_the_read_back_flags_a_value_that_did_not_change_and_a_netem_still_there() -> None:
    report = parse_output(
        "NETOPS after net.core.rmem_max=212992\n"
        "NETOPS after qdisc=qdisc netem 8001: root refcnt 2 limit 1000 loss 3%\nNETOPS done\n"
    )
    assert plan_problems(report, [RMEM_MAX, NETEM]) == [
        "net.core.rmem_max reads back 212992, not 4194304",
        "the root qdisc is still netem loss 3%",
    ]


def test_the_read_back_compares_vectors_whatever_the_whitespace() -> None:
    report = parse_output("NETOPS after net.ipv4.tcp_wmem=4096\t16384  8388608\nNETOPS done\n")
    assert plan_problems(report, [WMEM]) == []


def test_a_setting_missing_from_the_read_back_is_not_verified() -> None:
    report = parse_output("NETOPS after net.core.rmem_max=4194304\nNETOPS done\n")
    assert plan_problems(report, [RMEM_MAX, WMEM]) == ["net.ipv4.tcp_wmem was not read back"]


@pytest.mark.parametrize(
    "stdout", ["", "NETOPS before net.core.rmem_max=212992\nNETOPS after net.core.rmem_max=4194304\n"]
)
def test_output_without_the_scripts_end_is_not_verified(stdout: str) -> None:
    assert plan_problems(parse_output(stdout), [RMEM_MAX]) == [
        "the script did not finish, so there is no complete read-back"
    ]
