"""Fixtures for SMTP transcripts: a populated store and its delivery services."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from postroom.app import Services
from tests.protocol.smtp.transcript import SmtpWorld, make_world


@pytest.fixture
async def world(services: Services) -> AsyncIterator[SmtpWorld]:
    w = await make_world(services)
    yield w
    await w.delivery.close()
