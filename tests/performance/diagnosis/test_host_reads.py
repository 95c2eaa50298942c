"""The read-only host look, run on a simulated host: what it reads, and that it changes nothing."""

from __future__ import annotations

from pathlib import Path

from agents.lab.host import create_host
from agents.performance.tools.host_reads import READ_KEYS, parse_read, read_script


def test_the_read_script_reports_sysctls_qdisc_and_changes_nothing(tmp_path: Path):
    host = create_host(tmp_path / "h", impaired=True)
    before = host.state()
    result = host.run_script(read_script())
    assert result.exit_code == 0, result.stderr
    read = parse_read("i-0123456789abcdef0", result.stdout)
    assert read.readable
    assert read.sysctl["net.ipv4.tcp_window_scaling"] == "0"
    assert read.sysctl["net.ipv4.tcp_rmem"].split()[0] == "4096"
    assert read.qdisc is not None and read.qdisc.startswith("netem")
    assert read.interface == "eth0"
    assert host.state() == before
    assert set(read.missing) <= set(READ_KEYS)


def test_a_script_that_did_not_finish_is_unreadable_not_healthy():
    read = parse_read("i-0123456789abcdef0", "NETOPS sysctl net.core.rmem_max = 212992\n")
    assert not read.readable
    assert "did not finish" in (read.error or "")


def test_counters_that_grew_between_the_two_reads_are_rising():
    out = "\n".join(
        [
            "NETOPS ena1 pps_allowance_exceeded=10",
            "NETOPS ena1 bw_out_allowance_exceeded=5",
            "NETOPS ena2 pps_allowance_exceeded=14",
            "NETOPS ena2 bw_out_allowance_exceeded=5",
            "NETOPS done",
        ]
    )
    assert parse_read("i-0123456789abcdef0", out).ena_rising == {"pps_allowance_exceeded": 4}
