"""Frames missing at the capture point: "ACKed segment that wasn't captured" (issue 15, point 2).

A crafted conversation: the server's second segment is missing from the capture and the client
ACKs past it; the client's next segment is lost after the capture point, the server asks for it
with three duplicate ACKs and the client retransmits 2 ms later. That retransmission is fast.
tshark 4.0.17 agrees there (live), and differs on purpose where no duplicate ACK asked for it.
"""

from __future__ import annotations

from pathlib import Path

from pcap_corpus import run_tshark

from agents.performance.pcap import analyze_path
from agents.performance.pcap.craft import ACK, PSH, SYN, tcp_packet, write_pcap

CLIENT, SERVER = ("10.0.0.1", 40000), ("10.0.0.2", 80)
T0 = 1_700_000_000.0


def _conversation(duplicate_acks: int) -> list:
    t = T0
    packets = [
        tcp_packet(t, CLIENT, SERVER, 1000, 0, SYN),
        tcp_packet(t + 0.010, SERVER, CLIENT, 5000, 1001, SYN | ACK),
        tcp_packet(t + 0.0101, CLIENT, SERVER, 1001, 5001),
        tcp_packet(t + 0.011, CLIENT, SERVER, 1001, 5001, ACK | PSH, payload=100),
        tcp_packet(t + 0.021, SERVER, CLIENT, 5001, 1101, ACK | PSH, payload=100),
        # the server's segment 5101..5201 is not in the capture; the client ACKs it
        tcp_packet(t + 0.032, CLIENT, SERVER, 1101, 5201, ACK | PSH, payload=100),  # lost after capture
        tcp_packet(t + 0.0321, CLIENT, SERVER, 1201, 5201, ACK | PSH, payload=100),
        tcp_packet(t + 0.0421, SERVER, CLIENT, 5201, 1101),  # asks for 1101 (and reveals the gap)
    ]
    t += 0.0421
    for _ in range(duplicate_acks):
        t += 0.0001
        packets.append(tcp_packet(t, SERVER, CLIENT, 5201, 1101))
    t += 0.002
    packets.append(tcp_packet(t, CLIENT, SERVER, 1101, 5201, ACK | PSH, payload=100))  # the retransmission
    packets.append(tcp_packet(t + 0.010, SERVER, CLIENT, 5201, 1301))
    return packets


def _write(tmp_path: Path, duplicate_acks: int) -> tuple[Path, int]:
    packets = _conversation(duplicate_acks)
    path = tmp_path / f"gap-{duplicate_acks}.pcap"
    with open(path, "wb") as out:
        write_pcap(out, packets)
    return path, len(packets) - 1  # the retransmission's frame number


def test_retransmission_after_three_duplicate_acks_past_an_unseen_segment_is_fast(tmp_path: Path) -> None:
    path, retransmission = _write(tmp_path, duplicate_acks=3)

    result = analyze_path(path)

    assert result.frames["fast_retransmissions"] == [retransmission]
    assert result.frames["retransmissions"] == [retransmission]
    assert result.frames["out_of_order"] == []
    assert result.frames["lost_segments"] == [8]  # the server's ACK after its unseen segment


def test_tshark_agrees_that_it_is_fast(tmp_path: Path) -> None:
    path, _ = _write(tmp_path, duplicate_acks=3)

    assert analyze_path(path).frames == run_tshark(path)["frames"]


def test_retransmission_with_no_duplicate_ack_is_not_fast_though_tshark_4_0_says_so(tmp_path: Path) -> None:
    path, retransmission = _write(tmp_path, duplicate_acks=0)

    ours, theirs = analyze_path(path), run_tshark(path)

    assert ours.frames["retransmissions"] == [retransmission]
    assert ours.frames["fast_retransmissions"] == []
    # tshark 4.0.17's unsigned duplicate-ACK count (-1 after the unseen ACK) reads as "many"
    assert theirs["frames"]["fast_retransmissions"] == [retransmission]
    assert {k: v for k, v in ours.frames.items() if k != "fast_retransmissions"} == {
        k: v for k, v in theirs["frames"].items() if k != "fast_retransmissions"
    }


def test_the_flow_record_puts_the_retransmission_and_the_asking_on_their_sides(tmp_path: Path) -> None:
    path, _ = _write(tmp_path, duplicate_acks=3)

    (flow,) = analyze_path(path).flows

    assert (flow.src, flow.sport) == CLIENT
    assert flow.forward.fast_retransmissions == 1 and flow.forward.duplicate_acks == 0
    assert flow.reverse.duplicate_acks == 3 and flow.reverse.lost_segments == 1
