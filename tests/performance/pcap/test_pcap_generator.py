"""The capture generator: deterministic, controlled events, and tshark agrees with our analysis.

These are the live comparisons with tshark (CI installs it): generated captures with loss,
reordering, resets and duplicate ACKs, on Ethernet and on SLL2/VXLAN with truncated frames.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pcap_corpus import run_tshark

from agents.performance.pcap import analyze_path, analyze_stream
from agents.performance.pcap.generator import FlowSpec, write_capture


def _flows(count: int = 24, **overrides) -> list[FlowSpec]:
    specs = []
    for i in range(count):
        fields = {
            "client": (f"10.0.1.{i % 200 + 1}", 40000 + i),
            "server": ("10.0.2.20", 5432),
            "segments": 40,
            "loss_rate": 0.05,
            "reorder_rate": 0.03,
            "reset": i % 3 == 0,
            "dup_acks": i % 4,
            "rtt_s": 0.002 * (1 + i % 5),
            "start_s": i * 0.0005,
        }
        fields.update(overrides)
        specs.append(FlowSpec(**fields))
    return specs


def test_same_seed_writes_the_same_bytes() -> None:
    first, second = io.BytesIO(), io.BytesIO()

    write_capture(first, _flows(), link="ethernet", seed=11, start_time=1_700_000_000.0)
    write_capture(second, _flows(), link="ethernet", seed=11, start_time=1_700_000_000.0)

    assert first.getvalue() == second.getvalue()


def test_another_seed_writes_another_capture() -> None:
    first, second = io.BytesIO(), io.BytesIO()

    write_capture(first, _flows(), link="ethernet", seed=11, start_time=1_700_000_000.0)
    write_capture(second, _flows(), link="ethernet", seed=12, start_time=1_700_000_000.0)

    assert first.getvalue() != second.getvalue()


def test_written_packet_count_is_what_the_file_holds() -> None:
    out = io.BytesIO()
    written = write_capture(out, _flows(4, loss_rate=0.0, reorder_rate=0.0), seed=1, start_time=1.0)
    out.seek(0)

    result = analyze_stream(out, name="generated")

    assert written == result.packets == result.counts["tcp_packets"]


def test_clean_flows_have_no_retransmissions_and_every_flow_is_a_stream() -> None:
    out = io.BytesIO()
    write_capture(out, _flows(6, loss_rate=0.0, reorder_rate=0.0, reset=False, dup_acks=0), seed=3, start_time=1.0)
    out.seek(0)

    result = analyze_stream(out, name="clean")

    assert result.counts["retransmissions"] == 0
    assert result.counts["duplicate_acks"] == 0
    assert result.counts["streams"] == 6
    assert result.counts["syns"] == 12 and result.counts["fins"] == 12


def test_loss_shows_up_as_retransmissions_on_the_lossy_flow_only() -> None:
    lossy = FlowSpec(client=("10.0.1.1", 40001), segments=200, loss_rate=0.1)
    clean = FlowSpec(client=("10.0.1.2", 40002), segments=200)
    out = io.BytesIO()
    write_capture(out, [lossy, clean], seed=5, start_time=1.0)
    out.seek(0)

    result = analyze_stream(out, name="loss")

    by_client = {flow.src: flow for flow in result.flows}
    assert by_client["10.0.1.1"].retransmissions > 0
    assert by_client["10.0.1.2"].retransmissions == 0
    assert result.flows[0].src == "10.0.1.1"


def test_reset_flows_end_with_one_rst_each() -> None:
    out = io.BytesIO()
    write_capture(out, _flows(5, reset=True, loss_rate=0.0, reorder_rate=0.0), seed=2, start_time=1.0)
    out.seek(0)

    result = analyze_stream(out, name="resets")

    assert result.counts["resets"] == 5
    assert all(flow.resets == 1 for flow in result.flows)


def test_extra_duplicate_acks_are_counted() -> None:
    out = io.BytesIO()
    spec = FlowSpec(segments=30, dup_acks=7)
    write_capture(out, [spec], seed=2, start_time=1.0)
    out.seek(0)

    assert analyze_stream(out, name="dups").counts["duplicate_acks"] == 7


def test_flow_spec_rejects_a_loss_rate_outside_zero_to_one() -> None:
    with pytest.raises(ValueError, match="loss_rate"):
        FlowSpec(loss_rate=1.5)


@pytest.mark.parametrize(
    ("link", "snaplen"),
    [("ethernet", None), ("ethernet", 80), ("sll2-vxlan", None), ("sll2-vxlan", 128)],
)
def test_generated_capture_matches_live_tshark_frame_for_frame(tmp_path: Path, link: str, snaplen: int | None) -> None:
    path = tmp_path / f"generated-{link}.pcap"
    write_capture(path, _flows(), link=link, seed=7, start_time=1_700_000_000.0, snaplen=snaplen)

    ours = analyze_path(path)
    theirs = run_tshark(path)

    assert ours.error is None
    assert ours.counts["tcp_packets"] == theirs["tcp_packets"]
    assert ours.frames == theirs["frames"]
    assert ours.counts["retransmissions"] > 0 and ours.counts["out_of_order"] > 0
    assert ours.ack_rtt["count"] == len(theirs["rtts"])
    assert math.isclose(ours.ack_rtt["mean_s"], sum(theirs["rtts"]) / len(theirs["rtts"]), rel_tol=1e-6)


def test_truncated_frames_keep_their_true_segment_length(tmp_path: Path) -> None:
    full, cut = tmp_path / "full.pcap", tmp_path / "cut.pcap"
    write_capture(full, _flows(3), link="sll2-vxlan", seed=9, start_time=1.0)
    write_capture(cut, _flows(3), link="sll2-vxlan", seed=9, start_time=1.0, snaplen=128)

    whole, truncated = analyze_path(full), analyze_path(cut)

    assert cut.stat().st_size < full.stat().st_size / 4
    assert truncated.counts == whole.counts
    assert [f.bytes for f in truncated.flows] == [f.bytes for f in whole.flows]


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 2**32),
    loss=st.floats(0.0, 0.3),
    reorder=st.floats(0.0, 0.3),
    rtt_ms=st.floats(0.2, 50.0),
    burst=st.integers(1, 40),
    link=st.sampled_from(["ethernet", "sll2-vxlan"]),
)
def test_random_generated_captures_match_live_tshark(
    tmp_path: Path, seed: int, loss: float, reorder: float, rtt_ms: float, burst: int, link: str
) -> None:
    flows = [
        FlowSpec(
            client=(f"10.0.1.{i + 1}", 41000 + i),
            segments=60,
            loss_rate=loss,
            reorder_rate=reorder,
            rtt_s=rtt_ms / 1000 * (1 + i),
            burst=burst,
            dup_acks=i,
            reset=i == 1,
            start_s=i * 0.001,
        )
        for i in range(3)
    ]
    path = tmp_path / f"random-{seed}.pcap"
    write_capture(path, flows, link=link, seed=seed, start_time=1_700_000_000.0)

    ours, theirs = analyze_path(path), run_tshark(path)

    assert ours.frames == theirs["frames"]
    assert ours.ack_rtt["count"] == len(theirs["rtts"])
