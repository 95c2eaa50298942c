"""Fixtures for the PCAP analyzer tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from pcap_corpus import CAPTURES


@pytest.fixture(scope="session")
def captures() -> Path:
    return CAPTURES
