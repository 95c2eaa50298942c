"""What a job is on the Redis stream: its names, its shape, and how an entry is read back.

The queue writes entries and the worker reads them; both agree on the stream and group names and
on the two fields an entry carries (`kind`, `payload` as JSON), so they live here, apart from both.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.redis_text import as_text

JOB_STREAM = "netops:jobs"
JOB_GROUP = "netops-bot"


@dataclass(frozen=True)
class Job:
    entry_id: str
    kind: str
    payload: dict[str, Any]
    deliveries: int = 1


Handler = Callable[[Job], Awaitable[None]]


def job_from_entry(entry_id: bytes | str, body: dict[Any, Any], deliveries: int = 1) -> Job:
    """A stream entry as a `Job`; Redis may hand back bytes or text, and an entry without fields is an empty job."""
    fields = {as_text(k): as_text(v) for k, v in body.items()}
    return Job(as_text(entry_id), fields.get("kind", ""), json.loads(fields.get("payload", "{}")), deliveries)
