"""The simulated host: shims that behave like sysctl/tc/ip, recorded calls, health."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.lab.host import create_host


def test_impaired_host_has_small_buffers_no_window_scaling_and_netem(tmp_path: Path) -> None:
    host = create_host(tmp_path)
    state = host.state()
    assert state["sysctl"]["net.core.rmem_max"] == "212992"
    assert state["sysctl"]["net.ipv4.tcp_window_scaling"] == "0"
    assert state["qdisc"]["eth0"] == "netem loss 3%"
    assert not host.is_healthy()


def test_healthy_host_reports_healthy(tmp_path: Path) -> None:
    assert create_host(tmp_path, impaired=False).is_healthy()


def test_missing_keys_are_absent_from_the_tree(tmp_path: Path) -> None:
    host = create_host(tmp_path, missing_keys=["net.ipv4.tcp_wmem"])
    assert "net.ipv4.tcp_wmem" not in host.state()["sysctl"]


def test_unknown_missing_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"net\.ipv4\.tcp_rto_min"):
        create_host(tmp_path, missing_keys=["net.ipv4.tcp_rto_min"])


def test_sysctl_shim_reads_writes_and_records(tmp_path: Path) -> None:
    host = create_host(tmp_path)
    result = host.run_script("sysctl -w net.core.rmem_max=4194304\nsysctl -n net.core.rmem_max\n")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == ["net.core.rmem_max = 4194304", "4194304"]
    assert [(c.tool, c.argv, c.exit_code) for c in host.calls()] == [
        ("sysctl", ["-w", "net.core.rmem_max=4194304"], 0),
        ("sysctl", ["-n", "net.core.rmem_max"], 0),
    ]


def test_sysctl_shim_fails_like_sysctl_on_a_missing_key(tmp_path: Path) -> None:
    host = create_host(tmp_path)
    result = host.run_script("sysctl -n net.ipv4.tcp_rto_min")
    assert result.exit_code == 255
    assert "cannot stat /proc/sys/net/ipv4/tcp_rto_min" in result.stderr


def test_sysctl_shim_ignores_a_missing_key_with_e(tmp_path: Path) -> None:
    assert create_host(tmp_path).run_script("sysctl -e -n net.ipv4.tcp_rto_min").exit_code == 0


def test_sysctl_shim_rejects_an_invalid_value(tmp_path: Path) -> None:
    host = create_host(tmp_path)
    result = host.run_script("sysctl -w net.ipv4.tcp_window_scaling=2")
    assert result.exit_code == 255
    assert 'setting key "net.ipv4.tcp_window_scaling": Invalid argument' in result.stderr
    assert host.state()["sysctl"]["net.ipv4.tcp_window_scaling"] == "0"


def test_tc_shim_shows_and_deletes_the_root_netem(tmp_path: Path) -> None:
    host = create_host(tmp_path)
    result = host.run_script("tc qdisc show dev eth0 root\ntc qdisc del dev eth0 root\ntc qdisc show dev eth0 root")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == ["qdisc netem 8001: root refcnt 2 limit 1000 loss 3%", "qdisc mq 0: root"]
    assert host.state()["qdisc"]["eth0"] is None


def test_tc_shim_refuses_to_delete_the_default_root(tmp_path: Path) -> None:
    result = create_host(tmp_path, impaired=False).run_script("tc qdisc del dev eth0 root")
    assert result.exit_code == 2
    assert "Cannot delete qdisc with handle of zero" in result.stderr


def test_tc_shim_adds_netem_and_rejects_a_bad_parameter(tmp_path: Path) -> None:
    host = create_host(tmp_path, impaired=False)
    assert host.run_script("tc qdisc add dev eth0 root netem loss 5%").exit_code == 0
    assert host.state()["qdisc"]["eth0"] == "netem loss 5%"
    bad = host.run_script("tc qdisc replace dev eth0 root netem loss lots")
    assert bad.exit_code == 1
    assert 'Illegal "loss"' in bad.stderr


def test_tc_shim_fails_on_an_unknown_device(tmp_path: Path) -> None:
    result = create_host(tmp_path).run_script("tc qdisc show dev eth9")
    assert result.exit_code == 1
    assert 'Cannot find device "eth9"' in result.stderr


def test_ip_shim_shows_the_default_route_and_rejects_unknown_objects(tmp_path: Path) -> None:
    host = create_host(tmp_path)
    assert "dev eth0" in host.run_script("ip route show default").stdout
    bad = host.run_script("ip frobnicate")
    assert bad.exit_code == 255
    assert 'Object "frobnicate" is unknown' in bad.stderr


def test_script_timeout_is_reported_not_raised(tmp_path: Path) -> None:
    result = create_host(tmp_path).run_script("exec sleep 5", timeout_s=0.2)
    assert result.exit_code == 124
    assert "timed out" in result.stderr


def test_sysctl_shim_refuses_writes_to_a_read_only_key(tmp_path: Path) -> None:
    host = create_host(tmp_path)
    host.refuse_writes("net.core.rmem_max")
    result = host.run_script("sysctl -w net.core.rmem_max=1")
    assert result.exit_code == 255
    assert 'permission denied on key "net.core.rmem_max"' in result.stderr
