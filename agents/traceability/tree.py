"""Steps in tree order (each parent before its children, siblings in the order given), with their depth.

Shared by every view of a trace (the Slack modal's step tree, the dashboard's waterfall): steps
whose parent is not in the list are roots, and a cycle in foreign data is cut, not followed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def tree_order(
    steps: Sequence[T], step_id: Callable[[T], str], parent_id: Callable[[T], str | None]
) -> list[tuple[int, T]]:
    ids = {step_id(step) for step in steps}
    children: dict[str | None, list[T]] = {}
    for step in steps:
        parent = parent_id(step)
        children.setdefault(parent if parent in ids else None, []).append(step)
    ordered: list[tuple[int, T]] = []
    stack = [(0, step) for step in reversed(children.get(None, []))]
    seen: set[str] = set()
    while stack:
        depth, step = stack.pop()
        if step_id(step) in seen:
            continue
        seen.add(step_id(step))
        ordered.append((depth, step))
        stack.extend((depth + 1, child) for child in reversed(children.get(step_id(step), [])))
    return ordered
