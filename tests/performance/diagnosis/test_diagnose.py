"""A whole diagnosis over evidence built directly: scope, verdict, headline, findings and the plan offered."""

from __future__ import annotations

from datetime import UTC, datetime

from evidence_builders import APP, APP_IP, DB, clean_direction, context, flow, host

from agents.performance.answer import REMEDIATION_KIND, Answer, Remediation
from agents.performance.causes import Context
from agents.performance.diagnosis import Diagnosis, diagnose
from agents.performance.evidence import Evidence, FlowEvidence, Health, NfmNumbers
from agents.performance.question import read_question
from agents.performance.render import render_markdown
from agents.performance.tools.aws import AwsProblem
from agents.performance.tools.host_reads import HostRead
from agents.performance.tools.instances import InstancesReport
from agents.performance.tools.plan_script import PlannedChange, build_plan_script

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
LOSSY = clean_direction(retransmissions=150, fast_retransmissions=120)
STALLED = clean_direction(zero_windows=12, window_full=300, receiver_max_window=65_536)
GHOST = "i-0ccccccccccccccc3"


def evidence(*flows: FlowEvidence, health: float | None = 0, nfm_rows: int = 0) -> Evidence:
    found = Evidence(
        flows=list(flows),
        health=[Health("lab", health)],
        captures_analyzed=1 if any(f.forward or f.reverse for f in flows) else 0,
        captures_total=1,
        capture_location="s3://netops-captures/raw-captures/",
        monitors=1,
        nfm_rows=nfm_rows,
    )
    for f in flows:
        found.instance_ips.setdefault(APP, set()).add(f.client)
    return found


def run(
    question: str,
    found: Evidence,
    ctx: Context,
    *,
    not_found: tuple[str, ...] = (),
    problems: tuple[AwsProblem, ...] = (),
) -> Diagnosis:
    scope = read_question(question, now=NOW, default_region="us-east-1", default_window_minutes=30)
    instances = InstancesReport(found=dict(ctx.instances), not_found=list(not_found))
    return diagnose(scope, found, ctx=ctx, instances=instances, problems=list(problems), stack_name="netops-lab")


def read_db_with_small_buffers() -> HostRead:
    return host(DB, sysctl={"net.ipv4.tcp_rmem": "4096 16384 65536", "net.core.rmem_max": "65536"})


def test_loss_from_netem_on_the_sender_is_critical_and_the_plan_removes_exactly_that():
    result = run("why is the app slow?", evidence(flow(LOSSY)), context(host(APP, qdisc="netem loss 3%"), host(DB)))
    answer = result.answer
    assert (answer.status, answer.headline_severity) == ("critical", "critical")
    assert answer.headline == f"Packet loss on {APP_IP} → 10.0.2.20:5432: host changes recommended for {APP}."
    assert [(c["code"], c["host"], c["direction"]) for c in answer.causes] == [("path_loss", APP, "client_to_server")]
    rec = answer.recommendation
    assert rec.instance_id == APP and rec.cause == "path_loss"
    assert [
        (h["instance_id"], [(c["setting"], c["current"], c["proposed"]) for c in h["changes"]]) for h in rec.hosts
    ] == [(APP, [("qdisc", "netem loss 3%", "removed")])]
    assert rec.script == build_plan_script(APP, [PlannedChange("qdisc", "netem loss 3%", "removed")])
    assert result.plan is not None and result.plan.offerable


def test_the_evidence_finding_states_the_window_the_captures_and_the_denominators():
    answer = run("why is the app slow?", evidence(flow(LOSSY)), context(host(APP), host(DB))).answer
    [coverage] = [f for f in answer.findings if f.title.startswith("Evidence:")]
    assert coverage.title == "Evidence: last 30 minutes in us-east-1"
    assert "captures analyzed: 1 of 1 in s3://netops-captures/raw-captures/" in coverage.detail
    assert "flows in scope: 1, data segments: 7,500" in coverage.detail


def test_loss_on_a_host_that_could_not_be_read_gets_no_blind_change():
    unreadable = HostRead(APP, error="SSM does not manage this instance (no SSM agent or instance profile)")
    answer = run("why is the app slow?", evidence(flow(LOSSY)), context(unreadable, host(DB))).answer
    assert answer.status == "critical"
    assert answer.recommendation is None
    [cause] = answer.causes
    assert cause["code"] == "path_loss" and cause["host"] is None
    assert "the sending host could not be read, so a host cause is not ruled out" in cause["evidence_against"]


def test_a_clean_flow_is_ok_and_the_headline_names_the_worst_flow_checked():
    answer = run("why is the app slow?", evidence(flow()), context(host(APP), host(DB))).answer
    assert answer.status == "ok"
    assert answer.headline == (
        "No TCP or network problem found in the last 30 minutes; worst flow checked: "
        f"{APP_IP} → 10.0.2.20:5432, 0 of 5,000 data segments (0.0%), RTT p99 1.4 ms."
    )
    assert answer.recommendation is None


def test_a_sample_too_small_for_a_rate_is_unknown_never_ok():
    tiny = flow(clean_direction(data_segments=20), clean_direction("server_to_client", data_segments=10))
    answer = run("why is the app slow?", evidence(tiny), context(host(APP), host(DB))).answer
    assert (answer.status, answer.headline_severity) == ("unknown", "info")
    assert answer.headline.startswith("Unknown: not enough evidence in the last 30 minutes")
    assert answer.recommendation is None


def test_network_flow_monitor_alone_can_show_loss():
    nfm = NfmNumbers("lab", APP_IP, APP, retransmissions=400, timeouts=3, rtt_ms=1.0, bytes=14_480_000)
    only_nfm = FlowEvidence(client=APP_IP, server="10.0.2.20", server_port=5432, client_instance=APP, nfm=[nfm])
    answer = run("why is the app slow?", evidence(only_nfm, nfm_rows=1), context(host(APP), host(DB))).answer
    [finding] = [f for f in answer.findings if f.evidence.extra.get("cause") == "path_loss"]
    assert finding.evidence.source == "flow_monitor"
    assert finding.detail.startswith("Network Flow Monitor: about 4.0% retransmitted, 3 timeouts")


def test_aws_degraded_is_its_own_finding_and_no_host_change_is_offered_for_it():
    degraded = context(host(APP), host(DB), degraded=("lab",))
    answer = run("why is the app slow?", evidence(flow(), health=1), degraded).answer
    assert answer.causes[0]["code"] == "aws_network"
    [health] = [f for f in answer.findings if f.title.startswith("AWS network health indicator")]
    assert (health.title, health.severity) == ("AWS network health indicator: degraded for lab", "warning")
    assert answer.recommendation is None


def test_nothing_analyzed_is_unknown_and_says_what_was_missing_and_how_to_get_it():
    denied = AwsProblem("networkflowmonitor.list_monitors", "AccessDeniedException", "not authorized", "Grant it.")
    result = run("why is the app slow?", Evidence(), context(), problems=(denied,))
    assert not result.analyzed_anything
    assert result.answer.status == "unknown"
    assert result.answer.headline == (
        "Unknown: not enough evidence in the last 30 minutes (no capture bucket for us-east-1; no Network Flow "
        "Monitor monitor in us-east-1); ask about a longer window or check the mirror session and monitors."
    )
    [problem] = [f for f in result.answer.findings if f.evidence.source == "aws"]
    assert problem.title == "networkflowmonitor.list_monitors failed (AccessDeniedException)"
    assert problem.recommendation == "Grant it."


def test_an_instance_that_does_not_exist_is_said_plainly_and_no_other_flow_is_judged_in_its_place():
    answer = run(
        f"why is {GHOST} slow?", evidence(flow(LOSSY)), context(host(APP), host(DB)), not_found=(GHOST,)
    ).answer
    assert answer.status == "unknown"
    assert answer.headline == f"Unknown: {GHOST} not found, so there is nothing to judge in the last 30 minutes."
    assert f"Instance {GHOST} was not found in us-east-1" in [f.title for f in answer.findings]
    assert answer.scope["not_found"] == [{"kind": "instance", "value": GHOST}]
    assert answer.recommendation is None


def test_asked_whether_loss_is_the_cause_the_answer_starts_with_yes_and_the_number():
    answer = run(
        "is packet loss the cause?", evidence(flow(LOSSY)), context(host(APP, qdisc="netem loss 3%"), host(DB))
    ).answer
    assert answer.headline == (
        "Yes: packet loss is the most likely cause (150 of 5,000 data segments retransmitted (3.0%) from 10.0.1.10)."
    )


def test_asked_whether_loss_is_the_cause_when_it_is_not_the_answer_says_no_and_names_the_cause():
    answer = run(
        "is packet loss the cause?", evidence(flow(STALLED)), context(host(APP), read_db_with_small_buffers())
    ).answer
    assert answer.headline == "No: the evidence shows no packet loss; the likely cause is the receiver's window."
    assert answer.recommendation.instance_id == DB


def test_a_korean_question_gets_a_korean_answer_with_the_same_numbers():
    answer = run("앱이 왜 느려?", evidence(flow(LOSSY)), context(host(APP, qdisc="netem loss 3%"), host(DB))).answer
    assert answer.language == "ko"
    assert answer.headline == f"{APP_IP} → 10.0.2.20:5432에서 패킷 손실: {APP}에 호스트 변경을 권장합니다."
    assert answer.recommendation.changes == [f"{APP}의 qdisc: netem loss 3% → 제거"]


def test_markdown_lists_each_recommended_change_from_current_to_proposed_with_why():
    result = run("is packet loss the cause?", evidence(flow(STALLED)), context(host(APP), read_db_with_small_buffers()))
    text = render_markdown(result.answer)
    assert f"**Recommended changes on `{DB}`** (need an approval):" in text
    assert f"- net.ipv4.tcp_rmem on {DB}: 4096 16384 65536 → 4096 16384 4194304" in text
    assert f"- net.core.rmem_max on {DB}: 65536 → 4194304" in text
    assert "bandwidth-delay product" in text


def test_markdown_of_a_verified_fix_shows_before_and_after() -> None:
    remediation = Remediation(
        APP, "cmd-1", "Success", True, before={"net.core.rmem_max": "212992"}, after={"net.core.rmem_max": "4194304"}
    )
    text = render_markdown(Answer(REMEDIATION_KIND, "ok", f"The plan was applied to {APP}.", remediation=remediation))
    assert "| net.core.rmem_max | 212992 | 4194304 |" in text
    assert f"**Fix on `{APP}`: Success, verified**" in text
    assert "\n\n\n" not in text


def test_markdown_of_a_refusal_is_just_the_reason() -> None:
    remediation = Remediation(APP, None, "Refused", False, error="Refused: the approval has expired.")
    text = render_markdown(
        Answer(REMEDIATION_KIND, "warning", "Refused: the approval has expired.", remediation=remediation)
    )
    assert text == "🟠 **Refused: the approval has expired.**\n"
