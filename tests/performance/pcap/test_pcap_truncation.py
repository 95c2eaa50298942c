"""Truncated TCP options: every count of a truncated copy equals the full capture's (issue 15, point 1).

The traffic is real kernel TCP (the shared loopback capture: timestamps on every segment, SACK
under loss), re-framed as Ethernet and as a mirror target's SLL2 + VXLAN, over IPv4 and IPv6,
then cut inside the TCP options at several snap lengths. tshark 4.0.17 shows no analysis for
such packets; the full copies are checked against live tshark, the cut ones against the full.
"""

from __future__ import annotations

import io
from itertools import islice
from pathlib import Path

import pytest
from pcap_corpus import CAPTURES, run_tshark

from agents.performance.pcap import analyze_stream
from agents.performance.pcap.craft import reframe, write_pcap

SOURCE = CAPTURES / "loopback/loopback_loss2pct_full_99k.pcap.gz"
PACKETS = 10_000
# where the TCP header starts, per framing: Ethernet 14 or SLL2 + IPv4 + UDP + VXLAN + Ethernet 70; then IP
TCP_AT = {("ethernet", False): 34, ("ethernet", True): 54, ("sll2-vxlan", False): 90, ("sll2-vxlan", True): 110}
FRAMINGS = list(TCP_AT)
# options kept: none, 4 bytes (NOPs and half a timestamp), 10 bytes (cut inside the timestamp)
CUTS = (20, 24, 30)
# the per-direction figures that need the options themselves (said so in DirectionStats)
NEEDS_OPTIONS = {"max_in_flight", "options_cut", "window_scale", "max_window", "window_full"}


def _capture(link: str, ipv6: bool, snaplen: int | None) -> bytes:
    with open(SOURCE, "rb") as source:
        packets = list(islice(reframe(source, link=link, ipv6=ipv6, snaplen=snaplen), PACKETS))
    out = io.BytesIO()
    write_pcap(out, packets, linktype=276 if link == "sll2-vxlan" else 1)
    return out.getvalue()


def _analyse(data: bytes, name: str):
    return analyze_stream(io.BytesIO(data), name=name, deadline_s=None)


@pytest.fixture(scope="module")
def full() -> dict:
    return {framing: _analyse(_capture(*framing, None), "full") for framing in FRAMINGS}


def _directions(result) -> dict:
    return {
        (flow.key, side): {k: v for k, v in getattr(flow, side).to_json().items() if k not in NEEDS_OPTIONS}
        for flow in result.flows
        for side in ("forward", "reverse")
    }


@pytest.mark.parametrize("cut", CUTS)
@pytest.mark.parametrize("framing", FRAMINGS, ids=lambda f: f"{f[0]}-{'ipv6' if f[1] else 'ipv4'}")
def test_truncated_copy_counts_equal_the_full_capture(full: dict, framing: tuple, cut: int) -> None:
    snaplen = TCP_AT[framing] + cut

    truncated = _analyse(_capture(*framing, snaplen), f"cut-{snaplen}")
    whole = full[framing]

    assert truncated.error is None
    assert whole.counts["retransmissions"] > 100 and whole.counts["duplicate_acks"] > 50
    assert truncated.counts == whole.counts
    assert truncated.frames == whole.frames
    assert truncated.ack_rtt == whole.ack_rtt
    assert _directions(truncated) == _directions(whole)


@pytest.mark.parametrize("cut", [CUTS[0]])
def test_truncation_is_said_per_direction(full: dict, cut: int) -> None:
    framing = ("sll2-vxlan", True)

    truncated = _analyse(_capture(*framing, TCP_AT[framing] + cut), "cut")

    flow = truncated.flows[0]
    same = next(f for f in full[framing].flows if f.key == flow.key)
    assert flow.forward.options_cut == flow.forward.packets  # every segment carries timestamps
    assert flow.forward.window_scale is None  # the SYN's options were cut: unknown, not guessed
    assert same.forward.window_scale == 10  # what the SYN offered (the loopback's kernel)
    assert same.forward.max_window > flow.forward.max_window  # scaled where known, the bare field where not
    assert sum(f.forward.options_cut for f in full[framing].flows) == 0


@pytest.mark.parametrize("framing", FRAMINGS, ids=lambda f: f"{f[0]}-{'ipv6' if f[1] else 'ipv4'}")
def test_full_reframed_capture_matches_live_tshark(tmp_path: Path, full: dict, framing: tuple) -> None:
    path = tmp_path / "full.pcap"
    path.write_bytes(_capture(*framing, None))

    theirs = run_tshark(path)

    assert full[framing].frames == theirs["frames"]
    assert full[framing].counts["tcp_packets"] == theirs["tcp_packets"]


def test_tshark_4_0_shows_no_analysis_where_the_options_are_cut(tmp_path: Path, full: dict) -> None:
    framing = ("sll2-vxlan", False)
    path = tmp_path / "cut.pcap"
    path.write_bytes(_capture(*framing, TCP_AT[framing] + CUTS[1]))

    theirs = run_tshark(path)

    # the documented difference: tshark gives up on these packets, we keep the full capture's counts
    assert len(theirs["frames"]["duplicate_acks"]) < full[framing].counts["duplicate_acks"]
