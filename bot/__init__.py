"""The NetOps Slack bot (slack-bolt `AsyncApp`) and its console twin.

Request path (ack < 3 s): `server` (HTTP or Socket Mode) → `app` → `listeners/` (by Slack
surface) → `jobs` (Redis Streams). Work path: `jobs.JobWorker` → `runner.JobRunner` (one
handler a kind: `question_job`, `decision_job`, `remediation_job`, `incidents`) → `collaborator`
(A2A, traced as the HOST step by `tracing`) → `blocks/` (pure Block Kit) → a `surface.Surface`
(Slack, or `console` for the demo). State in Redis: `conversations` (thread → A2A context),
`approvals` (atomic claim), `results` (for "View trace"), `audit`.
Slack types stay inside this package.
"""
