"""Context ids the collaborator minted are new conversations, once."""

from __future__ import annotations

from a2a.server.id_generator import IDGeneratorContext

from agents.collaborator.fresh_ids import FreshContextIds


def test_a_minted_id_is_claimed_once_and_a_callers_id_never() -> None:
    ids = FreshContextIds()
    minted = ids.generate(IDGeneratorContext())
    assert ids.claim(minted) is True
    assert ids.claim(minted) is False
    assert ids.claim("ctx-from-the-bot") is False
