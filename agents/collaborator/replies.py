"""How the collaborator reads a message in a conversation that already has an ask-back or an answer. Pure.

- An ask-back's question is combined with the reply only when the reply answers it: the reply
  came within `CLARIFYING_TTL_S`, either does not route on its own or is not a question of its
  own, and the two together route ("we see retransmissions" completes "something is wrong"; "is
  port 443 blocked?" does not, and neither does "hi"). Otherwise the earlier question is dropped,
  so nothing leaks into an unrelated question.
- A reply that asks about the last answer is answered from it (`topic`); any other reply carries
  the last answer's scope (`scope`, for `metadata["netops"]["scope"]`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agents.collaborator.followups import about_last_answer, carried_scope
from agents.collaborator.store import Conversation

_QUESTION = re.compile(
    r"\?|^\s*(?:why|what|how|is|are|can|could|does|do|did|which|where|when|who|should)\b|왜|뭐|무엇|어떤|어느|어디|얼마|나요|인가|습니까",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Reading:
    text: str  # what to route and send
    read_together: str | None = None  # the earlier question the reply was combined with
    topic: str | None = None  # answer from the last answer about this, without asking an agent
    scope: dict[str, Any] | None = None  # the scope carried from the last answer
    last_agent: str | None = None  # the URL of the agent that gave the last answer


def is_own_question(text: str) -> bool:
    """Whether a text is a question in its own right rather than a fragment answering ours."""
    return bool(_QUESTION.search(text))


def read_reply(text: str, conversation: Conversation, now: float, *, routes_alone: Callable[[str], bool]) -> Reading:
    """How to take `text`, given what the conversation holds at `now` (epoch seconds)."""
    earlier = conversation.open_question(now)
    together = f"{earlier}\n{text}"
    if earlier and (not routes_alone(text) or not is_own_question(text)) and routes_alone(together):
        return Reading(together, read_together=earlier)
    answer = conversation.recent_answer(now)
    if answer is None:
        return Reading(text)
    topic = about_last_answer(text)
    if topic is not None:
        return Reading(text, topic=topic, last_agent=conversation.last_agent)
    return Reading(text, scope=carried_scope(text, answer), last_agent=conversation.last_agent)
