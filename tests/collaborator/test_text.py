"""Tokenising for routing."""

from __future__ import annotations

from agents.collaborator.text import terms, tokens


def test_word_forms_meet_on_one_stem() -> None:
    assert tokens("retransmissions retransmission") == ["retransmission", "retransmission"]
    assert tokens("mirroring mirrored ACLs") == ["mirror", "mirror", "acl"]


def test_stop_words_and_bare_numbers_are_dropped() -> None:
    assert tokens("Why is port 5432 on 10.0.1.10 slow?") == ["port", "slow"]


def test_timing_out_reads_as_timeout() -> None:
    assert tokens("it keeps timing out; it times out; it timed-out") == ["timeout", "timeout", "timeout"]


def test_terms_add_adjacent_pairs() -> None:
    assert terms("network ACL") == ["network", "acl", "network_acl"]
