"""No mrkdwn injection: text NetOps did not write shows as text, never as a mention, a ping or a link."""

from __future__ import annotations

from bot_fake_slack import block_text
from bot_harness import Harness

from bot.answer import parse_answer
from bot.blocks.approval import ApprovalState, approval_state_block
from bot.blocks.ask import error_blocks, question_root, working_blocks
from bot.blocks.limits import split_text
from bot.blocks.mrkdwn import escape, mention, safe_cut, unescape
from bot.blocks.result import result_blocks, result_fallback
from bot.blocks.trace import trace_modal, trace_summary_line
from bot.console import render_text
from bot.trace_view import StepView, TraceView

HOSTILE = "<!channel> <@U123> <https://evil.example|click to approve> & co"


def _markup_free(text: str) -> bool:
    """No `<` or `>` survives (Slack markup needs them) and every `&` starts an entity."""
    return "<!" not in text and "<@U123>" not in text and "<https://" not in text and "& co" not in text


def _mrkdwn_texts(node: object) -> str:
    """Every mrkdwn text anywhere in some Block Kit (plain_text, e.g. the confirm dialog, is never parsed)."""
    if isinstance(node, dict):
        own = [node["text"]] if node.get("type") == "mrkdwn" else []
        return "\n".join(own + [_mrkdwn_texts(value) for value in node.values()])
    if isinstance(node, list):
        return "\n".join(_mrkdwn_texts(item) for item in node)
    return ""


def test_escape_replaces_exactly_the_three_characters_slack_asks_for() -> None:
    assert escape("a & b < c > d * _ ~ `") == "a &amp; b &lt; c &gt; d * _ ~ `"


def test_unescape_gives_back_what_was_escaped() -> None:
    assert unescape(escape(HOSTILE)) == HOSTILE


def test_a_cut_never_ends_inside_an_entity() -> None:
    assert safe_cut("ab&amp;cd", 5) == "ab"
    assert safe_cut("ab&amp;cd", 7) == "ab&amp;"


def test_mention_of_something_that_is_not_a_user_id_is_plain_text() -> None:
    assert mention("U0ABC123") == "<@U0ABC123>"
    assert mention("U1> <!channel") == "U1&gt; &lt;!channel"


def test_the_question_root_shows_a_hostile_question_as_text() -> None:
    text = block_text(question_root("UASKER01", HOSTILE))
    assert text.startswith("<@UASKER01> asked: ") and _markup_free(text)


def test_agent_progress_and_errors_are_escaped() -> None:
    assert _markup_free(block_text(working_blocks(HOSTILE)))
    assert _markup_free(block_text(error_blocks(HOSTILE, HOSTILE)))


def test_every_agent_text_of_a_result_is_escaped() -> None:
    answer = parse_answer(
        {
            "kind": "netops.diagnosis/v1",
            "headline": {"severity": "warning", "text": HOSTILE},
            "findings": [
                {
                    "severity": "warning",
                    "title": HOSTILE,
                    "detail": HOSTILE,
                    "evidence": {"flow": HOSTILE, "source": HOSTILE, HOSTILE: HOSTILE},
                    "recommendation": HOSTILE,
                }
            ],
            "recommendation": {
                "action": "fix_retransmissions",
                "instance_id": "i-0abc1234def567890",
                "stack_name": "netops-lab",
                "changes": [HOSTILE],
                "summary": HOSTILE,
            },
            "remediation": {
                "instance_id": "i-0abc1234def567890",
                "command_id": HOSTILE,
                "status": HOSTILE,
                "before": {HOSTILE: HOSTILE},
                "after": {},
                "skipped": [HOSTILE],
                "error": HOSTILE,
            },
        }
    )
    blocks = result_blocks(answer, None, "r" * 16, "a" * 16)
    assert _markup_free(_mrkdwn_texts(blocks))
    assert _markup_free(result_fallback(answer))


def test_a_text_only_answer_is_escaped() -> None:
    assert _markup_free(block_text(result_blocks(parse_answer(None, HOSTILE), None, "r" * 16)))


def test_trace_step_names_and_errors_are_escaped() -> None:
    step = StepView(step_id="s1", parent_step_id=None, name=HOSTILE, call_type="TOOL", latency_ms=1.0, error=HOSTILE)
    trace = TraceView(
        trace_id="trace-1",
        step_count=1,
        latency_ms=1.0,
        total_tokens=0,
        total_cost_usd=0.0,
        has_model_calls=False,
        cost_label="no model calls",
        failing_step=HOSTILE,
        failing_error=HOSTILE,
        slowest_step=None,
        slowest_ms=None,
        steps=(step,),
    )
    assert _markup_free(trace_summary_line(trace))
    assert _markup_free(_mrkdwn_texts(trace_modal(trace)))


def test_a_dismiss_reason_is_escaped_and_the_decider_is_a_mention() -> None:
    text = block_text([approval_state_block(ApprovalState("dismissed", "UAPPROVE1", HOSTILE))])
    assert "<@UAPPROVE1>" in text and _markup_free(text)


def test_split_text_never_emits_an_empty_section() -> None:
    pieces = split_text("a" * 2999 + "\n\n")
    assert pieces == ["a" * 2999]
    assert all(piece.strip() for piece in split_text("x\n\n\n" * 2000))


def test_split_text_does_not_cut_an_entity_in_two() -> None:
    pieces = split_text("a" * 2998 + escape("<b"), 3000)
    assert pieces == ["a" * 2998, "&lt;b"]


def test_the_console_shows_escaped_text_as_the_operator_typed_it() -> None:
    assert render_text(escape(HOSTILE)) == HOSTILE


async def test_a_hostile_slash_command_question_is_posted_as_text_in_the_thread_root(harness: Harness) -> None:
    assert (await harness.command(HOSTILE)).status_code == 200
    root = await harness.slack.wait_for(
        lambda s: next((c for c in s.of("chat.postMessage") if not c.args.get("thread_ts")), None)
    )
    assert _markup_free(block_text(root.args["blocks"])) and _markup_free(root.args["text"])
