"""Diagnosis rules over tool reports (pure): thresholds, when a fix is recommended, AWS health apart."""

from __future__ import annotations

from datetime import UTC, datetime

from agents.performance.answer import REMEDIATION_KIND, Answer, Remediation
from agents.performance.diagnosis import RETRANSMISSION_WARNING, diagnose
from agents.performance.render import render_markdown
from agents.performance.tools.aws import AwsProblem
from agents.performance.tools.flow_monitor import FlowContributor, FlowMonitorReport, MonitorMetrics, TimeWindow
from agents.performance.tools.mirroring import MirroredFlow, MirroringReport

WINDOW = TimeWindow.last(30, now=datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
INSTANCE = "i-0123456789abcdef0"


def _flow(rate: float, *, instance: str | None = INSTANCE, packets: int = 1000) -> MirroredFlow:
    return MirroredFlow(
        flow="10.0.1.10:40000 → 10.0.2.20:5432",
        src="10.0.1.10",
        dst="10.0.2.20",
        sport=40000,
        dport=5432,
        vni=1234,
        packets=packets,
        bytes=packets * 1500,
        retransmissions=int(rate * packets),
        retransmission_rate=rate,
        rtt_p50_ms=1.0,
        rtt_p99_ms=210.0,
        resets=0,
        src_instance_id=instance,
        instance_id=instance,
    )


def _mirroring(*flows: MirroredFlow) -> MirroringReport:
    return MirroringReport(
        bucket="b",
        prefix="raw-captures/",
        window=WINDOW,
        files_total=1,
        files_analyzed=1,
        flows=list(flows),
        counts={"tcp_packets": 1000, "retransmissions": 30},
    )


def test_a_lossy_flow_on_a_known_instance_gets_a_critical_finding_and_a_fix() -> None:
    result = diagnose(None, _mirroring(_flow(0.03)), stack_name="netops-lab", persist=False)
    answer = result.answer
    assert answer.headline_severity == "critical"
    assert answer.findings[0].evidence.retransmission_rate == 0.03
    assert answer.recommendation.instance_id == INSTANCE
    assert answer.findings[0].recommendation == f"Apply the TCP fixes to {INSTANCE} (approval needed)."


def test_a_lossy_flow_without_an_instance_gets_no_fix_but_says_how_to_get_one() -> None:
    answer = diagnose(None, _mirroring(_flow(0.03, instance=None)), stack_name=None, persist=False).answer
    assert answer.recommendation is None
    assert "name the instance" in answer.findings[0].recommendation


def test_a_rate_below_the_threshold_is_reported_ok_without_a_fix() -> None:
    answer = diagnose(None, _mirroring(_flow(RETRANSMISSION_WARNING / 2)), stack_name=None, persist=False).answer
    assert answer.recommendation is None
    assert answer.headline_severity == "ok"
    assert answer.findings[0].severity == "ok"
    assert answer.findings[0].evidence.to_dict() == {
        "source": "traffic_mirroring",
        "captures": 1,
        "tcp_packets": 1000,
        "retransmissions": 30,
    }


def test_a_tiny_flow_is_not_judged_by_its_rate() -> None:
    answer = diagnose(None, _mirroring(_flow(0.25, packets=4)), stack_name=None, persist=False).answer
    assert answer.recommendation is None


def test_nfm_timeouts_on_a_known_instance_recommend_a_fix() -> None:
    report = FlowMonitorReport(
        region="us-east-1",
        account_id="1",
        window=WINDOW,
        contributors=[
            FlowContributor(
                monitor="lab",
                destination_category="INTRA_AZ",
                local_ip="10.0.1.10",
                local_instance_id=INSTANCE,
                remote_ip="10.0.2.20",
                target_port=5432,
                timeouts=5,
                retransmissions=3,
                bytes=1_000_000,
                rtt_ms=2.0,
            )
        ],
    )
    answer = diagnose(report, None, stack_name=None, persist=False).answer
    assert answer.recommendation.instance_id == INSTANCE
    assert answer.findings[0].evidence.source == "flow_monitor"


def test_aws_health_indicator_is_its_own_finding_and_not_a_reason_to_tune_tcp() -> None:
    report = FlowMonitorReport(
        region="us-east-1",
        account_id="1",
        window=WINDOW,
        metrics=[MonitorMetrics(monitor="lab", dimensions=[], values={"HealthIndicator": 1})],
    )
    answer = diagnose(report, None, stack_name=None, persist=False).answer
    [health] = answer.findings
    assert health.title == "AWS network health indicator for monitor lab: degraded"
    assert "AWS Health Dashboard" in health.recommendation
    assert answer.recommendation is None


def test_nothing_analyzed_is_said_in_the_headline() -> None:
    report = FlowMonitorReport(
        region="us-east-1",
        account_id=None,
        window=WINDOW,
        problems=[AwsProblem("networkflowmonitor.list_monitors", "AccessDeniedException", "no", "Grant it.")],
    )
    result = diagnose(report, None, stack_name=None, persist=False)
    assert not result.analyzed_anything
    assert result.answer.headline.startswith("Nothing could be analyzed")
    assert result.answer.findings[0].recommendation == "Grant it."


def test_markdown_shows_headline_findings_and_the_recommended_changes() -> None:
    answer = diagnose(None, _mirroring(_flow(0.03)), stack_name="netops-lab", persist=False).answer
    text = render_markdown(answer)
    assert text.splitlines()[0].startswith("🔴 **3.0% of segments retransmitted")
    assert f"**Recommended fix for `{INSTANCE}`** (needs an approval):" in text
    assert "- net.core.rmem_max → 134217728 (if lower)" in text


def test_markdown_of_a_verified_fix_shows_before_and_after() -> None:
    remediation = Remediation(
        INSTANCE,
        "cmd-1",
        "Success",
        True,
        before={"net.core.rmem_max": "212992"},
        after={"net.core.rmem_max": "134217728"},
        skipped=["net.ipv4.tcp_wmem"],
    )
    text = render_markdown(Answer(REMEDIATION_KIND, "ok", f"TCP fixes applied to {INSTANCE}.", remediation=remediation))
    assert "| net.core.rmem_max | 212992 | 134217728 |" in text
    assert "Skipped (not on this kernel): net.ipv4.tcp_wmem" in text
    assert "\n\n\n" not in text


def test_markdown_of_a_refusal_is_just_the_reason() -> None:
    remediation = Remediation(INSTANCE, None, "Refused", False, error="Refused: the approval has expired.")
    text = render_markdown(
        Answer(REMEDIATION_KIND, "warning", "Refused: the approval has expired.", remediation=remediation)
    )
    assert text == "🟠 **Refused: the approval has expired.**\n"


def _healthy_monitor(*contributors: FlowContributor) -> FlowMonitorReport:
    metrics = [MonitorMetrics(monitor="lab", dimensions=[], values={"HealthIndicator": 0})]
    return FlowMonitorReport(
        region="us-east-1", account_id="1", window=WINDOW, metrics=metrics, contributors=list(contributors)
    )


def _contributor(*, retransmissions: float, timeouts: float) -> FlowContributor:
    return FlowContributor(
        monitor="lab",
        destination_category="INTER_AZ",
        local_ip="10.0.1.10",
        local_instance_id=INSTANCE,
        remote_ip="10.0.2.20",
        target_port=5432,
        retransmissions=retransmissions,
        timeouts=timeouts,
        bytes=1448 * 10_000,
        rtt_ms=0.9,
    )


def test_a_healthy_aws_indicator_beside_our_retransmissions_says_which_is_which() -> None:
    answer = diagnose(_healthy_monitor(), _mirroring(_flow(0.03)), stack_name=None, persist=False).answer
    [health] = [f for f in answer.findings if f.evidence.source == "cloudwatch"]
    assert health.detail == (
        "AWS reports no problem in its own network for this monitor (HealthIndicator = 0); our analysis: "
        f"3.0% of segments retransmitted on 10.0.1.10:40000 → 10.0.2.20:5432 on {INSTANCE}, "
        "so look at the hosts, not at AWS's network."
    )


def test_a_healthy_aws_indicator_with_healthy_flows_says_neither_found_a_problem() -> None:
    answer = diagnose(_healthy_monitor(), _mirroring(_flow(0.001)), stack_name=None, persist=False).answer
    [health] = [f for f in answer.findings if f.evidence.source == "cloudwatch"]
    assert health.detail.endswith("(HealthIndicator = 0), and our analysis of the flows finds none either.")


def test_a_healthy_answer_names_the_worst_mirrored_flow_it_checked() -> None:
    answer = diagnose(None, _mirroring(_flow(0.004)), stack_name=None, persist=False).answer
    assert answer.headline == (
        "No TCP or network problem found in the evidence analyzed; worst flow checked: "
        "10.0.1.10:40000 → 10.0.2.20:5432 with 0.4% retransmitted, RTT p99 210.0 ms."
    )
    assert answer.findings[0].detail.endswith(
        "; worst: 10.0.1.10:40000 → 10.0.2.20:5432 with 0.4% retransmitted, RTT p99 210.0 ms."
    )


def test_a_healthy_monitor_only_answer_names_the_worst_contributor_it_checked() -> None:
    report = _healthy_monitor(_contributor(retransmissions=1, timeouts=0))
    answer = diagnose(report, None, stack_name=None, persist=False).answer
    assert answer.headline == (
        "No TCP or network problem found in the evidence analyzed; worst flow checked: 10.0.1.10 → 10.0.2.20:5432 "
        "with ~0.0% retransmissions, 0 timeouts, RTT 0.9 ms (Network Flow Monitor)."
    )
    [ok] = [f for f in answer.findings if f.severity == "ok"]
    assert ok.title == "No flow with a problem among Network Flow Monitor's top contributors"
    assert ok.detail.startswith("1 flow checked; worst: 10.0.1.10 → 10.0.2.20:5432")


def test_counts_of_one_read_in_the_singular() -> None:
    one = _flow(0.1, packets=10)
    one.retransmissions, one.resets = 1, 1
    report = _mirroring(one)
    report.counts = {"tcp_packets": 1, "retransmissions": 1}
    report.file_errors = [{"key": "k", "error": "truncated"}]
    answer = diagnose(
        _healthy_monitor(_contributor(retransmissions=1, timeouts=1)), report, stack_name=None, persist=False
    ).answer
    details = {f.title: f.detail for f in answer.findings}
    assert details[f"10.0% of segments retransmitted on {one.flow} on {INSTANCE}"] == (
        "1 retransmission in 10 packets, RTT p99 210 ms, 1 reset, from 1 mirrored capture."
    )
    assert "1 capture could not be read" in details
    nfm = next(d for t, d in details.items() if t.startswith("Network Flow Monitor:"))
    assert nfm.startswith("1 retransmission, 1 timeout, RTT 0.9 ms")


def test_a_healthy_mirrored_finding_counts_one_capture_and_one_flow_in_the_singular() -> None:
    report = _mirroring(_flow(0.0))
    report.counts = {"tcp_packets": 3006, "retransmissions": 0}
    [finding] = diagnose(None, report, stack_name=None, persist=False).answer.findings
    assert finding.detail.startswith("1 capture, 3006 TCP packets, 0 retransmissions in 1 flow; worst: ")
