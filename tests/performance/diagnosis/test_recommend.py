"""Recommendations: only changes that fix the cause found, each from the host's current value."""

from __future__ import annotations

from evidence_builders import APP, DB, clean_direction, context, flow, host

from agents.performance.causes import flow_causes
from agents.performance.recommend import MAX_BUFFER, MIN_BUFFER, recommend


def plan_for(f, *reads, **ctx):
    ctx_ = context(*reads, **ctx)
    return recommend(flow_causes(f, ctx_), ctx_)


def changes(plan) -> dict[str, list[tuple[str, str | None, str]]]:
    return {h.instance_id: [(c.setting, c.current, c.proposed) for c in h.changes] for h in plan.hosts}


LOSSY = clean_direction(retransmissions=150, fast_retransmissions=120)
STALLED = clean_direction(zero_windows=12, window_full=300, receiver_max_window=65_536)
CAPPED = clean_direction(window_full=400, max_in_flight=65_535, receiver_max_window=65_535, sender_window_scale=-1)


def test_a_netem_loss_on_the_sender_is_removed_and_nothing_else_changes():
    plan = plan_for(flow(LOSSY), host(APP, qdisc="netem loss 3%", sysctl={"net.core.rmem_max": "212992"}), host(DB))
    assert changes(plan) == {APP: [("qdisc", "netem loss 3%", "removed")]}
    assert plan.offerable


def test_the_receiver_window_raises_only_the_receivers_buffers_from_their_current_values():
    small = {"net.ipv4.tcp_rmem": "4096 16384 65536", "net.core.rmem_max": "65536"}
    plan = plan_for(flow(STALLED), host(APP), host(DB, sysctl=small))
    ((instance, found),) = changes(plan).items()
    assert instance == DB
    assert [c[0] for c in found] == ["net.ipv4.tcp_rmem", "net.core.rmem_max"]
    assert found[0][1] == "4096 16384 65536" and found[0][2].startswith("4096 16384 ")


def test_the_buffer_is_sized_from_the_bandwidth_delay_product_not_a_fixed_size():
    small = {"net.ipv4.tcp_rmem": "4096 16384 65536", "net.core.rmem_max": "65536"}
    near = plan_for(flow(STALLED), host(APP), host(DB, sysctl=small))
    far = plan_for(
        flow(clean_direction(zero_windows=12, window_full=300, receiver_max_window=65_536, rtt_p50_ms=30.0)),
        host(APP),
        host(DB, sysctl=small),
    )
    near_size = int(changes(near)[DB][1][2])
    far_size = int(changes(far)[DB][1][2])
    assert MIN_BUFFER <= near_size < far_size <= MAX_BUFFER  # 5 Gbit/s × 0.9 ms vs × 30 ms
    assert near_size == 4 * 1024 * 1024  # 2 × 5 Gbit/s × 0.9 ms = 1.1 MiB, floored at 4 MiB
    assert far_size == 64 * 1024 * 1024  # 2 × 5 Gbit/s × 30 ms = 36 MiB → 64 MiB (the cap)


def test_a_receiver_whose_buffer_already_exceeds_the_need_gets_no_change_but_an_action():
    plan = plan_for(
        flow(STALLED),
        host(APP),
        host(DB, sysctl={"net.ipv4.tcp_rmem": "4096 131072 33554432", "net.core.rmem_max": "33554432"}),
    )
    assert plan.hosts == [] and not plan.offerable
    assert plan.actions and "not reading fast enough" in plan.actions[0][0]


def test_window_scaling_is_enabled_on_every_end_that_has_it_off_and_says_only_new_connections_gain():
    off = {"net.ipv4.tcp_window_scaling": "0"}
    plan = plan_for(flow(CAPPED), host(APP, sysctl=off), host(DB, sysctl=off))
    assert changes(plan) == {
        APP: [("net.ipv4.tcp_window_scaling", "0", "1")],
        DB: [("net.ipv4.tcp_window_scaling", "0", "1")],
    }
    assert any("only new connections" in msgid for msgid, _ in plan.rationale)


def test_window_scaling_already_on_at_one_end_is_not_proposed_there():
    plan = plan_for(flow(CAPPED), host(APP, sysctl={"net.ipv4.tcp_window_scaling": "0"}), host(DB))
    assert set(changes(plan)) == {APP}
    assert plan.in_place


def test_an_unreadable_host_gets_no_blind_change():
    unreadable = host(APP, qdisc="netem loss 3%")
    unreadable.error = "SSM does not manage this instance"
    plan = plan_for(flow(LOSSY), unreadable, host(DB))
    assert not plan.offerable
    # a host that was not read cannot have been seen with netem: the cause stays unattributed, nothing offered
    assert plan.hosts == []


def test_causes_no_host_change_fixes_get_an_action_instead():
    plan = plan_for(flow(LOSSY), host(APP), host(DB), degraded=("lab-monitor",))
    assert plan.hosts == []
    assert "AWS Health Dashboard" in plan.actions[0][0]
    allowance = plan_for(flow(LOSSY), host(APP, ena={"bw_out_allowance_exceeded": 50}), host(DB))
    assert allowance.hosts == [] and "instance type" in allowance.actions[0][0]
