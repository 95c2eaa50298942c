"""Each cause rule: evidence that should trigger it does, evidence that should not does not."""

from __future__ import annotations

from evidence_builders import APP, DB, DB_IP, clean_direction, context, flow, host

from agents.performance.causes import MIN_SEGMENTS, decide, flow_causes
from agents.performance.evidence import SERVER_TO_CLIENT, Evidence


def codes(causes) -> list[str]:
    return [c.code for c in causes]


def lossy(**changes):
    return clean_direction(retransmissions=150, fast_retransmissions=120, lost_segments=40, **changes)


def test_loss_with_a_netem_qdisc_on_the_sender_is_path_loss_at_that_host():
    causes = flow_causes(flow(lossy()), context(host(APP, qdisc="netem loss 3%"), host(DB)))
    top = causes[0]
    assert (top.code, top.host, top.direction, top.netem) == ("path_loss", APP, "client_to_server", "netem loss 3%")
    assert top.severity == "critical"  # 150 of 5000 = 3 %


def test_loss_below_the_warning_rate_is_not_a_cause():
    quiet = clean_direction(retransmissions=10, fast_retransmissions=8)  # 0.2 %
    assert codes(flow_causes(flow(quiet), context(host(APP), host(DB)))) == []


def test_a_rate_on_too_few_segments_is_no_verdict():
    tiny = clean_direction(data_segments=MIN_SEGMENTS - 1, retransmissions=20, fast_retransmissions=20)
    assert codes(flow_causes(flow(tiny), context(host(APP), host(DB)))) == []


def test_spurious_retransmissions_are_not_loss():
    echoes = clean_direction(retransmissions=150, spurious_retransmissions=148)
    assert "path_loss" not in codes(flow_causes(flow(echoes), context(host(APP), host(DB))))


def test_loss_with_rising_ena_counters_is_the_instance_allowance():
    causes = flow_causes(flow(lossy()), context(host(APP, ena={"pps_allowance_exceeded": 340}), host(DB)))
    assert (causes[0].code, causes[0].host) == ("instance_allowance_exceeded", APP)


def test_loss_with_aws_degraded_and_clean_hosts_is_aws_network():
    causes = flow_causes(flow(lossy()), context(host(APP), host(DB), degraded=("lab-monitor",)))
    assert causes[0].code == "aws_network"
    assert causes[0].host is None
    assert causes[0].confidence >= 0.8


def test_loss_with_clean_hosts_and_healthy_aws_stays_path_loss_without_a_host():
    causes = flow_causes(flow(lossy()), context(host(APP), host(DB)))
    assert (causes[0].code, causes[0].host) == ("path_loss", None)
    assert causes[0].evidence_against  # AWS reports healthy: said, not hidden


def test_reordering_without_real_loss_is_reordering():
    shuffled = clean_direction(out_of_order=90, retransmissions=30, spurious_retransmissions=28, duplicate_acks=120)
    assert codes(flow_causes(flow(shuffled), context(host(APP), host(DB)))) == ["reordering"]


def test_out_of_order_with_real_loss_is_loss_not_reordering():
    both = clean_direction(out_of_order=90, retransmissions=160, fast_retransmissions=120, spurious_retransmissions=5)
    assert "reordering" not in codes(flow_causes(flow(both), context(host(APP), host(DB))))


def test_zero_windows_from_the_receiver_are_the_receiver_window():
    stalled = clean_direction(zero_windows=12, window_full=300, receiver_max_window=65_536)
    causes = flow_causes(flow(stalled), context(host(APP), host(DB)))
    assert (causes[0].code, causes[0].host) == ("receiver_window_limited", DB)


def test_window_full_with_scaling_not_negotiated_is_window_scaling():
    capped = clean_direction(
        window_full=400,
        max_in_flight=65_535,
        receiver_max_window=65_535,
        sender_window_scale=-1,
        receiver_window_scale=7,
    )
    causes = flow_causes(flow(capped), context(host(APP, sysctl={"net.ipv4.tcp_window_scaling": "0"}), host(DB)))
    assert causes[0].code == "window_scaling_disabled"
    assert causes[0].host == APP


def test_scaling_off_while_the_window_never_fills_is_not_a_cause():
    idle = clean_direction(sender_window_scale=-1, receiver_max_window=65_535, max_in_flight=3_000)
    ctx = context(host(APP, sysctl={"net.ipv4.tcp_window_scaling": "0"}), host(DB))
    assert codes(flow_causes(flow(idle), ctx)) == []


def test_rtt_far_above_an_inter_az_path_is_added_latency_at_the_delaying_host():
    slow = clean_direction(SERVER_TO_CLIENT, rtt_p50_ms=41.0, rtt_p99_ms=44.0)
    causes = flow_causes(flow(reverse=slow), context(host(APP), host(DB, qdisc="netem delay 40ms")))
    assert (causes[0].code, causes[0].host) == ("added_latency", DB)


def test_a_normal_inter_az_rtt_is_not_added_latency():
    assert codes(flow_causes(flow(clean_direction(rtt_p50_ms=1.6)), context(host(APP), host(DB)))) == []


def test_a_share_of_connections_reset_by_the_server_is_connection_resets_at_the_server():
    resetting = clean_direction(SERVER_TO_CLIENT, data_segments=2500, resets=30)
    f = flow(reverse=resetting, connections=100, reset_connections=30)
    causes = flow_causes(f, context(host(APP), host(DB)))
    assert (causes[0].code, causes[0].host, causes[0].direction) == ("connection_resets", DB, SERVER_TO_CLIENT)


def test_a_few_resets_among_many_connections_are_not_a_cause():
    f = flow(reverse=clean_direction(SERVER_TO_CLIENT, resets=2), connections=200, reset_connections=2)
    assert codes(flow_causes(f, context(host(APP), host(DB)))) == []


def test_no_evidence_at_all_is_insufficient_not_none():
    assert codes(decide(Evidence(), [], context())) == ["insufficient_evidence"]


def test_a_clean_flow_with_enough_segments_is_none():
    assert codes(decide(Evidence(captures_analyzed=3), [flow()], context(host(APP), host(DB)))) == ["none"]


def test_a_clean_but_tiny_sample_is_insufficient_evidence():
    f = flow(clean_direction(data_segments=50), clean_direction(SERVER_TO_CLIENT, data_segments=20))
    assert codes(decide(Evidence(captures_analyzed=1), [f], context())) == ["insufficient_evidence"]


def test_the_health_indicator_degraded_with_no_flow_trouble_still_names_aws():
    assert "aws_network" in codes(decide(Evidence(captures_analyzed=3), [flow()], context(degraded=("m",))))


def test_causes_are_ranked_most_likely_first():
    both = flow(
        lossy(), clean_direction(SERVER_TO_CLIENT, data_segments=2500, resets=4), connections=50, reset_connections=4
    )
    ranked = decide(Evidence(captures_analyzed=3), [both], context(host(APP, qdisc="netem loss 3%"), host(DB)))
    assert ranked[0].code == "path_loss"
    assert [c.confidence for c in ranked] == sorted((c.confidence for c in ranked), reverse=True)
    assert DB_IP in ranked[1].evidence_for[1][1]["sender"]


def test_a_path_of_ten_milliseconds_through_an_appliance_is_the_path_not_added_latency():
    through_an_appliance = clean_direction(rtt_p50_ms=10.4, rtt_p99_ms=11.0)
    assert codes(flow_causes(flow(through_an_appliance), context(host(APP), host(DB)))) == []


def test_seen_from_the_receiver_late_segments_retransmitted_are_reordering_not_loss():
    # a mirror on the db: the sender's fast retransmits of late segments, a third of them spurious copies
    late = clean_direction(
        data_segments=490,
        retransmissions=23,
        fast_retransmissions=15,
        spurious_retransmissions=8,
        out_of_order=5,
        lost_segments=20,
    )
    ranked = decide(Evidence(captures_analyzed=3), [flow(late)], context(host(APP), host(DB)))
    assert ranked[0].code == "reordering"
    assert all(c.confidence < 0.6 for c in ranked if c.code == "path_loss")
