"""The diagnosis an artifact carries, and the carried scope put on a forwarded message.

The collaborator keeps the last diagnosis data part per conversation (store.Conversation) so a
follow-up can be answered from it or asked again with its scope (CONTRACTS.md sections 4 and 6).
"""

from __future__ import annotations

from typing import Any

from a2a.types import Artifact, Message
from google.protobuf.json_format import MessageToDict

DIAGNOSIS_KIND = "netops.diagnosis/v1"
# Keys of the data part worth keeping for follow-ups; the rest (the dry-run script) is dropped.
KEPT = ("kind", "status", "language", "scope", "headline", "findings", "causes", "flows", "instances", "recommendation")


def diagnosis_of(artifact: Artifact) -> dict[str, Any] | None:
    """The artifact's diagnosis data part (kind netops.diagnosis/v1), trimmed to what follow-ups read."""
    for part in artifact.parts:
        if not part.HasField("data"):
            continue
        data = MessageToDict(part.data)
        if isinstance(data, dict) and data.get("kind") == DIAGNOSIS_KIND:
            kept = {key: data[key] for key in KEPT if key in data}
            if isinstance(kept.get("recommendation"), dict):
                kept["recommendation"] = {k: v for k, v in kept["recommendation"].items() if k != "script"}
            return kept
    return None


def with_scope(message: Message, scope: dict[str, Any]) -> None:
    """Sets `metadata["netops"]["scope"]`, keeping the rest of the caller's netops metadata."""
    netops = MessageToDict(message.metadata).get("netops") if message.HasField("metadata") else None
    merged = dict(netops) if isinstance(netops, dict) else {}
    merged["scope"] = scope
    message.metadata.update({"netops": merged})
