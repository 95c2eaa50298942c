"""The collaborator's ask-back: one sentence in the asker's language saying what is unclear.

It says what is unclear (no symptom named, two agents fit, or a topic no agent here handles,
and then what would), what the agents can do (from the tags their skills declare, translated),
and an example to copy. Scores and stems stay out of it: they go into the trace. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence

from a2a.types import AgentCard

from agents.collaborator.topics import Topic, out_of_scope_sentence
from agents.i18n import N_, tr

# What a skill tag says an agent can do, in words an operator reads; first match per skill wins.
CAPABILITIES: tuple[tuple[str, str], ...] = (
    ("tcp-analysis", N_("why traffic is slow or lossy (TCP retransmissions, resets, RTT from packet captures)")),
    ("network-monitoring", N_("flow health and the worst flows (Network Flow Monitor)")),
    ("cloudwatch-metrics", N_("network metrics in CloudWatch")),
    ("remediation", N_("approved TCP fixes")),
    ("reachability", N_("whether one resource can reach another (security groups, network ACLs, routes)")),
    ("security-groups", N_("whether one resource can reach another (security groups, network ACLs, routes)")),
    ("dns", N_("why a name does not resolve (DNS)")),
)
NO_SYMPTOM = N_("the question names no symptom or resource the agents look at")


def agent_capabilities(language: str, card: AgentCard) -> str:
    """ "Performance_Agent: why traffic is slow …, approved TCP fixes" (skill names when no tag is known)."""
    phrases: list[str] = []
    for skill in card.skills:
        tags = {tag.lower() for tag in skill.tags}
        phrase = next((tr(language, text) for tag, text in CAPABILITIES if tag in tags), skill.name)
        if phrase not in phrases:
            phrases.append(phrase)
    return f"{card.name}: " + ", ".join(phrases)


def _first_example(cards: Sequence[AgentCard]) -> str | None:
    return next((skill.examples[0] for card in cards for skill in card.skills if skill.examples), None)


def ask_back(
    language: str, cards: Sequence[AgentCard], *, tie: tuple[str, str] | None = None, topics: Sequence[Topic] = ()
) -> str:
    """The whole ask-back: what is unclear (or out of scope, and what would help), what the agents can do."""
    cards = sorted(cards, key=lambda card: card.name)
    can = "; ".join(agent_capabilities(language, card) for card in cards)
    example = _first_example(cards)
    if topics:
        text = (
            out_of_scope_sentence(language, topics) + " " + tr(language, "The agents here can do this: {can}.", can=can)
        )
    else:
        if tie is not None:
            unclear = tr(language, "it fits {first} and {second} equally well", first=tie[0], second=tie[1])
        else:
            unclear = tr(language, NO_SYMPTOM)
        text = tr(
            language,
            "I can't tell which agent should take this: {unclear}. The agents can do this: {can}.",
            unclear=unclear,
            can=can,
        )
    if example:
        text += " " + tr(language, 'Ask again with more detail, for example: "{example}"', example=example)
    return text
