"""The collaborator agent: discovers agents by their cards, picks one per question, forwards.

Parts: `registry` (which URLs), `discovery` (cards, cached in Redis), `selection` (who
answers, and why), `forwarding` (the A2A call), `executor` (one turn), `server` (the app).
"""
