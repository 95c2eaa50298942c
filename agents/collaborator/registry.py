"""Which agents the collaborator knows: base URLs from `NETOPS_AGENT_URLS`, re-read on demand.

The server reloads on SIGHUP and on the refresh timer; a reload that finds a bad value keeps
the URLs it had and reports why, so a typo in `.env` never empties a running collaborator.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

log = logging.getLogger(__name__)


def normalize_agent_url(url: str) -> str:
    """Check an agent base URL and return it without a trailing slash.

    It is fetched and posted to, so only plain http(s) URLs with a host are accepted: no user
    info (credentials belong in NETOPS_AGENT_TOKEN), no query or fragment.
    """
    text = url.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"agent URL {text!r} is not an http:// or https:// URL with a host")
    if parts.username or parts.password:
        raise ValueError(f"agent URL {parts.hostname!r} carries credentials; use NETOPS_AGENT_TOKEN instead")
    if parts.query or parts.fragment:
        raise ValueError(f"agent URL {text!r} has a query or fragment; give the agent's base URL only")
    try:
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise ValueError(f"agent URL {text!r} has an invalid port") from None
    return text.rstrip("/")


class Registry:
    """The current agent URLs; `reload()` swaps them atomically when the source changes."""

    def __init__(self, source: Callable[[], Sequence[str]]) -> None:
        self._source = source
        self._urls: tuple[str, ...] = self._read()

    def _read(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(normalize_agent_url(url) for url in self._source()))

    def urls(self) -> tuple[str, ...]:
        return self._urls

    def reload(self) -> tuple[set[str], set[str]]:
        """Re-read the source; returns (added, removed). On a bad value, keeps the old URLs."""
        try:
            fresh = self._read()
        except Exception as exc:
            log.warning("keeping the current agent URLs: %s", exc)
            return set(), set()
        added, removed = set(fresh) - set(self._urls), set(self._urls) - set(fresh)
        if added or removed:
            log.info("agent URLs changed: added %s, removed %s", sorted(added), sorted(removed))
        self._urls = fresh
        return added, removed
