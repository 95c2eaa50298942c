"""Which agent answers a question, with a score and the reasons a person can check.

Pure: cards in, a `Decision` out. Each skill of each card is one document (name,
description, tags, examples); a skill scores
    BM25(question, skill text) + TAG_WEIGHT × matched tags + INTENT_WEIGHT × intents served,
and an agent scores as its best skill. The collaborator asks back (INPUT_REQUIRED) rather than
guess when the best score is under the threshold or a second agent is within the tie ratio.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from a2a.types import AgentCard

from agents.collaborator.askback import ask_back
from agents.collaborator.intents import matched_intents
from agents.collaborator.korean import DEFAULT_TOKENIZER
from agents.collaborator.text import terms, tokens
from agents.collaborator.topics import unserved_topics
from agents.i18n import detect_language

REMEDIATION_TAG = "remediation"
K1 = 1.2
B = 0.75
TAG_WEIGHT = 1.5
INTENT_WEIGHT = 1.5


@dataclass(frozen=True)
class Agent:
    """A discovered agent: where it is and its checked card."""

    url: str
    card: AgentCard

    @property
    def name(self) -> str:
        return self.card.name


@dataclass(frozen=True)
class Candidate:
    """One agent's best skill for the question, and what earned its score."""

    agent: Agent
    skill_id: str
    skill_name: str
    score: float
    bm25: float
    matched_words: tuple[str, ...]
    matched_tags: tuple[str, ...]
    intents: tuple[str, ...]

    def reasons(self) -> list[str]:
        """Why this skill scored, in words (empty when nothing matched)."""
        out = []
        if self.matched_tags:
            out.append("matched tags " + ", ".join(self.matched_tags))
        if self.intents:
            out.append("intent " + ", ".join(self.intents))
        if self.matched_words:
            out.append(f"words {', '.join(self.matched_words)} (BM25 {self.bm25:.2f})")
        return out


@dataclass(frozen=True)
class Decision:
    """A pick, or no pick and a clarifying question; `candidates` best first, one per agent."""

    pick: Candidate | None
    candidates: tuple[Candidate, ...]
    reason: str
    clarification: str | None = None
    failure: str | None = None
    notes: tuple[str, ...] = field(default=())
    topics: tuple[str, ...] = field(default=())  # unserved topics the question is about (out of scope)

    def explain(self) -> str:
        """One line for people and traces: the pick and why, or why there is none."""
        notes = "".join(f" [{note}]" for note in self.notes)
        if self.pick is None:
            return self.reason + notes
        why = "; ".join(self.pick.reasons()) or "no term matched"
        return f"{self.pick.agent.name} ({self.pick.skill_id}, score {self.pick.score:.2f}): {why}{notes}"


@dataclass(frozen=True)
class _Doc:
    agent: Agent
    skill_id: str
    skill_name: str
    tags: tuple[str, ...]
    terms: Counter[str]
    length: int
    tag_words: tuple[tuple[str, frozenset[str]], ...]


@dataclass(frozen=True)
class _Index:
    docs: list[_Doc]
    df: Counter[str]
    avg_len: float
    agents: tuple[Agent, ...]  # holds the cards, so the ids in the cache key stay theirs


_INDEXES: dict[tuple, _Index] = {}


def _index(agents: Sequence[Agent], required_tag: str | None) -> _Index:
    """The skill documents of these cards, built once per set of cards (cards are immutable here)."""
    key = (required_tag, *((a.url, id(a.card)) for a in agents))
    index = _INDEXES.get(key)
    if index is None:
        docs = _documents(agents, required_tag)
        avg_len = (sum(d.length for d in docs) / len(docs) or 1.0) if docs else 1.0
        index = _Index(docs, Counter(t for d in docs for t in set(d.terms)), avg_len, tuple(agents))
        if len(_INDEXES) >= 64:
            _INDEXES.clear()
        _INDEXES[key] = index
    return index


def _documents(agents: Sequence[Agent], required_tag: str | None) -> list[_Doc]:
    docs = []
    for agent in agents:
        for skill in agent.card.skills:
            tags = tuple(tag.lower() for tag in skill.tags)
            if required_tag and required_tag not in tags:
                continue
            text = " ".join([skill.name, skill.id.replace("_", " "), skill.description, *tags, *skill.examples])
            words = terms(text.replace("-", " "))
            tag_words = tuple((tag, frozenset(tokens(tag.replace("-", " ")))) for tag in tags)
            docs.append(_Doc(agent, skill.id, skill.name, tags, Counter(words), len(words), tag_words))
    return docs


def _tag_matches(
    tag_words: Sequence[tuple[str, frozenset[str]]], question: set[str], common: Callable[[str], bool]
) -> list[str]:
    """Tags all of whose words appear in the question, unless every one of those words is common.

    Partial matches earn nothing here: one generic word ("network" of "network-monitoring")
    would otherwise outweigh the specific ones, and BM25 already credits single words. For the
    same reason a tag of common words only ("connectivity", when most skills speak of
    connections) earns nothing: "the db connection is laggy" is about lag, not reachability.
    """
    return [tag for tag, words in tag_words if words and words <= question and not all(map(common, words))]


def score_candidates(
    question: str, agents: Sequence[Agent], *, required_tag: str | None = None, korean: str = DEFAULT_TOKENIZER
) -> list[Candidate]:
    """Every agent's best-scoring skill for the question, best agent first."""
    index = _index(agents, required_tag)
    docs, df, avg_len = index.docs, index.df, index.avg_len
    if not docs:
        return []
    q_terms = terms(question.replace("-", " "), korean=korean)
    q_set = set(q_terms)
    intents = matched_intents(q_set)
    n_docs = len(docs)
    best: dict[str, Candidate] = {}
    for doc in docs:
        bm25, words = 0.0, []
        for term in dict.fromkeys(q_terms):
            tf = doc.terms.get(term, 0)
            if not tf:
                continue
            idf = math.log((n_docs - df[term] + 0.5) / (df[term] + 0.5) + 1.0)
            bm25 += idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * doc.length / avg_len))
            words.append(term.replace("_", " "))
        tags = _tag_matches(doc.tag_words, q_set, lambda word: df[word] * 2 > n_docs)
        served = [intent.name for intent in intents if intent.tags & set(doc.tags)]
        score = bm25 + TAG_WEIGHT * len(tags) + INTENT_WEIGHT * len(served)
        cand = Candidate(doc.agent, doc.skill_id, doc.skill_name, score, bm25, tuple(words), tuple(tags), tuple(served))
        current = best.get(doc.agent.url)
        if current is None or cand.score > current.score:
            best[doc.agent.url] = cand
    return sorted(best.values(), key=lambda c: (-c.score, c.agent.name))


def decide(
    question: str,
    agents: Sequence[Agent],
    *,
    min_score: float,
    tie_ratio: float,
    remediation: bool = False,
    language: str | None = None,
    korean: str = DEFAULT_TOKENIZER,
) -> Decision:
    """Pick the agent for a question, or say why not and what to ask the operator.

    A remediation request goes only to agents with a skill tagged `remediation`; if exactly
    one has such a skill it is picked whatever the words say, since nothing else may take it.
    The ask-back is in `language` (default: the question's).
    """
    required = REMEDIATION_TAG if remediation else None
    candidates = tuple(score_candidates(question, agents, required_tag=required, korean=korean))
    if not candidates:
        if remediation:
            failure = (
                "No available agent declares a remediation skill, so the fix cannot be applied; "
                "check that the Performance Agent is up."
            )
        else:
            failure = "No agent is available to answer; check NETOPS_AGENT_URLS and that the agents are running."
        return Decision(None, candidates, failure, failure=failure)
    top = candidates[0]
    if remediation and len(candidates) == 1:
        return Decision(top, candidates, f"{top.agent.name} is the only agent with a remediation skill")
    language = language or detect_language(question)
    cards = [agent.card for agent in agents]
    runner_up = candidates[1] if len(candidates) > 1 else None
    served = {tag.lower() for agent in agents for skill in agent.card.skills for tag in skill.tags}
    topics = unserved_topics(terms(question.replace("-", " "), korean=korean), served)
    if topics and not top.intents and not remediation:
        # About something no agent here does, and naming no symptom the best agent knows: its
        # score comes from shared words ("network", "traffic"), not from what was asked.
        names = tuple(topic.name for topic in topics)
        reason = f"out of scope: {', '.join(names)} (best score {top.score:.2f})"
        return Decision(None, candidates, reason, ask_back(language, cards, topics=topics), topics=names)
    if top.score < min_score and not remediation:
        reason = f"best score {top.score:.2f} ({top.agent.name}) is below the threshold {min_score:.2f}"
        names = tuple(topic.name for topic in topics)
        if names:
            reason += "; out of scope: " + ", ".join(names)
        return Decision(None, candidates, reason, ask_back(language, cards, topics=topics), topics=names)
    if runner_up is not None and runner_up.score >= top.score * tie_ratio:
        reason = (
            f"{top.agent.name} ({top.score:.2f}) and {runner_up.agent.name} ({runner_up.score:.2f}) "
            "fit about equally well"
        )
        tie = (top.agent.name, runner_up.agent.name)
        return Decision(None, candidates, reason, clarification=ask_back(language, cards, tie=tie))
    return Decision(top, candidates, "best score")
