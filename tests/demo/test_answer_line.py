"""The `--json` line of one answer: v2 keys as the agent sent them, v1 answers read honestly."""

from __future__ import annotations

from agents.demo.answer_line import answer_line, legacy_change, parse_flow_label, routed_to
from bot.collaborator import Final
from bot.trace_view import StepView, TraceView

FLOW = "10.0.1.10:40000 → 10.0.2.20:5432 (VNI 4242)"


def _final(data: dict | None, *, text: str = "", needs_input: bool = False, failed: bool = False) -> Final:
    return Final(text=text, data=data, context_id="ctx", task_id="task", needs_input=needs_input, failed=failed)


def _trace(*names: tuple[str, str]) -> TraceView:
    steps = tuple(StepView(f"s{i}", None, name, call_type) for i, (name, call_type) in enumerate(names))
    return TraceView("trace-1", len(steps), 812.34, 1200, 0.0042, True, "$0.0042", steps=steps)


V1_CRITICAL = {
    "kind": "netops.diagnosis/v1",
    "headline": {"severity": "critical", "text": "3.0% of segments retransmitted"},
    "findings": [
        {"severity": "critical", "title": "t", "evidence": {"flow": FLOW, "instance_id": "i-app"}},
        {"severity": "ok", "title": "healthy", "evidence": {"flow": "10.0.1.10:40001 → 10.0.2.20:6379"}},
    ],
    "recommendation": {
        "action": "fix_retransmissions",
        "instance_id": "i-app",
        "changes": [
            "net.core.rmem_max → 134217728 (if lower)",
            "net.ipv4.tcp_rmem maximum → 134217728 (if lower)",
            "remove the root netem qdisc on the primary interface, if present",
        ],
    },
}

V2 = {
    "kind": "netops.diagnosis/v1",
    "status": "warning",
    "language": "ko",
    "headline": {"severity": "warning", "text": "수신 버퍼가 작습니다"},
    "causes": [{"code": "receiver_window_limited"}, {"code": "path_loss"}],
    "flows": [
        {
            "flow": FLOW,
            "src": "10.0.1.10",
            "dst": "10.0.2.20",
            "sport": 40000.0,
            "dport": 5432.0,
            "direction": "server_to_client",
            "instance_id": "i-db",
        }
    ],
    "instances": ["i-db", "i-app"],
    "recommendation": {
        "instance_id": "i-db",
        "cause": "receiver_window_limited",
        "hosts": [
            {
                "instance_id": "i-db",
                "role": "receiver",
                "changes": [
                    {"setting": "net.ipv4.tcp_rmem", "current": "4096 131072 212992", "proposed": "4096 131072 6291456"}
                ],
            }
        ],
    },
}


def test_the_v2_keys_are_taken_as_the_agent_sent_them() -> None:
    line = answer_line("q", _final(V2), None)
    assert line["status"] == "warning"
    assert line["causes"] == ["receiver_window_limited", "path_loss"]
    assert line["flows"][0] == {
        "flow": FLOW,
        "src": "10.0.1.10",
        "dst": "10.0.2.20",
        "sport": 40000,
        "dport": 5432,
        "direction": "server_to_client",
        "instance_id": "i-db",
    }
    assert line["instances"] == ["i-db", "i-app"]
    assert line["language"] == "ko"
    assert line["recommendation"]["hosts"][0]["changes"] == [
        {"setting": "net.ipv4.tcp_rmem", "current": "4096 131072 212992", "proposed": "4096 131072 6291456"}
    ]
    assert line["derived"] == []


def test_a_v1_answer_takes_its_status_from_the_headline_and_says_what_was_derived() -> None:
    line = answer_line("why?", _final(V1_CRITICAL), None)
    assert line["status"] == "critical"
    assert line["causes"] == []
    assert line["derived"] == ["status", "causes", "flows", "instances", "language", "recommendation"]


def test_an_info_headline_is_an_unknown_status_not_an_all_clear() -> None:
    data = {"headline": {"severity": "info", "text": "No captures found"}}
    assert answer_line("q", _final(data), None)["status"] == "unknown"


def test_v1_flows_and_instances_come_from_the_troubled_findings_only() -> None:
    line = answer_line("q", _final(V1_CRITICAL), None)
    assert [(f["src"], f["dst"], f["dport"], f["direction"]) for f in line["flows"]] == [
        ("10.0.1.10", "10.0.2.20", 5432, None)
    ]
    assert line["instances"] == ["i-app"]


def test_v1_planned_changes_become_settings_without_a_current_value() -> None:
    hosts = answer_line("q", _final(V1_CRITICAL), None)["recommendation"]["hosts"]
    assert hosts == [
        {
            "instance_id": "i-app",
            "role": None,
            "changes": [
                {"setting": "net.core.rmem_max", "current": None, "proposed": "134217728"},
                {"setting": "net.ipv4.tcp_rmem", "current": None, "proposed": "134217728"},
                {"setting": "qdisc", "current": None, "proposed": None},
            ],
        }
    ]


def test_a_change_in_no_known_shape_keeps_its_text_as_the_setting() -> None:
    assert legacy_change("reboot the instance")["setting"] == "reboot the instance"


def test_the_language_of_a_v1_answer_is_that_of_its_headline() -> None:
    data = {"headline": {"severity": "ok", "text": "No TCP problem found"}}
    line = answer_line("app과 db 사이 괜찮아?", _final(data), None)
    assert line["language"] == "en"  # a Korean question answered in English: the eval's language fact sees it


def test_a_fix_result_lists_each_setting_before_and_after() -> None:
    data = {
        "kind": "netops.remediation/v1",
        "headline": {"severity": "ok", "text": "applied"},
        "remediation": {
            "instance_id": "i-app",
            "status": "Success",
            "verified": True,
            "before": {"net.core.rmem_max": "212992", "qdisc": "netem loss 3%"},
            "after": {"net.core.rmem_max": "134217728", "qdisc": "mq"},
        },
    }
    result = answer_line("apply TCP fixes to i-app", _final(data), None)["fix_result"]
    assert result["verified"] is True
    assert result["changes"] == [
        {"setting": "net.core.rmem_max", "before": "212992", "after": "134217728"},
        {"setting": "qdisc", "before": "netem loss 3%", "after": "mq"},
    ]


def test_a_diagnosis_has_no_fix_result() -> None:
    assert answer_line("q", _final(V1_CRITICAL), None)["fix_result"] is None


def test_an_ask_back_is_flagged_and_routed_to_no_agent() -> None:
    trace = _trace(("netops bot: question", "HOST"), ("call collaborator", "AGENT"), ("select agent", "TOOL"))
    line = answer_line("hmm", _final(None, text="Which do you mean: …", needs_input=True), trace)
    assert (line["asked_back"], line["routed_to"], line["status"]) == (True, None, "unknown")
    assert line["headline"] == "Which do you mean: …"


def test_routed_to_is_the_agent_the_collaborator_called() -> None:
    trace = _trace(
        ("call collaborator", "AGENT"), ("NetOps_Collaborator", "AGENT"), ("call Performance_Agent", "AGENT")
    )
    assert routed_to(trace) == "Performance_Agent"


def test_the_trace_summary_carries_steps_latency_tokens_and_cost() -> None:
    line = answer_line("q", _final(V2), _trace(("call Performance_Agent", "AGENT")))
    assert line["trace"] == {"steps": 1, "latency_ms": 812.3, "tokens": 1200, "cost_usd": 0.0042}


def test_an_exchange_that_failed_is_an_unknown_answer_with_its_error() -> None:
    line = answer_line("q", None, None, error="The collaborator at http://x is not reachable.")
    assert (line["status"], line["error"], line["kind"]) == (
        "unknown",
        "The collaborator at http://x is not reachable.",
        None,
    )
    assert line["trace"] == {"steps": 0, "latency_ms": None, "tokens": 0, "cost_usd": None}


def test_a_turn_that_ended_failed_with_an_answer_reports_its_headline_as_the_error() -> None:
    data = {"headline": {"severity": "critical", "text": "Nothing could be analyzed: AccessDenied"}}
    assert answer_line("q", _final(data, failed=True), None)["error"] == "Nothing could be analyzed: AccessDenied"


def test_flow_labels_parse_with_or_without_the_client_port() -> None:
    assert parse_flow_label("10.0.1.10 → 10.0.2.20:5432") == {
        "flow": "10.0.1.10 → 10.0.2.20:5432",
        "src": "10.0.1.10",
        "dst": "10.0.2.20",
        "sport": None,
        "dport": 5432,
    }
    assert parse_flow_label("not a flow") is None
