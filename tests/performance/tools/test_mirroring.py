"""Traffic-mirroring tool against moto (EC2, S3) with real captures and the real analyzer."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from perf_harness import BUCKET, CAPTURES, SYNTHETIC_VXLAN, capture_key

from agents.performance.pcap import analyze_stream, kernel
from agents.performance.pcap.parallel import usable_cores
from agents.performance.tools.mirroring import analyze_traffic_mirroring_logs, capture_time
from agents.traceability import start_trace

LOOPBACK = CAPTURES / "loopback" / "loopback_loss2pct_full_99k.pcap.gz"


def _put(aws: Any, key: str, body: bytes) -> None:
    aws("s3").put_object(Bucket=BUCKET, Key=key, Body=body)


def _run(aws: Any, lab: Any, **kwargs: Any):
    return analyze_traffic_mirroring_logs(aws("ec2"), aws("s3"), s3_bucket_name=BUCKET, now=lab.now, **kwargs)


def test_mirroring_setup_is_described_and_flows_are_named_by_instance(aws, lab) -> None:
    report = _run(aws, lab)
    [session] = report.sessions
    assert session["vni"] == 1234
    assert session["source_instance"] == lab.client_instance
    flow = next(f for f in report.flows if f.sport == 40000)
    assert (flow.src_instance_id, flow.dst_instance_id) == (lab.client_instance, lab.db_instance)
    assert flow.instance_id == lab.client_instance  # the mirrored end
    assert report.counts["retransmissions"] == 3  # as tshark counts this capture
    assert report.problems == []


def test_the_file_cap_says_how_much_was_analyzed_newest_first(aws, lab) -> None:
    for minutes in (10, 15):
        _put(aws, capture_key(lab.sensor_instance, lab.now - timedelta(minutes=minutes)), SYNTHETIC_VXLAN.read_bytes())
    report = _run(aws, lab, max_files=2)
    assert report.files_total == 3
    assert report.files_analyzed == 2
    assert report.cap_note.startswith("analyzed 2 of 3 files (")
    assert report.flows[0].packets > 0


def test_the_byte_budget_caps_the_analysis(aws, lab) -> None:
    report = _run(aws, lab, byte_budget=1000)
    assert report.files_analyzed == 0
    assert report.cap_note.startswith("analyzed 0 of 1 file (")


def test_captures_outside_the_window_are_not_analyzed(aws, lab) -> None:
    _put(aws, capture_key(lab.sensor_instance, lab.now - timedelta(days=3)), SYNTHETIC_VXLAN.read_bytes())
    _put(aws, capture_key(lab.sensor_instance, lab.now + timedelta(minutes=20)), SYNTHETIC_VXLAN.read_bytes())
    assert _run(aws, lab).files_total == 1


def test_a_gzipped_capture_is_streamed_not_read_whole(aws, lab) -> None:
    body = LOOPBACK.read_bytes()
    _put(aws, capture_key(lab.sensor_instance, lab.now - timedelta(minutes=2)).replace(".pcap", ".pcap.gz"), body)
    with start_trace() as tracer:
        report = _run(aws, lab, target_instance_id=lab.sensor_instance)
    assert report.files_analyzed == 2
    assert report.counts["tcp_packets"] == 99041 + 39
    [loopback] = [
        s for s in tracer.trace().steps if s.name == "s3.analyze_capture" and s.parameters["bytes"] == len(body)
    ]
    assert 0 < loopback.additional_attributes["largest_read"] < len(body) / 2


def test_an_unreadable_capture_is_an_error_and_the_others_still_count(aws, lab) -> None:
    _put(aws, capture_key(lab.sensor_instance, lab.now - timedelta(minutes=1)), b"this is not a pcap at all" * 10)
    report = _run(aws, lab)
    assert report.files_analyzed == 2
    assert len(report.file_errors) == 1
    assert report.counts["tcp_packets"] == 39


def test_another_instances_folder_is_not_listed(aws, lab) -> None:
    report = _run(aws, lab, target_instance_id=lab.db_instance)
    assert report.files_total == 0


def test_a_missing_bucket_is_a_problem_with_advice(aws, lab) -> None:
    report = analyze_traffic_mirroring_logs(aws("ec2"), aws("s3"), s3_bucket_name="no-such-bucket", now=lab.now)
    [problem] = report.problems
    assert problem.code == "NoSuchBucket"
    assert "NETOPS_CAPTURE_BUCKET" in problem.advice


def test_an_invalid_bucket_name_never_reaches_aws(aws, lab) -> None:
    report = analyze_traffic_mirroring_logs(aws("ec2"), aws("s3"), s3_bucket_name="../etc/passwd", now=lab.now)
    assert [p.code for p in report.problems] == ["InvalidBucketName"]
    assert report.sessions == []


def test_capture_time_is_read_from_the_rotated_key() -> None:
    key = "raw-captures/year=2026/month=11/day=23/instance-i-1/capture-20261123-101500.pcap.gz"
    assert capture_time(key) == datetime(2026, 11, 23, 10, 15, tzinfo=UTC)
    assert capture_time("raw-captures/other.pcap") is None


def test_a_questions_captures_are_analyzed_at_once_and_reported_in_file_order(aws, lab, monkeypatch) -> None:
    for minutes in (3, 6, 9):
        key = capture_key(lab.sensor_instance, lab.now - timedelta(minutes=minutes)).replace(".pcap", ".pcap.gz")
        _put(aws, key, LOOPBACK.read_bytes())
    threads: set[str] = set()

    def analyze(stream, **options):  # the real analyzer, noting which thread ran it
        threads.add(threading.current_thread().name)
        return analyze_stream(stream, **options)

    at_once = _run(aws, lab, analyze=analyze)
    monkeypatch.setenv(kernel.ENV, "python")  # without the compiled kernel: one file at a time
    one_by_one = _run(aws, lab)

    assert at_once.files_analyzed == 4
    assert at_once.to_dict() == one_by_one.to_dict()
    assert len({name for name in threads if name.startswith("mirroring-pcap")}) == min(4, usable_cores())
