"""The one model behind every kind of telemetry: host states and paths → each flow's behaviour."""

from __future__ import annotations

from dataclasses import replace

import pytest

from agents.lab.model import (
    MAX_WINDOW_UNSCALED,
    MSS,
    HostState,
    Observation,
    flow_conditions,
    initial_states,
    parse_netem,
    receive_window,
    totals,
)
from agents.lab.scenarios import STOCK_SYSCTL, Netem, load_scenario


def _main(scenario_name: str, **changes: HostState) -> object:
    """The scenario's first flow (app → db:5432) with some hosts' states replaced."""
    scenario = load_scenario(scenario_name)
    states = {**initial_states(scenario), **changes}
    return flow_conditions(scenario, states)[0]


def _stock(**sysctl: str) -> HostState:
    return HostState(sysctl={**STOCK_SYSCTL, **sysctl})


def test_a_healthy_flow_runs_at_its_offered_rate_without_loss() -> None:
    flow = _main("healthy")
    assert (flow.loss_rate, flow.throughput_bps) == (0.0, flow.offered_bps)
    assert flow.per_minute()["RETRANSMISSIONS"] == flow.per_minute()["TIMEOUTS"] == 0


def test_egress_netem_loss_drops_the_senders_segments() -> None:
    flow = _main("healthy", app=HostState(sysctl=dict(STOCK_SYSCTL), netem=Netem(loss_pct=3)))
    assert flow.loss_rate == pytest.approx(0.03)
    assert flow.per_minute()["RETRANSMISSIONS"] == round(flow.segments_per_minute * 0.03)


def test_netem_on_the_receiver_does_not_drop_the_senders_data() -> None:
    assert _main("healthy", db=HostState(sysctl=dict(STOCK_SYSCTL), netem=Netem(loss_pct=3))).loss_rate == 0


def test_netem_delay_on_either_end_adds_to_the_round_trip() -> None:
    delayed = HostState(sysctl=dict(STOCK_SYSCTL), netem=Netem(delay_ms=40))
    assert _main("healthy", app=delayed).rtt_s == pytest.approx(0.0409)
    assert _main("healthy", db=delayed).rtt_s == pytest.approx(0.0409)


def test_ena_allowance_drops_act_like_egress_loss_without_netem() -> None:
    flow = _main("instance-allowance")
    assert 0.015 < flow.loss_rate < 0.03
    assert initial_states(load_scenario("instance-allowance"))["app"].netem is None


def test_the_receivers_tcp_rmem_maximum_bounds_its_window() -> None:
    small = _stock(**{"net.ipv4.tcp_rmem": "4096\t16384\t16384"})
    assert receive_window(small, scaling=True) == 16384 // 2 // MSS * MSS
    assert receive_window(_stock(), scaling=True) == 6291456 // 2 // MSS * MSS


def test_window_scaling_off_on_either_end_caps_the_window_at_64_kib() -> None:
    off = _stock(**{"net.ipv4.tcp_window_scaling": "0"})
    for changes in ({"app": off}, {"db": off}):
        flow = _main("no-window-scaling", **{**{"app": _stock(), "db": _stock()}, **changes})
        assert flow.window <= MAX_WINDOW_UNSCALED
        assert flow.throughput_bps == pytest.approx(flow.window * 8 / flow.rtt_s)


def test_a_syn_ack_offers_window_scaling_only_to_a_syn_that_did() -> None:
    flow = _main("no-window-scaling")
    assert (flow.client_wscale, flow.server_wscale) == (None, None)
    assert _main("no-window-scaling", app=_stock()).client_wscale == 7  # 6 MiB buffers need a shift of 7


def test_throughput_is_the_offered_rate_when_the_window_covers_the_bandwidth_delay_product() -> None:
    flow = _main("no-window-scaling", app=_stock())
    assert flow.throughput_bps == flow.offered_bps


def test_a_lagging_reader_with_a_tiny_buffer_closes_its_window() -> None:
    flow = _main("receiver-window")
    assert flow.zero_window_pause_s > 0
    assert flow.throughput_bps < flow.offered_bps
    assert flow.burst == flow.window // MSS  # the sender fills what the receiver offers


def test_raising_the_receivers_tcp_rmem_ends_the_zero_windows() -> None:
    flow = _main("receiver-window", db=_stock())
    assert flow.zero_window_pause_s == 0
    assert flow.throughput_bps == flow.offered_bps


def test_path_reordering_causes_spurious_retransmissions_without_loss_or_timeouts() -> None:
    flow = _main("reordering")
    minute = flow.per_minute()
    assert flow.loss_rate == 0 and flow.reorder_rate > 0
    assert minute["RETRANSMISSIONS"] > 0 and minute["TIMEOUTS"] == 0


def test_the_server_resets_its_share_of_new_connections() -> None:
    assert _main("resets").reset_share == 0.2


def test_a_destination_in_another_az_is_inter_az() -> None:
    assert _main("healthy").destination_category == "INTER_AZ"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("netem loss 3%", Netem(loss_pct=3)),
        ("netem delay 40ms", Netem(delay_ms=40)),
        ("netem delay 500us loss 0.5%", Netem(delay_ms=0.5, loss_pct=0.5)),
        ("netem delay 1s reorder 25%", Netem(delay_ms=1000, reorder_pct=25)),
        (None, None),
        ("fq_codel", None),
    ],
)
def test_a_configured_qdisc_reads_back_as_the_netem_it_is(text: str | None, expected: Netem | None) -> None:
    assert parse_netem(text) == expected


def test_totals_weigh_each_stretch_by_its_length() -> None:
    sick = _main("incident")
    well = replace(sick, loss_rate=0.0, rtt_s=0.002)
    [(flow, values)] = totals([Observation(0, 60, [sick]), Observation(60, 30, [well]), Observation(90, 30, [well])])
    assert flow == well  # the latest condition describes the flow
    assert values["RETRANSMISSIONS"] == sick.per_minute()["RETRANSMISSIONS"]
    assert values["DATA_TRANSFERRED"] == round(
        sick.per_minute()["DATA_TRANSFERRED"] + well.per_minute()["DATA_TRANSFERRED"]
    )
    assert values["ROUND_TRIP_TIME"] == round((sick.per_minute()["ROUND_TRIP_TIME"] + 2000) / 2)


def test_totals_of_no_observed_stretch_is_no_flows() -> None:
    assert totals([]) == []
