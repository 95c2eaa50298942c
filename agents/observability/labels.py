"""Label values a Prometheus series may carry, kept few: step names lose their ids, keys and numbers.

A series per distinct label value lives in every process's memory and in the TSDB for as long as
it is kept, so a step named after an instance id or an S3 key would add a series per question.
`step_label` rewrites those parts to placeholders; `BoundedLabels` is the backstop for whatever
the rewriting misses: past `limit` distinct values, new ones are counted as "other".
"""

from __future__ import annotations

import functools
import re
import threading

OTHER = "other"
MAX_LABEL_CHARS = 80

_REWRITES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b[a-z][a-z0-9+.-]*://\S+"), "{url}"),  # s3://bucket/key, http://host/path
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I), "{id}"),
    (re.compile(r"\b[a-z]{1,12}-[0-9a-f]{8,32}\b", re.I), "{id}"),  # i-0abc…, eni-…, step-…, trace ids
    (re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b"), "{ip}"),
    (re.compile(r"\b[0-9a-f]{12,}\b", re.I), "{id}"),  # bare hex: hashes, request ids
    (re.compile(r"=\s*[^\s,;)]+"), "={v}"),  # key=value
    (re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w])"), "{n}"),  # free-standing numbers, not ec2 or gpt-4o
)


@functools.lru_cache(maxsize=4096)  # step names repeat question after question: rewrite each once
def step_label(name: str | None) -> str:
    """A step name with ids, keys, addresses and numbers replaced, so label cardinality stays bounded."""
    text = " ".join((name or "unnamed").split())
    for pattern, replacement in _REWRITES:
        text = pattern.sub(replacement, text)
    return text[:MAX_LABEL_CHARS] or "unnamed"


class BoundedLabels:
    """Admits at most `limit` distinct values; later newcomers become "other". Thread-safe: steps
    finish on worker threads (asyncio.to_thread) as well as on the event loop."""

    def __init__(self, limit: int = 200) -> None:
        self._limit = limit
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def admit(self, value: str) -> str:
        if value in self._seen:
            return value
        with self._lock:
            if len(self._seen) < self._limit:
                self._seen.add(value)
                return value
        return OTHER
