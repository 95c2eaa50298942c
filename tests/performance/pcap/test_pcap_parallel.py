"""Several files on all cores (`analyze_paths`): the same answers as one by one, in the order given."""

from __future__ import annotations

from pathlib import Path

from pcap_corpus import CAPTURES

from agents.performance.pcap import analyze_path
from agents.performance.pcap.parallel import analyze_paths

FILES = [
    CAPTURES / "synthetic/synthetic_tcp_events.pcap",
    CAPTURES / "synthetic/synthetic_tcp_events_vxlan_sll2.pcap",
    CAPTURES / "loopback/loopback_loss2pct_full_99k.pcap.gz",
]


def test_files_analysed_in_worker_processes_answer_as_analysed_here(tmp_path: Path) -> None:
    missing = tmp_path / "gone.pcap"
    paths = [*FILES, missing]

    parallel = analyze_paths(paths, deadline_s=None, workers=2)

    assert [r.file for r in parallel] == [str(p) for p in paths]
    for ours, here in zip(parallel, (analyze_path(p, deadline_s=None) for p in paths), strict=True):
        assert ours.to_json() == here.to_json()
    assert parallel[-1].error == "no such file"


def test_a_single_file_needs_no_worker_process() -> None:
    (result,) = analyze_paths(FILES[:1], workers=1)

    assert result.counts["retransmissions"] == 3
