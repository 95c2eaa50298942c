"""An alarm's lifecycle in its incident thread: open, re-fire, resolve, open again.

One Redis key per alarm holds its latest incident. `decide` (pure) says what a state change
means for it; `IncidentStore.apply` runs `decide` under WATCH/MULTI, so two replicas
handling two notifications of one alarm agree on one outcome. A change no newer than the
last one applied is stale (SNS does not keep order) and ignored; the same MessageId seen
again (a reclaimed job) repeats its recorded action, and the job's remembered posts make that
rerun edit rather than post twice.

An ALARM with no open incident opens one: the root message, then the diagnosis as a normal
`question` job in that thread (the `/netops` path), scoped to the alarm's dimensions and the
minutes before it fired. A re-fire is noted, not investigated again; OK resolves it.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, replace
from datetime import timedelta
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import WatchError

from agents.i18n import tr
from agents.settings import Settings
from bot.blocks import incident as blocks
from bot.job_kinds import QUESTION, Schedule
from bot.jobs import Job
from bot.sns.alarm import AlarmChange, parse_time
from bot.surface import Surface, SurfaceError

log = logging.getLogger(__name__)

INCIDENT_TTL_S = 30 * 24 * 3600
ALARM_REQUESTER = "cloudwatch"  # never a Slack user id, so any approver may approve an alarm's fix

OPEN, REFIRE, RESOLVE, NO_DATA, IGNORE = "open", "refire", "resolve", "no_data", "ignore"

Remember = Callable[[Job, str, Callable[[], Awaitable[str]]], Awaitable[str]]


@dataclass(frozen=True)
class Incident:
    incident_id: str
    status: str  # "open" | "resolved"
    channel: str
    opened: dict[str, Any]  # the AlarmChange payload that opened it
    root_ts: str | None = None
    fired: int = 1
    resolved: dict[str, Any] | None = None
    last_change: str = ""  # StateChangeTime of the last change applied
    last_message_id: str = ""
    last_action: str = ""

    @property
    def opening(self) -> AlarmChange:
        return AlarmChange.from_payload(self.opened)

    @property
    def resolution(self) -> AlarmChange | None:
        return AlarmChange.from_payload(self.resolved) if self.resolved else None


def decide(current: Incident | None, change: AlarmChange, channel: str, new_id: str) -> tuple[str, Incident | None]:
    """What `change` does to the alarm's latest incident, and that incident afterwards."""
    if current is not None and current.last_message_id == change.message_id:
        return current.last_action, current
    if current is not None and current.last_change and change.changed <= parse_time(current.last_change):
        return IGNORE, current
    is_open = current is not None and current.status == "open"
    stamp = {"last_change": change.changed_at, "last_message_id": change.message_id}
    if change.state == "ALARM" and not is_open:
        return OPEN, Incident(new_id, "open", channel, change.to_payload(), **stamp, last_action=OPEN)
    if current is None or not is_open:
        return IGNORE, current
    if change.state == "ALARM":
        return REFIRE, replace(current, fired=current.fired + 1, **stamp, last_action=REFIRE)
    if change.state == "OK":
        return RESOLVE, replace(current, status="resolved", resolved=change.to_payload(), **stamp, last_action=RESOLVE)
    return NO_DATA, replace(current, **stamp, last_action=NO_DATA)


def channel_for(settings: Settings, change: AlarmChange) -> str | None:
    """The alarm's own channel, else its topic's (NETOPS_ALARM_CHANNELS)."""
    return settings.alarm_channels.get(change.name) or settings.alarm_channels.get(change.topic_arn)


def diagnosis_request(change: AlarmChange, window_minutes: int) -> tuple[str, dict[str, Any]]:
    """The question the agents get for an alarm, and its scope (`metadata["netops"]["scope"]`)."""
    instances = [value for name, value in change.dimensions if name == "InstanceId"]
    since = change.changed - timedelta(minutes=window_minutes)
    lang = blocks.alarm_language(change)
    dimensions = ", ".join(f"{name}={value}" for name, value in change.dimensions) or "none"
    question = tr(
        lang,
        "CloudWatch alarm {name} went to ALARM at {time}: {metric} {comparison} {threshold} (value {value}); "
        "dimensions {dimensions}. Why are TCP retransmissions or latency high in the last {minutes} minutes?",
        name=change.name,
        time=blocks.when(change.changed_at),
        metric=f"{change.namespace}/{change.metric}",
        comparison=change.comparison,
        threshold=blocks.number(change.threshold),
        value=blocks.number(change.value),
        dimensions=dimensions,
        minutes=window_minutes,
    )
    if instances:
        question += " " + tr(lang, "Instances: {instances}.", instances=", ".join(instances))
    scope = {
        "instances": instances,
        "region": change.region,
        "window_minutes": window_minutes,
        "since": since.isoformat(),
        "alarm": change.name,
    }
    return question, scope


def _key(change: AlarmChange) -> str:
    return f"netops:incident:{change.key}"


def _load(raw: bytes | str | None) -> Incident | None:
    return Incident(**json.loads(raw)) if raw else None


class IncidentStore:
    def __init__(self, redis: aioredis.Redis) -> None:
        self._redis = redis

    async def apply(self, change: AlarmChange, channel: str) -> tuple[str, Incident | None]:
        """`decide` on the stored incident and store its outcome, atomically (retried on a race)."""
        key = _key(change)
        while True:
            async with self._redis.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(key)
                    current = _load(await pipe.get(key))
                    action, after = decide(current, change, channel, secrets.token_hex(8))
                    pipe.multi()
                    if after is not None and after != current:
                        pipe.set(key, json.dumps(asdict(after)), ex=INCIDENT_TTL_S)
                    await pipe.execute()
                    return action, after
                except WatchError:
                    continue

    async def get(self, change: AlarmChange) -> Incident | None:
        return _load(await self._redis.get(_key(change)))

    async def set_root(self, change: AlarmChange, incident_id: str, root_ts: str) -> None:
        """Records the root's ts on the incident, unless a newer incident replaced it meanwhile."""
        key = _key(change)
        async with self._redis.pipeline(transaction=True) as pipe:
            try:
                await pipe.watch(key)
                current = _load(await pipe.get(key))
                if current is None or current.incident_id != incident_id:
                    return
                pipe.multi()
                pipe.set(key, json.dumps(asdict(replace(current, root_ts=root_ts))), ex=INCIDENT_TTL_S)
                await pipe.execute()
            except WatchError:  # another change landed; retry once on its state
                await self.set_root(change, incident_id, root_ts)


class IncidentJobs:
    """The `alarm` job: one CloudWatch state change applied to its incident thread."""

    def __init__(
        self, settings: Settings, redis: aioredis.Redis, surface: Surface, remember: Remember, schedule: Schedule
    ) -> None:
        self._settings = settings
        self._store = IncidentStore(redis)
        self._surface = surface
        self._remember = remember
        self._schedule = schedule

    async def __call__(self, job: Job) -> None:
        change = AlarmChange.from_payload(job.payload)
        channel = channel_for(self._settings, change)
        if channel is None:
            log.warning("alarm %s: no channel in NETOPS_ALARM_CHANNELS for it or its topic; dropped", change.name)
            return
        action, incident = await self._store.apply(change, channel)
        log.info("alarm %s → %s: %s", change.name, change.state, action)
        if incident is None or action == IGNORE:
            return
        try:
            if action == OPEN:
                await self._open(job, change, incident)
            elif incident.root_ts is None:
                log.warning(
                    "alarm %s: incident %s has no thread yet; %s not shown", change.name, incident.incident_id, action
                )
            elif action == REFIRE:
                await self._note(job, incident, blocks.refire_note(incident.opening, change))
                await self._update_root(incident)
            elif action == RESOLVE:
                await self._note(job, incident, blocks.resolved_note(incident.opening, change))
                await self._update_root(incident)
            elif action == NO_DATA:
                await self._note(job, incident, blocks.no_data_note(incident.opening, change))
        except SurfaceError as exc:
            log.warning("alarm %s: Slack refused the incident thread in %s: %s", change.name, channel, exc)

    async def _open(self, job: Job, change: AlarmChange, incident: Incident) -> None:
        root_ts = incident.root_ts or await self._remember(
            job,
            "incident_root_ts",
            lambda: self._surface.post(incident.channel, blocks.root_blocks(change), blocks.root_fallback(change)),
        )
        await self._store.set_root(change, incident.incident_id, root_ts)
        question, scope = diagnosis_request(change, self._settings.alarm_window_minutes)
        payload = {
            "channel": incident.channel,
            "thread_ts": root_ts,
            "user": ALARM_REQUESTER,
            "question": question,
            "owned": True,
            "scope": scope,
        }
        await self._schedule(QUESTION, payload, f"incident:{incident.incident_id}:diagnosis")

    async def _note(self, job: Job, incident: Incident, text: str) -> None:
        assert incident.root_ts is not None
        await self._remember(
            job,
            "incident_note_ts",
            lambda: self._surface.post(incident.channel, blocks.note_blocks(text), text, incident.root_ts),
        )

    async def _update_root(self, incident: Incident) -> None:
        assert incident.root_ts is not None
        opened, resolved = incident.opening, incident.resolution
        root = blocks.root_blocks(opened, fired=incident.fired, resolved=resolved)
        await self._surface.update(
            incident.channel, incident.root_ts, root, blocks.root_fallback(opened, bool(resolved))
        )
