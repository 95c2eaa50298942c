"""Context ids minted for this request: a conversation that cannot have history yet.

The SDK mints a context id when the caller sends none (a new Slack thread). Knowing that lets
the executor skip reading the conversation from Redis on every first question.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict

from a2a.server.id_generator import IDGenerator, IDGeneratorContext

_KEEP = 4096  # ids minted but not yet claimed (a request that never reached the executor)


class FreshContextIds(IDGenerator):
    def __init__(self) -> None:
        self._fresh: OrderedDict[str, None] = OrderedDict()

    def generate(self, context: IDGeneratorContext) -> str:
        new = str(uuid.uuid4())
        self._fresh[new] = None
        if len(self._fresh) > _KEEP:
            self._fresh.popitem(last=False)
        return new

    def claim(self, context_id: str) -> bool:
        """True once for an id this generator minted: its conversation starts now."""
        return self._fresh.pop(context_id, 0) is None
