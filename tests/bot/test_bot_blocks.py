"""Block Kit builders: pure functions, compared as data; Slack's limits never exceeded."""

from __future__ import annotations

from bot.answer import parse_answer
from bot.blocks.approval import ApprovalState, confirm_dialog
from bot.blocks.ids import ACTION_APPLY, ACTION_VIEW_TRACE
from bot.blocks.limits import MAX_MESSAGE_BLOCKS, MAX_SECTION_TEXT, shorten, split_text
from bot.blocks.result import evidence_text, result_blocks
from bot.blocks.trace import trace_modal, trace_summary_line
from bot.trace_view import StepView, TraceView


def _trace(**overrides) -> TraceView:  # type: ignore[no-untyped-def]
    values = {
        "trace_id": "trace-4f3a9c1e-0000",
        "step_count": 7,
        "latency_ms": 2400.0,
        "total_tokens": 3120,
        "total_cost_usd": 0.0142,
        "has_model_calls": True,
        "cost_label": "$0.0142",
        "failing_step": None,
        "failing_error": None,
        "slowest_step": "query_flow_monitor",
        "slowest_ms": 1900.0,
    }
    return TraceView(**(values | overrides))


def _answer(findings: int = 1, detail: str = "loss", recommendation: bool = True):  # type: ignore[no-untyped-def]
    return parse_answer(
        {
            "kind": "netops.diagnosis/v1",
            "headline": {"severity": "warning", "text": "Retransmissions are high."},
            "findings": [
                {"severity": "warning", "title": f"Finding {i}", "detail": detail, "evidence": {}}
                for i in range(findings)
            ],
            "recommendation": {
                "action": "fix_retransmissions",
                "instance_id": "i-0abc1234def567890",
                "stack_name": "netops-lab",
                "changes": ["net.core.rmem_max → 134217728"],
                "script": "sysctl -w net.core.rmem_max=134217728",
                "summary": "Raise receive buffers",
            }
            if recommendation
            else None,
        }
    )


def test_trace_line_has_id_steps_latency_tokens_cost_and_slowest_step() -> None:
    assert (
        trace_summary_line(_trace())
        == "trace 4f3a… · 7 steps · 2.4 s · 3,120 tokens · $0.0142 · slowest: query_flow_monitor 1.9 s"
    )


def test_trace_line_names_the_failing_step_instead_of_the_slowest() -> None:
    line = trace_summary_line(
        _trace(failing_step="analyze_traffic_mirroring_logs", failing_error="AccessDenied on s3://captures/")
    )
    assert line.endswith("failing step: analyze_traffic_mirroring_logs: AccessDenied on s3://captures/")


def test_trace_line_counts_one_step_and_one_token_in_the_singular() -> None:
    assert trace_summary_line(_trace(step_count=1, total_tokens=1)).startswith(
        "trace 4f3a… · 1 step · 2.4 s · 1 token · "
    )


def test_trace_line_says_no_model_calls_rather_than_zero_tokens() -> None:
    line = trace_summary_line(_trace(has_model_calls=False, total_tokens=0, cost_label="no model calls"))
    assert "no model calls" in line and "tokens" not in line


def test_sixty_findings_fit_in_fifty_blocks_keeping_buttons_and_trace() -> None:
    blocks = result_blocks(_answer(findings=60), _trace(), "r" * 24, approval_id="a" * 24)
    assert len(blocks) == MAX_MESSAGE_BLOCKS
    assert any("left out to fit Slack's limit" in str(b) for b in blocks)
    assert blocks[-2]["elements"][0]["action_id"] == ACTION_VIEW_TRACE
    assert blocks[-1]["elements"][0]["type"] == "feedback_buttons"  # (alarms branch) feedback closes every answer
    assert any(b.get("block_id") == "approval" for b in blocks[-6:])


def test_a_long_finding_is_split_into_sections_under_3000_characters() -> None:
    blocks = result_blocks(_answer(detail="word " * 2000), _trace(), "r" * 24)
    sections = [b for b in blocks if b["type"] == "section"]
    assert all(len(b["text"]["text"]) <= MAX_SECTION_TEXT for b in sections)
    assert sum(b["text"]["text"].count("word") for b in sections) == 2000


def test_confirm_dialog_names_instance_and_changes_within_slack_limits() -> None:
    rec = _answer().recommendation
    assert confirm_dialog(rec)["text"]["text"] == "On i-0abc1234def567890: net.core.rmem_max → 134217728"
    many = type(rec)(**{**rec.__dict__, "changes": tuple(f"sysctl change number {i}" for i in range(40))})
    text = confirm_dialog(many)["text"]["text"]
    assert len(text) <= 300
    assert text.startswith("On i-0abc1234def567890: sysctl change number 0; sysctl change number 1;")
    shown = text.count("sysctl change number")
    assert text.endswith(f"; +{40 - shown} more (listed in the message)")


def test_evidence_with_only_a_source_says_where_it_came_from() -> None:
    assert evidence_text({"source": "traffic_mirroring"}) == "from traffic mirroring"


def test_apply_button_carries_only_the_approval_id() -> None:
    blocks = result_blocks(_answer(), _trace(), "r" * 24, approval_id="opaque-approval-id-1234")
    button = next(e for b in blocks if b["type"] == "actions" for e in b["elements"] if e["action_id"] == ACTION_APPLY)
    assert button["value"] == "opaque-approval-id-1234"
    assert button["style"] == "primary" and set(button["confirm"]) == {"title", "text", "confirm", "deny", "style"}


def test_a_decided_approval_replaces_the_buttons() -> None:
    blocks = result_blocks(_answer(), _trace(), "r" * 24, "a" * 24, ApprovalState("approved", "UAPPROVE1"))
    assert not any(b.get("block_id") == "approval" for b in blocks)
    assert "Approved by <@UAPPROVE1>: applying…" in str(blocks)


def test_evidence_reads_with_units_and_source() -> None:
    evidence = {
        "flow": "a → b",
        "retransmission_rate": 0.031,
        "rtt_p50_ms": 1.2,
        "rtt_p99_ms": 210.0,
        "source": "flow_monitor",
    }
    assert evidence_text(evidence) == "flow `a → b`, retransmissions 3.1 %, RTT p50 1.2 ms / p99 210 ms (flow monitor)"


def test_modal_lists_steps_as_a_tree_parents_first() -> None:
    steps = (
        StepView("s3", "s2", "query_flow_monitor", "TOOL", 1900.0, None, None, None),
        StepView("s1", None, "netops bot: question", "HOST", 2400.0),
        StepView("s2", "s1", "call collaborator", "AGENT", 2300.0, 0.0142, 3120, "boom"),
    )
    modal = trace_modal(_trace(steps=steps))
    text = modal["blocks"][2]["text"]["text"]
    lines = text.splitlines()
    assert lines[0].startswith("*netops bot: question* (host, 2.4 s)")
    assert lines[1].startswith("    └ *call collaborator* (agent, 2.3 s, $0.0142, 3,120 tokens)")
    assert ":x: boom" in lines[2]
    assert lines[3].startswith("        └ *query_flow_monitor* (tool, 1.9 s)")


def test_text_only_answers_show_their_first_line_as_headline() -> None:
    answer = parse_answer(None, "# Nothing unusual\nAll flows healthy.")
    assert answer.headline == "Nothing unusual" and answer.severity == "info"


def test_unknown_severity_and_missing_fields_degrade_instead_of_failing() -> None:
    answer = parse_answer({"headline": {"severity": "apocalyptic"}, "findings": [{"evidence": None}]})
    assert answer.severity == "info" and answer.findings[0].title == "Finding" and answer.recommendation is None


def test_shorten_and_split_respect_their_limits() -> None:
    short = shorten("a" * 100, 30)
    assert len(short) == 30 and short.endswith("… (shortened)")
    assert shorten("fits", 30) == "fits"
    assert [len(piece) for piece in split_text("a" * 7000, 3000)] == [3000, 3000, 1000]


def test_an_aws_failure_finding_names_the_call_and_its_error_code() -> None:
    evidence = {"source": "aws", "operation": "GetObject", "code": "AccessDenied", "bucket": "captures"}
    assert evidence_text(evidence) == "AWS call `GetObject` failed with `AccessDenied`, bucket captures (aws)"


def test_a_missing_rtt_percentile_is_left_out_not_printed_as_none() -> None:
    assert evidence_text({"rtt_p50_ms": 4.9, "rtt_p99_ms": None}) == "RTT p50 4.9 ms"


def test_the_earlier_question_read_with_this_one_is_said_under_the_headline() -> None:
    answer = parse_answer({"headline": {"severity": "ok", "text": "No loss."}, "language": "ko"})
    blocks = result_blocks(answer, None, "r1", read_together="뭔가 이상해")
    assert blocks[1] == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": "앞선 질문과 함께 읽었습니다: 뭔가 이상해"}],
    }
