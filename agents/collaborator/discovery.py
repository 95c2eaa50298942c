"""Agent cards, fetched concurrently, cached in Redis by `Cache-Control`, revalidated by `ETag`.

The SDK's `A2ACardResolver` cannot revalidate: it hides the response headers and treats a
304's empty body as a JSON error. So the GET is ours (on the shared client) and the parsing is
the SDK's (`parse_agent_card`, via `cards.parse_card_bytes`). An agent whose card cannot be had
is marked down with exponential backoff and reported with one sentence; the others are served.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import httpx
from a2a.types import AgentCard
from a2a.utils.constants import AGENT_CARD_WELL_KNOWN_PATH

from agents.collaborator.cache_policy import policy_from_header
from agents.collaborator.cards import CardError, card_from_json, card_to_json, parse_card_bytes
from agents.collaborator.selection import Agent
from agents.collaborator.store import CachedCard, Health, RedisStore

log = logging.getLogger(__name__)

Source = Literal["cache", "fetched", "revalidated", "down"]


@dataclass(frozen=True)
class AgentStatus:
    """One agent after discovery: its card (when usable) or the sentence saying why not."""

    url: str
    agent: Agent | None
    source: Source
    error: str | None = None


@dataclass(frozen=True)
class DiscoveryConfig:
    default_ttl_s: float = 60.0
    max_ttl_s: float = 3600.0
    retry_base_s: float = 2.0
    retry_max_s: float = 300.0
    fetch_timeout_s: float = 5.0
    local_ttl_s: float = 5.0  # how long a replica trusts its own copy before looking at Redis again


# 2**1023 is the largest power a float holds: past 1,024 failures in a row the delay overflowed and
# discover() returned nothing, even for healthy agents. Any exponent past the cap gives the cap anyway.
_MAX_DOUBLINGS = 62


def retry_delay(failures: int, base_s: float, max_s: float) -> float:
    """Exponential backoff for the `failures`-th failure in a row (1, 2, …), never above `max_s`."""
    return min(base_s * 2.0 ** min(failures - 1, _MAX_DOUBLINGS), max_s)


class Discovery:
    """Reads cards through the shared cache; fetches only what is stale, missing or forced."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        store: RedisStore,
        config: DiscoveryConfig,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._http = http
        self._store = store
        self._config = config
        self._clock = clock
        self._parsed: dict[str, AgentCard] = {}  # card JSON -> parsed card, so cache hits skip parsing
        # url -> (agent, trusted until): the hot path of a question touches neither Redis nor the network
        self._local: dict[str, tuple[Agent, float]] = {}

    async def discover(self, urls: Sequence[str], *, force: bool = False, ahead_s: float = 0.0) -> list[AgentStatus]:
        """Every agent's status, in the order given; never raises for one agent's fault.

        `ahead_s` > 0 (the background refresh) also revalidates cards that would go stale within
        that many seconds, so questions rarely wait for a card.
        """
        now = self._clock()
        known: dict[str, AgentStatus] = {}
        if not force and not ahead_s:
            for url in urls:
                local = self._local.get(url)
                if local is not None and now < local[1]:
                    known[url] = AgentStatus(url, local[0], "cache")
        rest = [url for url in urls if url not in known]
        if rest:
            cached, health = await self._store.load_cards(rest)
            found = await asyncio.gather(
                *(
                    self._one(url, entry, h, now, force, ahead_s)
                    for url, entry, h in zip(rest, cached, health, strict=True)
                )
            )
            known.update(zip(rest, found, strict=True))
        return [known[url] for url in urls]

    async def mark_down(self, url: str, error: str) -> None:
        """Record a failure seen elsewhere (a forward that could not connect), with backoff."""
        self._local.pop(url, None)
        _, health = await self._store.load_cards([url])
        await self._record_failure(url, health[0], error, self._clock())

    async def _one(
        self, url: str, entry: CachedCard | None, health: Health | None, now: float, force: bool, ahead_s: float
    ) -> AgentStatus:
        if health is not None and now < health.next_retry_at and not force:
            wait = health.next_retry_at - now
            return AgentStatus(url, None, "down", f"{health.last_error} (retrying in {wait:.0f} s)")
        if entry is not None and now + ahead_s < entry.fresh_until and not force:
            return AgentStatus(url, self._remember(url, entry, now), "cache")
        try:
            status = await self._fetch(url, entry, now)
        except CardError as exc:
            error = f"agent at {url} is unusable: {exc}"
        except httpx.TimeoutException:
            error = f"agent at {url} did not send its card within {self._config.fetch_timeout_s:g} s"
        except httpx.ConnectError:
            error = f"agent at {url} is down: nothing accepts connections there"
        except httpx.HTTPError as exc:
            error = f"agent at {url} could not be reached: {exc.__class__.__name__}"
        else:
            if health is not None:
                await self._store.save_health(url, None)
            return status
        self._local.pop(url, None)
        await self._record_failure(url, health, error, now)
        return AgentStatus(url, None, "down", error)

    async def _fetch(self, url: str, entry: CachedCard | None, now: float) -> AgentStatus:
        headers = {"If-None-Match": entry.etag} if entry is not None and entry.etag else {}
        response = await self._http.get(
            url + AGENT_CARD_WELL_KNOWN_PATH, headers=headers, timeout=self._config.fetch_timeout_s
        )
        policy = policy_from_header(
            response.headers.get("cache-control"),
            default_ttl_s=self._config.default_ttl_s,
            max_ttl_s=self._config.max_ttl_s,
        )
        if response.status_code == 304 and entry is not None:
            entry.fresh_until = now + policy.ttl_s
            entry.etag = response.headers.get("etag", entry.etag)
            await self._store.save_card(url, entry)
            return AgentStatus(url, self._remember(url, entry, now), "revalidated")
        if response.status_code != 200:
            raise CardError(f"its agent card answered HTTP {response.status_code}")
        card = parse_card_bytes(response.content)
        card_json = card_to_json(card)
        self._parsed[card_json] = card
        entry = CachedCard(card_json, response.headers.get("etag"), now, now + policy.ttl_s)
        if policy.store:
            await self._store.save_card(url, entry)
            return AgentStatus(url, self._remember(url, entry, now), "fetched")
        await self._store.drop_card(url)
        self._local.pop(url, None)
        return AgentStatus(url, Agent(url, card), "fetched")

    def _remember(self, url: str, entry: CachedCard, now: float) -> Agent:
        agent = Agent(url, self._card(entry.card_json))
        self._local[url] = (agent, min(entry.fresh_until, now + self._config.local_ttl_s))
        return agent

    async def _record_failure(self, url: str, health: Health | None, error: str, now: float) -> None:
        failures = (health.failures if health else 0) + 1
        backoff = retry_delay(failures, self._config.retry_base_s, self._config.retry_max_s)
        await self._store.save_health(url, Health(failures, now + backoff, error))
        log.warning("%s; next try in %.0f s", error, backoff)

    def _card(self, card_json: str) -> AgentCard:
        card = self._parsed.get(card_json)
        if card is None:
            if len(self._parsed) > 256:
                self._parsed.clear()
            card = self._parsed[card_json] = card_from_json(card_json)
        return card
