"""Card freshness from Cache-Control."""

from __future__ import annotations

import pytest

from agents.collaborator.cache_policy import CachePolicy, policy_from_header


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, CachePolicy(60.0)),
        ("public, max-age=300", CachePolicy(300.0)),
        ("max-age=300, s-maxage=120", CachePolicy(120.0)),
        ("max-age=999999", CachePolicy(3600.0)),
        ("no-cache", CachePolicy(0.0)),
        ("no-store, max-age=300", CachePolicy(0.0, store=False)),
        ("max-age=soon", CachePolicy(60.0)),
        ('MAX-AGE="30"', CachePolicy(30.0)),
    ],
)
def test_freshness_follows_the_header_within_the_cap(header: str | None, expected: CachePolicy) -> None:
    assert policy_from_header(header, default_ttl_s=60.0, max_ttl_s=3600.0) == expected
