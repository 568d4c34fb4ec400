"""Conversations in Chromium: three messages of one conversation are one row; opening it
shows all three with the newest open; switching the view off lists three rows."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from postroom.store.records import Target
from tests.browser.conftest import Browser
from tests.unit.store.test_conversations import mail

START = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


async def test_a_conversation_collapses_opens_and_can_be_switched_off(
        web_browser: Browser) -> None:
    env = web_browser
    for minutes, raw in enumerate((
            mail("c1", "Choir practice", body="Practice moves to Thursday.\n"),
            mail("c2", "Re: Choir practice", in_reply_to="c1",
                 sender="Cy <cy@example.net>", body="Thursday suits me.\n"),
            mail("c3", "AW: Re: Choir practice", references="c1 c2",
                 sender="Dora <dora@example.net>", body="Bringing the scores.\n"))):
        await env.services.mail.deliver(raw, [Target(env.ann.id)],
                                        internal_date=START + timedelta(minutes=minutes))
    await env.sign_in()
    page = env.page
    rows = page.locator("#message-list .message-row")
    await rows.first.wait_for()
    assert await rows.count() == 1
    row = rows.first
    assert await row.locator(".thread-count").inner_text() == "3"
    assert "Bob, Cy, Dora" in await row.locator(".col-from").inner_text()

    await page.keyboard.press("j")  # the list's shortcuts work on conversation rows
    await page.keyboard.press("o")
    await page.wait_for_url(re.compile(r"/mail/c/\d+/\d+$"))
    messages = page.locator(".conversation-message")
    assert await messages.count() == 3
    assert await page.locator(".conversation-message[open]").count() == 1

    def body(text: str):  # type: ignore[no-untyped-def]
        return page.locator(".plain-body", has_text=text)

    assert await body("Bringing the scores.").is_visible()
    assert not await body("Practice moves to Thursday.").is_visible()
    await messages.first.locator("summary").click()  # an older message opens on a click
    await body("Practice moves to Thursday.").wait_for()

    await page.keyboard.press("u")  # back to the folder
    await page.wait_for_url("**/mail/f/*")
    toggle = page.get_by_role("button", name="Conversations", exact=True)
    assert await toggle.get_attribute("aria-pressed") == "true"
    assert (await toggle.inner_text()).split() == ["Conversations", "on"]
    await toggle.click()
    await page.wait_for_url("**/mail/f/*")
    await page.get_by_role("button", name="Conversations", pressed=False).wait_for()
    assert (await toggle.inner_text()).split() == ["Conversations", "off"]
    assert await page.locator("#message-list .message-row").count() == 3
    assert env.csp_violations() == []
