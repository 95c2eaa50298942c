"""Tokenising for routing."""

from __future__ import annotations

from agents.collaborator.text import terms, tokens


def test_word_forms_meet_on_one_stem() -> None:
    assert tokens("retransmissions retransmission") == ["retransmiss", "retransmiss"]
    assert tokens("mirroring mirrored ACLs") == ["mirror", "mirror", "acl"]


def test_retransmitted_is_not_claimed_to_be_retransmission() -> None:
    assert tokens("retransmitted retransmit") == ["retransmit", "retransmit"]


def test_field_shorthand_is_spelled_out() -> None:
    assert tokens("RSTs from the db") == ["reset", "databas"]


def test_ids_addresses_and_regions_are_dropped() -> None:
    assert tokens("latency on i-0123456789abcdef0 to 10.0.2.20 in us-west-2") == ["latenc"]


def test_korean_particles_do_not_hide_the_words() -> None:
    assert tokens("app과 db 사이에 TCP 재전송이 왜 이렇게 많아?") == ["app", "databas", "tcp", "retransmiss"]
    assert tokens("DB 연결이 느려요") == ["databas", "connect", "slow"]


def test_the_lighter_rule_and_kiwi_find_the_same_korean_words() -> None:
    question = "패킷 손실이 원인인가요?"
    assert tokens(question, korean="rule") == tokens(question, korean="kiwi") == ["packet", "loss", "caus"]


def test_stop_words_and_bare_numbers_are_dropped() -> None:
    assert tokens("Why is port 5432 on the host slow?") == ["port", "host", "slow"]


def test_timing_out_reads_as_timeout() -> None:
    assert tokens("it keeps timing out; it times out; it timed-out") == ["timeout", "timeout", "timeout"]


def test_terms_add_adjacent_pairs() -> None:
    assert terms("network ACL") == ["network", "acl", "network_acl"]
