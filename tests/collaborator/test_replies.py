"""When an ask-back is read together with the reply, and when the last answer is used. Pure."""

from __future__ import annotations

from diagnosis_fixture import DIAGNOSIS

from agents.collaborator.replies import read_reply
from agents.collaborator.store import CLARIFYING_TTL_S, LAST_ANSWER_TTL_S, Conversation

T0 = 1_800_000_000.0


def asked_back(question: str) -> Conversation:
    return Conversation(clarifying=question, clarifying_at=T0)


def answered() -> Conversation:
    return Conversation(last_answer=DIAGNOSIS, last_agent="http://perf.test", answered_at=T0)


def test_a_fragment_is_read_together_with_the_question_asked_back() -> None:
    reading = read_reply("we see retransmissions", asked_back("something is wrong"), T0 + 30, routes_alone=bool)
    assert reading.text == "something is wrong\nwe see retransmissions"
    assert reading.read_together == "something is wrong"


def test_a_reply_that_does_not_route_alone_is_read_together_even_as_a_question() -> None:
    def routes(text: str) -> bool:
        return "\n" in text  # only the two together

    reading = read_reply("between app and db?", asked_back("is it slow"), T0 + 30, routes_alone=routes)
    assert reading.read_together == "is it slow"


def test_a_reply_that_routes_neither_alone_nor_together_is_read_alone() -> None:
    reading = read_reply("hi", asked_back("is port 443 blocked?"), T0 + 30, routes_alone=lambda _: False)
    assert reading.text == "hi" and reading.read_together is None


def test_a_question_of_its_own_that_routes_alone_drops_the_question_asked_back() -> None:
    reading = read_reply("is port 443 blocked?", asked_back("hello"), T0 + 30, routes_alone=lambda _: True)
    assert reading.text == "is port 443 blocked?" and reading.read_together is None


def test_an_ask_back_older_than_its_lifetime_is_not_read_with_the_reply() -> None:
    late = T0 + CLARIFYING_TTL_S + 1
    reading = read_reply("we see retransmissions", asked_back("something is wrong"), late, routes_alone=bool)
    assert reading.read_together is None


def test_a_question_about_the_last_answer_gets_its_topic() -> None:
    reading = read_reply("which instance exactly?", answered(), T0 + 60, routes_alone=bool)
    assert reading.topic == "instance" and reading.last_agent == "http://perf.test"


def test_a_reply_asking_again_carries_the_scope() -> None:
    reading = read_reply("and the last 5 minutes?", answered(), T0 + 60, routes_alone=bool)
    assert reading.topic is None and reading.scope["window_minutes"] == 5


def test_an_answer_older_than_its_lifetime_is_not_used() -> None:
    reading = read_reply("which instance exactly?", answered(), T0 + LAST_ANSWER_TTL_S + 1, routes_alone=bool)
    assert reading.topic is None and reading.scope is None and reading.last_agent is None
