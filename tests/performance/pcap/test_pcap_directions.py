"""Per-direction evidence of each flow (`FlowStats.forward` / `.reverse`) against live tshark.

Each side's counts are tshark's `tcp.analysis.*` flags of the segments that side sent, with its
largest window, bytes in flight, window scale and first/last data time, compared per side on
shared captures (real kernel TCP with SACK and timestamps among them) and generated ones.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from pcap_corpus import CAPTURES, DIRECTION_FLAGS, tshark_directions

from agents.performance.pcap import analyze_path, analyze_stream
from agents.performance.pcap.generator import FlowSpec, write_capture
from agents.performance.pcap.result import DirectionStats

SHARED = [
    "synthetic/synthetic_tcp_events.pcap",
    "synthetic/synthetic_tcp_events_vxlan_sll2.pcap",
    "loopback/loopback_loss2pct_full_99k.pcap.gz",
]
# everything tshark tells per side (options_cut is ours alone; the data times are compared apart)
COMPARED = (
    *DIRECTION_FLAGS,
    "packets",
    "data_segments",
    "payload_bytes",
    "max_window",
    "max_in_flight",
    "window_scale",
)


def _sides(result) -> dict[tuple, DirectionStats]:
    sides = {}
    for flow in result.flows:
        sides[(flow.src, flow.sport, flow.dst, flow.dport)] = flow.forward
        sides[(flow.dst, flow.dport, flow.src, flow.sport)] = flow.reverse
    return sides


def _disagreements(ours: dict[tuple, DirectionStats], theirs: dict[tuple, dict]) -> list:
    wrong = []
    for key, side in ours.items():
        expected = theirs.get(key)
        if expected is None:
            if side.packets:
                wrong.append((key, "not seen by tshark"))
            continue
        for name in COMPARED:
            if getattr(side, name) != expected[name]:
                wrong.append((key, name, getattr(side, name), expected[name]))
        for name in ("first_data_ts", "last_data_ts"):
            mine, theirs_ts = getattr(side, name), expected[name]
            if (mine is None) != (theirs_ts is None) or (mine is not None and abs(mine - theirs_ts) > 1e-6):
                wrong.append((key, name, mine, theirs_ts))
    return wrong


@pytest.mark.parametrize("name", SHARED)
def test_shared_capture_direction_counts_match_tshark(tmp_path: Path, name: str) -> None:
    path = CAPTURES / name
    if name.endswith(".gz"):  # tshark reads gzip too, but slowly: give it the plain file
        import gzip

        plain = tmp_path / Path(name).stem
        plain.write_bytes(gzip.decompress(path.read_bytes()))
        path = plain

    ours = _sides(analyze_path(path))

    assert len(ours) >= 10
    assert _disagreements(ours, tshark_directions(path)) == []


def _flows(count: int = 12) -> list[FlowSpec]:
    return [
        FlowSpec(
            client=(f"10.0.1.{i + 1}", 40000 + i),
            segments=60,
            loss_rate=0.05,
            reorder_rate=0.03,
            dup_acks=i % 4,
            reset=i % 3 == 0,
            rtt_s=0.002 * (1 + i % 5),
            start_s=i * 0.0005,
            window=(65535, 0, 4000)[i % 3],
        )
        for i in range(count)
    ]


@pytest.mark.parametrize(("link", "snaplen"), [("ethernet", None), ("sll2-vxlan", None), ("sll2-vxlan", 128)])
def test_generated_capture_direction_counts_match_tshark(tmp_path: Path, link: str, snaplen: int | None) -> None:
    path = tmp_path / f"directions-{link}.pcap"
    write_capture(path, _flows(), link=link, seed=17, start_time=1_700_000_000.0, snaplen=snaplen)

    ours = _sides(analyze_path(path))

    assert sum(side.retransmissions for side in ours.values()) > 0
    assert sum(side.zero_windows for side in ours.values()) > 0
    assert _disagreements(ours, tshark_directions(path)) == []


def test_direction_counts_add_up_to_the_file_counts() -> None:
    result = analyze_path(CAPTURES / "synthetic/synthetic_tcp_events.pcap")

    for name in ("retransmissions", "duplicate_acks", "lost_segments", "resets", "syns", "fins", "zero_windows"):
        total = sum(getattr(flow.forward, name) + getattr(flow.reverse, name) for flow in result.flows)
        assert total == result.counts[name], name


def _one_flow(spec: FlowSpec, **kwargs):
    out = __import__("io").BytesIO()
    write_capture(out, [spec], seed=kwargs.get("seed", 3), start_time=1_700_000_000.0)
    out.seek(0)
    (flow,) = analyze_stream(out, name="one").flows
    return flow


def test_forward_is_the_opener_and_reverse_the_receiver_asking() -> None:
    flow = _one_flow(FlowSpec(client=("10.0.1.1", 40001), segments=40, mss=1000, dup_acks=5))

    assert (flow.src, flow.sport) == ("10.0.1.1", 40001)
    assert flow.forward.payload_bytes == 40 * 1000
    assert flow.reverse.payload_bytes == 0
    assert flow.reverse.duplicate_acks == 5 and flow.forward.duplicate_acks == 0
    assert flow.forward.data_segments == 40 + 2  # the data, the SYN and the FIN


def test_karn_rtt_leaves_retransmitted_segments_out() -> None:
    flow = _one_flow(FlowSpec(segments=400, loss_rate=0.05, rtt_s=0.004), seed=8)

    assert flow.forward.retransmissions > 0
    assert math.isclose(flow.forward.rtt_p99_s, 0.004, rel_tol=0.011)
    assert math.isclose(flow.forward.rtt.max, 0.004, abs_tol=2e-6)
    # Wireshark's ack RTT pairs the ACK after a retransmission with the first transmission
    assert flow.rtt.max > 2 * 0.004


def test_flow_json_carries_both_directions_with_their_rtt() -> None:
    flow = _one_flow(FlowSpec(segments=20, rtt_s=0.003))

    directions = flow.to_json()["directions"]

    assert set(directions) == {"forward", "reverse"}
    assert directions["forward"]["rtt_samples"] > 0
    assert math.isclose(directions["forward"]["rtt_p50_s"], 0.003, abs_tol=2e-6)
    assert directions["reverse"]["duplicate_acks"] == 0
    assert set(COMPARED) <= set(directions["forward"])
