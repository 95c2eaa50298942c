"""How host state becomes flow conditions: the one model behind captures, NFM and CloudWatch."""

from __future__ import annotations

from pathlib import Path

from agents.lab.conditions import HEALTHY, Impairment, flow_conditions, impairment_of, totals

from agents.lab import topology
from agents.lab.host import create_host


def test_impaired_host_reads_as_netem_loss_and_constrained_buffers(tmp_path: Path) -> None:
    impairment = impairment_of(create_host(tmp_path, impaired=True).state())
    assert impairment == Impairment(loss_rate=0.03, constrained=True)


def test_healthy_host_reads_as_healthy(tmp_path: Path) -> None:
    assert impairment_of(create_host(tmp_path, impaired=False).state()).healthy


def test_netem_loss_percentage_is_read_from_the_qdisc() -> None:
    state = {"sysctl": {}, "qdisc": {"eth0": "netem delay 10ms loss 7.5%"}}
    assert impairment_of(state).loss_rate == 0.075


def test_missing_sysctl_keys_do_not_count_as_constrained() -> None:
    assert impairment_of({"sysctl": {}, "qdisc": {"eth0": None}}) == HEALTHY


def test_impaired_app_gives_the_app_to_db_flow_its_loss() -> None:
    [flow] = flow_conditions(Impairment(loss_rate=0.03, constrained=True))
    assert (flow.client_ip, flow.server_ip, flow.server_port) == (topology.APP_IP, topology.DB_IP, topology.DB_PORT)
    assert flow.loss_rate == 0.03
    assert flow.per_minute()["RETRANSMISSIONS"] > 0


def test_healthy_app_flow_has_no_retransmissions_or_timeouts() -> None:
    [flow] = flow_conditions(HEALTHY)
    minute = flow.per_minute()
    assert minute["RETRANSMISSIONS"] == 0
    assert minute["TIMEOUTS"] == 0


def test_round_trip_time_is_in_microseconds() -> None:
    [flow] = flow_conditions(HEALTHY)
    assert flow.per_minute()["ROUND_TRIP_TIME"] == round(flow.rtt_s * 1_000_000)


def test_totals_add_counts_over_minutes_and_average_the_round_trip_time() -> None:
    [sick] = flow_conditions(Impairment(loss_rate=0.03, constrained=True))
    [well] = flow_conditions(HEALTHY)
    [(flow, values)] = totals([[sick], [sick], [well]])
    assert flow == well  # the latest condition describes the flow
    assert values["RETRANSMISSIONS"] == 2 * sick.per_minute()["RETRANSMISSIONS"]
    assert values["DATA_TRANSFERRED"] == 3 * well.per_minute()["DATA_TRANSFERRED"]
    expected_rtt = (2 * sick.per_minute()["ROUND_TRIP_TIME"] + well.per_minute()["ROUND_TRIP_TIME"]) / 3
    assert values["ROUND_TRIP_TIME"] == round(expected_rtt)


def test_totals_of_no_observed_minutes_is_no_flows() -> None:
    assert totals([]) == []
