"""Tokenising for routing: lower-case words, stop words dropped, a light suffix stemmer.

Deliberately small: the skill texts are a few sentences each, so what matters is that
"retransmissions", "retransmitted" and "retransmit" meet, not linguistic precision.
"""

from __future__ import annotations

import itertools
import re

_WORD = re.compile(r"[a-z0-9]+")
_TIMEOUT = re.compile(r"\b(?:tim(?:es|ed|ing)|time)[ -]out\b")

STOP_WORDS = frozenset(
    """
    a an and are as at be been but by can could do does did for from has have how i if in into is it
    its me my of on or our please so that the their them there these this those to us was we were
    what when where which who why will with would you your any some all just about again also should
    tell show give out keep keeps kept still check look analyze analyse diagnose find see get want
    need know explain happen happening going
    """.split()  # noqa: SIM905 - a word list reads better as text
)

_SUFFIXES = ("ations", "ation", "ings", "ing", "ies", "ied", "ed", "es", "s", "ly")


def stem(word: str) -> str:
    """Strip one common English suffix, keeping at least four letters of stem (three for a plural s)."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= (3 if suffix == "s" else 4):
            if suffix in ("ies", "ied"):
                return word[: -len(suffix)] + "y"
            if suffix == "s" and word.endswith("ss"):
                return word
            return word[: -len(suffix)]
    return word


def tokens(text: str) -> list[str]:
    """The stems of the content words of `text`, in order (repeats kept, for term frequency)."""
    text = _TIMEOUT.sub("timeout", text.lower())
    # Bare numbers (addresses, ports, times) say nothing about which agent fits, and an example's
    # IP address would otherwise pull every question that mentions one.
    return [stem(w) for w in _WORD.findall(text) if w not in STOP_WORDS and not w.isdigit()]


def terms(text: str) -> list[str]:
    """Stems plus adjacent pairs ("network_acl"), so a shared phrase outweighs a shared word."""
    stems = tokens(text)
    return stems + [f"{a}_{b}" for a, b in itertools.pairwise(stems)]
