"""Tokenising for routing: content words of English and Korean questions, as English Snowball stems.

English words are stemmed by the Snowball (Porter 2) stemmer from `snowballstemmer`, so
"retransmissions" and "retransmission" meet, while "retransmitted" stays "retransmit" (a
different word: the card says "retransmissions", and the intents list both). Korean content
words are found by `agents.collaborator.korean` and mapped onto the English words cards use,
so a Korean question scores against the same skill texts. Field shorthand is spelled out first
("RST" → "reset"), and ids, addresses and regions are dropped: they say which resource, not
which agent.
"""

from __future__ import annotations

import functools
import itertools
import re

import snowballstemmer

from agents.collaborator.korean import DEFAULT_TOKENIZER, english_words

_WORD = re.compile(r"[a-z0-9]+")
_TIMEOUT = re.compile(r"\b(?:tim(?:es|ed|ing)|time)[ -]out\b")
# Resource names: an instance or ENI id, an IPv4 address (with a prefix), a region.
_RESOURCE = re.compile(
    r"(?<![0-9a-z-])(?:i|eni|vpc|subnet|sg)-[0-9a-f]{4,17}(?![0-9a-z])"
    r"|(?<![0-9.])\d{1,3}(?:\.\d{1,3}){3}(?:/\d{1,2})?(?![0-9])"
    r"|(?<![a-z])[a-z]{2}(?:-gov)?-[a-z]+-\d(?![0-9a-z])"
)  # ends by lookahead, not \b: a Korean particle glued on ("us-west-2는") is a word character
# Shorthand operators type, spelled as the cards spell it.
SHORTHAND = {
    "rst": "reset",
    "rsts": "resets",
    "retrans": "retransmission",
    "retx": "retransmission",
    "dupack": "duplicate ack",
    "dupacks": "duplicate acks",
    "lossy": "loss",
    "laggy": "lag",
    "healthy": "health",
    "unhealthy": "health",
    "sg": "security group",
    "sgs": "security groups",
    "nacls": "nacl",
    "db": "database",
    "perf": "performance",
    "slowly": "slow",
    "nfm": "network flow monitor",
    "cw": "cloudwatch",
}

STOP_WORDS = frozenset(
    """
    a an and are as at be been but by can could do does did for from has have how i if in into is it
    its me my of on or our please so that the their them there these this those to us was we were
    what when where which who why will with would you your any some all just about again also should
    tell show give out keep keeps kept still check look analyze analyse diagnose find see get want
    need know explain happen happening going
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_STEMMER = snowballstemmer.stemmer("english")


@functools.lru_cache(maxsize=8192)
def stem(word: str) -> str:
    """The Snowball (Porter 2) stem of one lower-case English word."""
    return _STEMMER.stemWord(word)


def _english(text: str) -> list[str]:
    words: list[str] = []
    for word in _WORD.findall(text):
        words += SHORTHAND.get(word, word).split()
    return words


def tokens(text: str, *, korean: str = DEFAULT_TOKENIZER) -> list[str]:
    """The stems of the content words of `text`, in order (repeats kept, for term frequency)."""
    text = _TIMEOUT.sub("timeout", _RESOURCE.sub(" ", text.lower()))
    words = _english(text) + _english(english_words(text, korean))
    # Bare numbers (addresses, ports, times) say nothing about which agent fits, and an example's
    # IP address would otherwise pull every question that mentions one.
    return [stem(w) for w in words if w not in STOP_WORDS and not w.isdigit()]


def terms(text: str, *, korean: str = DEFAULT_TOKENIZER) -> list[str]:
    """Stems plus adjacent pairs ("network_acl"), so a shared phrase outweighs a shared word."""
    stems = tokens(text, korean=korean)
    return stems + [f"{a}_{b}" for a, b in itertools.pairwise(stems)]
