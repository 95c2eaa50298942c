"""Merging the results of several files (rotated captures of one mirror session)."""

from __future__ import annotations

import io

from pcap_corpus import CAPTURES

from agents.performance.pcap import analyze_path, analyze_stream, merge_results
from agents.performance.pcap.generator import FlowSpec, write_capture


def _capture(flows: list[FlowSpec], seed: int) -> io.BytesIO:
    out = io.BytesIO()
    write_capture(out, flows, seed=seed, start_time=1000.0)
    out.seek(0)
    return out


def test_merged_counts_are_the_sums_of_the_files() -> None:
    first = analyze_path(CAPTURES / "synthetic/synthetic_tcp_events.pcap")
    second = analyze_path(CAPTURES / "tcpdump/ssh.pcap")

    merged = merge_results([first, second])

    assert merged.counts == {name: first.counts[name] + second.counts[name] for name in first.counts}
    assert merged.ack_rtt["count"] == first.ack_rtt["count"] + second.ack_rtt["count"]
    assert merged.error is None


def test_the_same_flow_in_two_files_is_one_merged_flow() -> None:
    spec = FlowSpec(client=("10.0.1.10", 40000), segments=100, loss_rate=0.1)
    first = analyze_stream(_capture([spec], seed=1), name="capture-1")
    second = analyze_stream(_capture([spec], seed=2), name="capture-2")

    merged = merge_results([first, second])

    assert len(merged.flows) == 1
    flow = merged.flows[0]
    assert flow.packets == first.flows[0].packets + second.flows[0].packets
    assert flow.retransmissions == first.flows[0].retransmissions + second.flows[0].retransmissions
    assert flow.rtt.count == first.flows[0].rtt.count + second.flows[0].rtt.count


def test_merging_leaves_the_inputs_unchanged() -> None:
    spec = FlowSpec(segments=50, loss_rate=0.1)
    first = analyze_stream(_capture([spec], seed=1), name="a")
    second = analyze_stream(_capture([spec], seed=2), name="b")
    packets_before = first.flows[0].packets

    merge_results([first, second])

    assert first.flows[0].packets == packets_before


def test_merge_fails_only_when_every_file_failed() -> None:
    good = analyze_path(CAPTURES / "synthetic/synthetic_tcp_events.pcap")
    bad = analyze_stream(io.BytesIO(b"not a capture"), name="junk.txt")

    assert merge_results([good, bad]).error is None
    assert merge_results([bad, bad]).error == "junk.txt: not a pcap or pcapng file; junk.txt: not a pcap or pcapng file"


def test_worst_flows_come_first() -> None:
    clean = FlowSpec(client=("10.0.1.1", 40001), segments=100)
    lossy = FlowSpec(client=("10.0.1.2", 40002), segments=100, loss_rate=0.15)
    result = analyze_stream(_capture([clean, lossy], seed=3), name="mixed")

    assert [flow.src for flow in result.flows] == ["10.0.1.2", "10.0.1.1"]
    assert result.flows[0].retransmission_rate > 0.05
    assert result.to_json()["flows"][0]["src"] == "10.0.1.2"
