"""Card checks: each way a card can be unusable gives one sentence."""

from __future__ import annotations

import json

import pytest
from collab_cards import performance_card
from google.protobuf.json_format import MessageToDict

from agents.collaborator.cards import CardError, card_from_json, card_to_json, parse_card_bytes


def _card_dict() -> dict:
    return MessageToDict(performance_card("http://127.0.0.1:10006/"))


def test_a_complete_card_parses_and_round_trips_through_the_cache_format() -> None:
    card = parse_card_bytes(json.dumps(_card_dict()).encode())
    assert card_from_json(card_to_json(card)) == card


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        (b"<html>not found</html>", "is not JSON"),
        (b"[1, 2]", "is a JSON list, not an object"),
        (b" " * (1024 * 1024 + 1), "more than the 1048576 allowed"),
        (json.dumps({"name": "x", "skills": "many"}).encode(), "does not match the A2A 1.0 schema"),
    ],
)
def test_malformed_cards_say_what_is_wrong(body: bytes, complaint: str) -> None:
    with pytest.raises(CardError, match=complaint):
        parse_card_bytes(body)


def test_missing_required_fields_are_named() -> None:
    data = _card_dict()
    del data["version"]
    data["skills"][0].pop("tags")
    with pytest.raises(CardError, match=r"lacks required fields: skills\[0\]\.tags, version"):
        parse_card_bytes(json.dumps(data).encode())


def test_a_card_without_a_jsonrpc_interface_is_refused() -> None:
    data = _card_dict()
    data["supportedInterfaces"][0]["protocolBinding"] = "GRPC"
    with pytest.raises(CardError, match="offers no JSONRPC interface"):
        parse_card_bytes(json.dumps(data).encode())
