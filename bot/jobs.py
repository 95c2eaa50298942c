"""Durable work off the ack path: a Redis Streams consumer group.

Listeners `enqueue` and return; `JobWorker`s (one per bot process, any number of replicas)
read with XREADGROUP, XACK when a job is done, and reclaim entries a dead consumer left
pending with XAUTOCLAIM once they have been idle for `reclaim_after_s`. A running job
refreshes its claim (XCLAIM … JUSTID) so a slow analysis is not mistaken for a dead one, and a
consumer never starts a second run of a job it is still running (after a Redis stall longer than
`reclaim_after_s`, XAUTOCLAIM hands a consumer its own live entries back). A job is acknowledged
only once its handler returned, that is once its outcome (or its failure) was posted; a handler
that raised leaves the entry pending, to be run again after `reclaim_after_s`, at most
`MAX_DELIVERIES` times.
Duplicates (Slack retrying one `event_id`, a repeated command trigger) are dropped at
enqueue: the dedupe key and the XADD are written by one Lua script (atomic), so neither exists
without the other.

The parts, each in its own module: `job_stream` (the stream's names and a job's shape),
`job_queue` (enqueue, with `pipeline_batch` sending a loop turn's writes in one round trip),
`job_worker` (read and run), `job_claims` (take over, keep and acknowledge pending entries),
`acks_in_flight` (hold new jobs back while acks are being answered). The names callers use are
all here, as they always were.
"""

from __future__ import annotations

from bot.acks_in_flight import AcksInFlight
from bot.job_claims import MAX_DELIVERIES
from bot.job_queue import DEDUPE_TTL_S, ENQUEUE_ONCE, ENQUEUE_TIMEOUT_S, STREAM_MAXLEN, EnqueueTimeout, JobQueue
from bot.job_stream import JOB_GROUP, JOB_STREAM, Handler, Job, job_from_entry
from bot.job_worker import JobWorker, consumer_name
from bot.pipeline_batch import Write

__all__ = [
    "DEDUPE_TTL_S",
    "ENQUEUE_ONCE",
    "ENQUEUE_TIMEOUT_S",
    "JOB_GROUP",
    "JOB_STREAM",
    "MAX_DELIVERIES",
    "STREAM_MAXLEN",
    "AcksInFlight",
    "EnqueueTimeout",
    "Handler",
    "Job",
    "JobQueue",
    "JobWorker",
    "Write",
    "consumer_name",
    "job_from_entry",
]
