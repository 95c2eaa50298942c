"""The collaborator agent: discovers agents by their cards, picks one per question, forwards.

`registry` (which URLs) → `discovery` (cards, cached in Redis, down-marking) → `selection`
(who answers and why; `llm_router` optionally; `routing` runs them) → `recipient` (who a turn goes
to, given the conversation) → `forwarding` (the A2A call) → `relay` (the agent's events passed on)
→ `executor` (one turn: its `turn` state, the conversation held and saved by `conversation_saves`)
→ `server` (the app, `netops agent collaborator`); `route_command` is `netops route`.
"""
