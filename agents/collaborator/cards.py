"""Parse and check an agent card, turning every way it can be wrong into one sentence.

The SDK's parser accepts almost anything (unknown fields are ignored, missing ones default
to empty), so a card that parses can still be useless for routing or forwarding; the
checks here are the fields A2A 1.0 marks REQUIRED plus what forwarding needs (a JSON-RPC
interface).
"""

from __future__ import annotations

import json
from typing import Any

from a2a.client.card_resolver import parse_agent_card
from a2a.types import AgentCard
from a2a.utils.constants import TransportProtocol
from a2a.utils.errors import InvalidParamsError
from a2a.utils.proto_utils import validate_proto_required_fields
from google.protobuf.json_format import MessageToDict, ParseError


class CardError(ValueError):
    """The card cannot be used; the message says what is wrong with it."""


MAX_CARD_BYTES = 1024 * 1024


def parse_card_bytes(body: bytes) -> AgentCard:
    """Parse a card body as served at `/.well-known/agent-card.json` and check it."""
    if len(body) > MAX_CARD_BYTES:
        raise CardError(f"its agent card is {len(body)} bytes, more than the {MAX_CARD_BYTES} allowed")
    try:
        data: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CardError(f"its agent card is not JSON ({exc.__class__.__name__})") from None
    if not isinstance(data, dict):
        raise CardError(f"its agent card is a JSON {type(data).__name__}, not an object")
    try:
        card = parse_agent_card(data)
    except (ParseError, TypeError, ValueError) as exc:
        raise CardError(f"its agent card does not match the A2A 1.0 schema: {_first_line(exc)}") from None
    check_card(card)
    return card


def check_card(card: AgentCard) -> None:
    """Raise CardError unless the card has what A2A 1.0 requires and a JSON-RPC interface."""
    try:
        validate_proto_required_fields(card)
    except InvalidParamsError as exc:
        errors = (exc.data or {}).get("errors", [])
        fields = ", ".join(sorted({str(err.get("field", "?")) for err in errors})) or "unknown"
        raise CardError(f"its agent card lacks required fields: {fields}") from None
    if not any(i.protocol_binding == TransportProtocol.JSONRPC for i in card.supported_interfaces):
        bindings = ", ".join(sorted({i.protocol_binding for i in card.supported_interfaces})) or "none"
        raise CardError(f"its agent card offers no JSONRPC interface (only {bindings})")


def card_to_json(card: AgentCard) -> str:
    """Serialise a card for the shared cache (the inverse of `card_from_json`)."""
    return json.dumps(MessageToDict(card), separators=(",", ":"))


def card_from_json(text: str | bytes) -> AgentCard:
    """Read back a card stored by `card_to_json`; it was checked before it was stored."""
    return parse_agent_card(json.loads(text))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else exc.__class__.__name__
