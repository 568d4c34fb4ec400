"""Server-sent events: a delivery shows up in the signed-in user's event stream."""

from __future__ import annotations

import asyncio

import httpx

from postroom.app import Services
from postroom.store.records import Target
from tests.factories import PASSWORD, make_account, make_message, make_org
from tests.web.live import live_sign_in, running_server


async def _read_until(lines: object, wanted: str, seconds: float = 10.0) -> list[str]:
    seen: list[str] = []

    async def read() -> None:
        async for line in lines:  # type: ignore[attr-defined]
            seen.append(line)
            if line.startswith(wanted):
                return

    await asyncio.wait_for(read(), seconds)
    return seen


async def test_delivery_is_announced_on_the_event_stream(services: Services) -> None:
    await make_org(services)
    ann = await make_account(services, "ann@example.org")
    other = await make_account(services, "bob@example.org")
    inbox = await services.mail.get_folder(ann.id, "INBOX")
    async with running_server(services) as base, httpx.AsyncClient(base_url=base) as client:
        await live_sign_in(client, "ann@example.org", PASSWORD)
        async with client.stream("GET", "/mail/events", timeout=15) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            lines = response.aiter_lines()
            await _read_until(lines, "event: hello")
            # Another account's mail is not announced to ann; her own is.
            await services.mail.deliver(make_message("For Bob"), [Target(other.id)])
            await services.mail.deliver(make_message("For Ann"), [Target(ann.id)])
            await _read_until(lines, "event: added")
            data = (await _read_until(lines, "data:"))[-1]
            assert f'"folder": {inbox.id}' in data
            assert "For Ann" not in data  # hints only, never content


async def test_event_stream_needs_a_session(services: Services) -> None:
    await make_org(services)
    async with running_server(services) as base, httpx.AsyncClient(base_url=base) as client:
        response = await client.get("/mail/events")
        assert response.status_code == 401
