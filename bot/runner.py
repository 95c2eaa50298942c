"""The jobs themselves: answer a question, decide on an approval, apply an approved fix, an alarm.

`JobRunner` hands each job to the handler of its kind. Each job may run twice (a consumer died
and another reclaimed it), so every step that posts something remembers what it posted
(`job_state`) and a rerun edits that message instead of posting another; results replace the
"Working…" message, which is naturally idempotent. Every failure ends as a message in the
thread, never as silence.

The parts, each in its own module: `job_kinds` (the kinds and how a follow-up is scheduled),
`job_state` (what a run already posted), `exchange` (one traced A2A exchange, never raising),
`outcome_posts` (results, failures and approval cards in the thread), and one module per
handler: `question_job`, `decision_job`, `remediation_job` (and `incidents` for alarms). The
names callers use are all here, as they always were.
"""

from __future__ import annotations

import logging

from bot.decision_job import NO_SECRET, DecisionJobs
from bot.exchange import Failure
from bot.incidents import IncidentJobs
from bot.job_kinds import DECISION, QUESTION, REMEDIATION, Schedule
from bot.job_state import JOB_STATE_TTL_S, JobState
from bot.jobs import Handler, Job
from bot.outcome_posts import OutcomePosts
from bot.question_job import QuestionJobs
from bot.remediation_job import TOKEN_TTL_S, RemediationJobs
from bot.services import Services
from bot.sns.endpoint import ALARM
from bot.streaming import Streams

log = logging.getLogger(__name__)

__all__ = [
    "DECISION",
    "JOB_STATE_TTL_S",
    "NO_SECRET",
    "QUESTION",
    "REMEDIATION",
    "TOKEN_TTL_S",
    "Failure",
    "JobRunner",
    "Schedule",
]


class JobRunner:
    def __init__(
        self,
        services: Services,
        progress_interval_s: float = 1.0,
        schedule: Schedule | None = None,
        streams: Streams | None = None,
    ) -> None:
        """`streams`: where questions may stream their answers (Slack); None edits Working… (console)."""
        schedule = schedule or services.jobs.enqueue
        state = JobState(services.redis)
        posts = OutcomePosts(services)
        self._kinds: dict[str, Handler] = {
            QUESTION: QuestionJobs(services, state, posts, progress_interval_s, streams),
            DECISION: DecisionJobs(services, posts, schedule),
            REMEDIATION: RemediationJobs(services, state, posts, progress_interval_s),
            ALARM: IncidentJobs(services.settings, services.redis, services.surface, state.remember, schedule),
        }

    async def __call__(self, job: Job) -> None:
        handler = self._kinds.get(job.kind)
        if handler is None:
            log.warning("job %s has unknown kind %r; dropped", job.entry_id, job.kind)
            return
        await handler(job)
