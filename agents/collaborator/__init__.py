"""The collaborator agent: discovers agents by their cards, picks one per question, forwards.

`registry` (which URLs) → `discovery` (cards, cached in Redis, down-marking) → `selection`
(who answers and why; `llm_router` optionally) → `forwarding` (the A2A call) → `executor`
(one turn, relayed and traced) → `server` (the app, `netops agent collaborator`);
`route_command` is `netops route`.
"""
