"""What the caller asked, read from an A2A message (CONTRACTS.md section 4). Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass

from a2a.types import Message

REMEDIATE_KIND = "netops.remediate/v1"
_INSTANCE_ID = re.compile(r"^i-[0-9a-f]{8,17}$")


@dataclass(frozen=True)
class Request:
    text: str
    remediation: bool
    problem: str | None = None  # set when the request cannot be forwarded as it is


def read_request(message: Message) -> Request:
    """The question text, and whether this is a remediation (a data part of kind netops.remediate/v1)."""
    text = "\n".join(part.text for part in message.parts if part.HasField("text")).strip()
    remediation, problem = False, None
    for part in message.parts:
        if not part.HasField("data") or not part.data.HasField("struct_value"):
            continue
        fields = part.data.struct_value.fields
        if fields.get("kind") is None or fields["kind"].string_value != REMEDIATE_KIND:
            continue
        remediation = True
        instance = fields["instance_id"].string_value if "instance_id" in fields else ""
        if not _INSTANCE_ID.fullmatch(instance):
            problem = "The remediation request names no valid EC2 instance id (i-…); ask for the fix again."
        elif "approval_token" not in fields or not fields["approval_token"].string_value:
            problem = "The remediation request carries no approval token; it must come from an approved button."
    if not text and not remediation:
        problem = "The message has no question in it; ask again with some text."
    return Request(text, remediation, problem)
