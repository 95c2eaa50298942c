"""The fake Slack Web API and the test A2A agent as fixtures, for every suite that runs the bot against them.

The bot suite and the fault suite both start them the same way; a conftest imports these
two names to have them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from bot_fake_agent import FakeAgent
from bot_fake_slack import FakeSlack
from bot_servers import serving


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    slack = FakeSlack()
    await slack.start()
    try:
        yield slack
    finally:
        await slack.stop()


@pytest.fixture
async def agent() -> AsyncIterator[FakeAgent]:
    fake = FakeAgent()
    async with serving(fake.app):
        yield fake
