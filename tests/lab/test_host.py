"""The simulated host: shims that behave like sysctl/tc/ip, recorded calls, health."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.lab.host import create_host
from agents.lab.scenarios import HostSpec, load_scenario


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


def _spec(name: str, role: str) -> HostSpec:
    return load_scenario(name).hosts[role]


def test_a_scenario_host_answers_the_read_only_commands_in_the_real_tools_formats(tmp_path: Path) -> None:
    host = create_host(tmp_path, spec=_spec("incident", "app"))
    script = "sysctl -n net.ipv4.tcp_rmem\nsysctl -n net.ipv4.tcp_window_scaling\nip route show default\n"
    script += "tc qdisc show dev eth0 root\n"
    assert host.run_script(script).stdout.splitlines() == [
        "4096\t87380\t212992",
        "0",
        "default via 10.0.1.1 dev eth0 proto dhcp src 10.0.1.10 metric 100",
        "qdisc netem 8001: root refcnt 2 limit 1000 loss 3%",
    ]


def test_a_host_without_netem_shows_the_mq_root(tmp_path: Path) -> None:
    host = create_host(tmp_path, spec=_spec("incident", "db"))
    assert host.run_script("tc qdisc show dev eth0 root").stdout == "qdisc mq 0: root\n"
    assert "src 10.0.2.20" in host.run_script("ip route show default").stdout


def test_netem_delay_and_reorder_show_as_tc_prints_them(tmp_path: Path) -> None:
    host = create_host(tmp_path, spec=_spec("added-latency", "app"))
    assert (
        host.run_script("tc qdisc show dev eth0 root").stdout
        == "qdisc netem 8001: root refcnt 2 limit 1000 delay 40ms\n"
    )
    assert host.run_script("tc qdisc replace dev eth0 root netem delay 5ms reorder 25%").exit_code == 0


def _allowances(stdout: str) -> dict[str, int]:
    return {
        name.strip(): int(value)
        for name, _, value in (line.partition(":") for line in stdout.splitlines()[1:])
        if name.strip().endswith("allowance_exceeded")
    }


def test_ethtool_shows_the_ena_allowance_counters_rising_with_the_clock(tmp_path: Path) -> None:
    host = create_host(tmp_path, spec=_spec("instance-allowance", "app"))
    first, _, second = host.run_script("ethtool -S eth0; echo ---; sleep 1; ethtool -S eth0").stdout.partition("---\n")
    before, after = _allowances(first), _allowances(second)
    assert set(before) == {
        "bw_in_allowance_exceeded",
        "bw_out_allowance_exceeded",
        "pps_allowance_exceeded",
        "conntrack_allowance_exceeded",
        "linklocal_allowance_exceeded",
    }
    assert after["pps_allowance_exceeded"] > before["pps_allowance_exceeded"]
    assert after["conntrack_allowance_exceeded"] == before["conntrack_allowance_exceeded"] == 0


def test_ethtool_lines_are_enas_indented_name_value_lines(tmp_path: Path) -> None:
    out = create_host(tmp_path, spec=_spec("healthy", "app")).run_script("ethtool -S eth0").stdout.splitlines()
    assert out[0] == "NIC statistics:"
    assert all(line.startswith("     ") and ": " in line for line in out[1:])


def test_ethtool_on_another_device_fails_like_ethtool(tmp_path: Path) -> None:
    result = create_host(tmp_path, spec=_spec("healthy", "app")).run_script("ethtool -S eth9")
    assert result.exit_code != 0
    assert "no device matches name" in result.stderr
