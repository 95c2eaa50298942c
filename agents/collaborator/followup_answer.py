"""The collaborator's own answer to a question about the last answer, from that answer alone. Pure.

"Which instance?", "why did you recommend window scaling?", "what was the RTT?" are answered
from the diagnosis data part the thread's last answer carried (CONTRACTS.md sections 3 and 9),
so no AWS call is made and nothing new is measured. The answer is a markdown text part plus a
`netops.followup/v1` data part, which the bot renders like any answer (it has no recommendation,
so no second approval button appears).
"""

from __future__ import annotations

from typing import Any

from agents.i18n import tr

FOLLOWUP_KIND = "netops.followup/v1"


def _dicts(value: object) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _evidence(answer: dict[str, Any]) -> list[dict[str, Any]]:
    return [f["evidence"] for f in _dicts(answer.get("findings")) if isinstance(f.get("evidence"), dict)]


def _instances(answer: dict[str, Any]) -> list[str]:
    found = [str(i) for i in answer.get("instances") or []]
    found += [str(flow["instance_id"]) for flow in _dicts(answer.get("flows")) if flow.get("instance_id")]
    found += [str(e["instance_id"]) for e in _evidence(answer) if e.get("instance_id")]
    recommendation = answer.get("recommendation") if isinstance(answer.get("recommendation"), dict) else {}
    if recommendation.get("instance_id"):
        found.append(str(recommendation["instance_id"]))
    return list(dict.fromkeys(found))


def _flows(answer: dict[str, Any]) -> list[str]:
    found = [str(flow["flow"]) for flow in _dicts(answer.get("flows")) if flow.get("flow")]
    found += [str(e["flow"]) for e in _evidence(answer) if e.get("flow")]
    return list(dict.fromkeys(found))


def _number(value: object) -> str:
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def _instance_text(language: str, answer: dict[str, Any]) -> str:
    instances, flows = _instances(answer), _flows(answer)
    if not instances:
        return tr(language, "The last answer named no instance.")
    text = tr(
        language, "The last answer was about instance {instances}.", instances=", ".join(f"`{i}`" for i in instances)
    )
    if flows:
        text += " " + tr(language, "Flow: {flow}.", flow=f"`{flows[0]}`")
    return text


def _flow_text(language: str, answer: dict[str, Any]) -> str:
    flows = _flows(answer)
    if not flows:
        return tr(language, "The last answer named no flow.")
    return tr(language, "The last answer was about {flows}.", flows=", ".join(f"`{flow}`" for flow in flows))


def _change_lines(recommendation: dict[str, Any]) -> list[str]:
    lines = []
    for host in _dicts(recommendation.get("hosts")):
        for change in _dicts(host.get("changes")):
            why = f" ({change['why']})" if change.get("why") else ""
            lines.append(
                f"• `{host.get('instance_id', '?')}` `{change.get('setting', '?')}`: "
                f"{change.get('current', '?')} → {change.get('proposed', '?')}{why}"
            )
    if not lines:
        lines = [f"• {change}" for change in recommendation.get("changes") or []]
    return lines


def _recommendation_text(language: str, answer: dict[str, Any]) -> str:
    recommendation = answer.get("recommendation") if isinstance(answer.get("recommendation"), dict) else None
    if not recommendation:
        return tr(language, "The last answer recommended no change.")
    reason = recommendation.get("rationale") or recommendation.get("summary")
    if reason:
        text = tr(language, "Why this was recommended: {rationale}", rationale=reason)
    else:
        text = tr(language, "The last answer recorded no reason with its recommendation.")
    return "\n".join([text, *_change_lines(recommendation)])


def _rtt_text(language: str, answer: dict[str, Any]) -> str:
    for evidence in _evidence(answer):
        if evidence.get("rtt_p50_ms") is not None or evidence.get("rtt_p99_ms") is not None:
            return tr(
                language,
                "RTT on {flow} in the last answer: p50 {p50} ms, p99 {p99} ms.",
                flow=f"`{evidence.get('flow', '?')}`",
                p50=_number(evidence.get("rtt_p50_ms", "?")),
                p99=_number(evidence.get("rtt_p99_ms", "?")),
            )
    return tr(language, "The last answer measured no RTT.")


def _loss_text(language: str, answer: dict[str, Any]) -> str:
    for evidence in _evidence(answer):
        rate = evidence.get("retransmission_rate")
        if isinstance(rate, int | float):
            return tr(
                language,
                "Retransmissions on {flow} in the last answer: {percent} % of data segments.",
                flow=f"`{evidence.get('flow', '?')}`",
                percent=f"{rate * 100:.1f}",
            )
    return tr(language, "The last answer measured no retransmission rate.")


def _window_text(language: str, answer: dict[str, Any]) -> str:
    scope = answer.get("scope") if isinstance(answer.get("scope"), dict) else {}
    window = scope.get("window") if isinstance(scope.get("window"), dict) else {}
    if not window and not scope.get("region"):
        return tr(language, "The last answer did not say which window or region it used.")
    return tr(
        language,
        "The last answer looked at {window} in {region}.",
        window=window.get("label") or f"{_number(window.get('minutes', '?'))} min",
        region=scope.get("region") or "?",
    )


TOPICS = {
    "instance": _instance_text,
    "flow": _flow_text,
    "recommendation": _recommendation_text,
    "rtt": _rtt_text,
    "loss": _loss_text,
    "window": _window_text,
}


def followup_answer(language: str, topic: str, answer: dict[str, Any], question: str) -> tuple[str, dict[str, Any]]:
    """(markdown text, data part) answering `question` about `answer` on `topic`."""
    body = TOPICS[topic](language, answer)
    note = tr(language, "Answered from the last answer in this thread; nothing was measured again.")
    headline, _, rest = body.partition("\n")
    data = {
        "kind": FOLLOWUP_KIND,
        "topic": topic,
        "language": language,
        "question": question,
        "headline": {"severity": "info", "text": headline},
        "findings": [{"severity": "info", "title": note, "detail": rest}],
        "scope": answer.get("scope") if isinstance(answer.get("scope"), dict) else None,
        "instances": _instances(answer),  # what the last answer named, the one at fault first
        "flows": _dicts(answer.get("flows")),
        "note": note,
    }
    return f"{body}\n\n_{note}_", data
