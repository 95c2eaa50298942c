"""Lab fixtures: a shared lab for tests that only read, a fresh one for tests that change hosts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agents.lab.server import Lab, LabConfig


@pytest.fixture(scope="module")
def shared_lab() -> Iterator[Lab]:
    """One seeded lab per test module; tests using it must not change host state."""
    with Lab(config=LabConfig(nfm_polls_before_success=1)) as lab:
        yield lab


@pytest.fixture
def fresh_lab() -> Iterator[Lab]:
    """A lab of its own (its own moto account), for tests that run fixes or change hosts."""
    with Lab() as lab:
        yield lab
