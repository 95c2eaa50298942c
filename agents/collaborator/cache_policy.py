"""How long a fetched card stays fresh, from its `Cache-Control` header (RFC 9111, the subset
that matters for a card: max-age, s-maxage, no-cache, no-store)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CachePolicy:
    """Freshness of one response: `ttl_s` seconds fresh, or `store` False to keep no copy."""

    ttl_s: float
    store: bool = True


def policy_from_header(header: str | None, *, default_ttl_s: float, max_ttl_s: float) -> CachePolicy:
    """Freshness lifetime for a card response.

    No header means the agent said nothing, so a default applies; `no-cache` means "revalidate
    every time" (ttl 0, the ETag still saves the body); `no-store` means keep nothing. The TTL
    is capped so that a card served with a year-long max-age is still revalidated now and then.
    """
    if not header:
        return CachePolicy(ttl_s=min(default_ttl_s, max_ttl_s))
    directives: dict[str, str | None] = {}
    for raw in header.split(","):
        name, _, value = raw.strip().partition("=")
        if name:
            directives[name.strip().lower()] = value.strip().strip('"') or None
    if "no-store" in directives:
        return CachePolicy(ttl_s=0.0, store=False)
    if "no-cache" in directives:
        return CachePolicy(ttl_s=0.0)
    for name in ("s-maxage", "max-age"):
        value = directives.get(name)
        if value is not None:
            try:
                seconds = float(int(value))
            except ValueError:
                continue
            return CachePolicy(ttl_s=max(0.0, min(seconds, max_ttl_s)))
    return CachePolicy(ttl_s=min(default_ttl_s, max_ttl_s))
