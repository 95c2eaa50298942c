"""The TCP fix script, run for real under bash on a simulated host."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.lab.host import create_host
from agents.performance.tools.fix_script import build_script, parse_output, verification_problems

INSTANCE = "i-0123456789abcdef0"


def test_script_fixes_an_impaired_host_and_prints_before_and_after(tmp_path: Path) -> None:
    host = create_host(tmp_path)
    result = host.run_script(build_script(INSTANCE))
    assert result.exit_code == 0, result.stderr
    report = parse_output(result.stdout)
    assert report.before["net.core.rmem_max"] == "212992"
    assert report.before["qdisc"] == "netem loss 3%"
    assert report.after["net.core.rmem_max"] == "134217728"
    assert report.after["net.ipv4.tcp_rmem"] == "4096 87380 134217728"
    assert report.after["net.ipv4.tcp_window_scaling"] == "1"
    assert report.after["qdisc"] == "mq"
    assert verification_problems(report) == []
    assert host.is_healthy()


def test_script_skips_a_key_the_kernel_lacks(tmp_path: Path) -> None:
    host = create_host(tmp_path, missing_keys=["net.ipv4.tcp_wmem"])
    result = host.run_script(build_script(INSTANCE))
    assert result.exit_code == 0, result.stderr
    report = parse_output(result.stdout)
    assert report.skipped == ["net.ipv4.tcp_wmem"]
    assert not any("tcp_wmem" in " ".join(c.argv) for c in host.calls() if c.tool == "sysctl")
    assert verification_problems(report) == []


def test_script_stops_on_the_first_failing_command(tmp_path: Path) -> None:
    host = create_host(tmp_path)
    host.refuse_writes("net.core.rmem_max")
    result = host.run_script(build_script(INSTANCE))
    assert result.exit_code == 255
    assert 'permission denied on key "net.core.rmem_max"' in result.stderr
    report = parse_output(result.stdout)
    assert not report.complete
    assert report.after == {}
    assert host.state()["sysctl"]["net.core.wmem_max"] == "212992"
    assert verification_problems(report) == ["the script did not finish, so there is no complete read-back"]


def test_script_leaves_a_host_without_netem_qdisc_alone(tmp_path: Path) -> None:
    host = create_host(tmp_path, impaired=False)
    result = host.run_script(build_script(INSTANCE))
    assert result.exit_code == 0, result.stderr
    assert not [c for c in host.calls() if c.tool == "tc" and "del" in c.argv]
    assert not [c for c in host.calls() if c.tool == "sysctl" and "-w" in c.argv]
    assert parse_output(result.stdout).changes == []


def test_script_persists_values_when_asked(tmp_path: Path) -> None:
    host = create_host(tmp_path)
    result = host.run_script(build_script(INSTANCE, persist=True))
    assert result.exit_code == 0, result.stderr
    conf = (host.sysctl_d / "90-netops-tcp.conf").read_text()
    assert "net.core.rmem_max = 134217728" in conf
    assert parse_output(result.stdout).persisted.endswith("90-netops-tcp.conf")


def test_script_does_not_persist_by_default(tmp_path: Path) -> None:
    host = create_host(tmp_path)
    assert host.run_script(build_script(INSTANCE)).exit_code == 0
    assert not (host.sysctl_d / "90-netops-tcp.conf").exists()


def test_script_fails_clearly_without_a_default_route(tmp_path: Path) -> None:
    host = create_host(tmp_path)
    (host.root / "network.json").write_text('{"routes": [], "links": {}}')
    result = host.run_script(build_script(INSTANCE))
    assert result.exit_code == 3
    assert "no default route" in result.stderr
    assert host.state()["sysctl"]["net.core.rmem_max"] == "212992"


@pytest.mark.parametrize("bad", ["i-123", "i-0123456789abcdef0; rm -rf /", "$(reboot)", "I-0123456789ABCDEF0"])
def test_build_script_rejects_an_invalid_instance_id(bad: str) -> None:
    with pytest.raises(ValueError, match="not an EC2 instance id"):
        build_script(bad)


def test_verification_flags_a_value_that_did_not_change() -> None:
    report = parse_output(
        "NETOPS after net.core.rmem_max=212992\nNETOPS after net.core.wmem_max=134217728\n"
        "NETOPS after net.ipv4.tcp_rmem=4096 87380 134217728\nNETOPS after net.ipv4.tcp_wmem=4096 16384 134217728\n"
        "NETOPS after net.ipv4.tcp_window_scaling=1\n"
        "NETOPS after qdisc=qdisc netem 8001: root refcnt 2 limit 1000 loss 3%\nNETOPS done\n"
    )
    assert verification_problems(report) == [
        "net.core.rmem_max reads back 212992, below 134217728",
        "the root qdisc is still netem loss 3%",
    ]


def test_verification_says_so_when_ssm_returned_no_output() -> None:
    assert verification_problems(parse_output("")) == [
        "SSM returned none of the script's output, so nothing was read back"
    ]
