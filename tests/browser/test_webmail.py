"""The web mail in Chromium: sign in, read mail delivered by SMTP, search, live updates,
drafts, downloads, a reply read back over IMAP, the vacation reply and filters applied at
delivery, keyboard and drag and drop, and a phone-sized screen."""

from __future__ import annotations

import asyncio
import re
from email.message import EmailMessage
from pathlib import Path

from postroom.store.records import Target
from tests.browser.clients import imap_messages, send_as, send_by_mx
from tests.browser.conftest import Browser
from tests.factories import make_message

BINARY = bytes(range(256)) * 40 + b"\x00\xff end"


async def _deliver(env: Browser, raw: bytes, account_id: int | None = None) -> None:
    await env.services.mail.deliver(raw, [Target(account_id or env.ann.id)])


def _html_mail(subject: str, body: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Newsletter <news@example.net>"
    msg["To"] = "ann@example.org"
    msg["Subject"] = subject
    msg.set_content("plain alternative")
    msg.add_alternative(f"<p>{body}</p><img src='http://127.0.0.1:9/pixel.png'>"
                        "<script>alert('xss')</script>", subtype="html")
    return msg.as_bytes()


async def test_sign_in_open_a_message_and_see_no_csp_violation(web_browser: Browser) -> None:
    env = web_browser
    await send_by_mx(env, "news@example.net", ["ann@example.org"],
                     _html_mail("Spring programme", "Courses start in <b>April</b>."))
    await env.sign_in()
    page = env.page
    await page.get_by_role("link", name=re.compile("Spring programme")).click()
    await page.wait_for_url("**/mail/m/**")
    frame = page.frame_locator("iframe.body-frame")
    await frame.locator("text=Courses start in").wait_for()
    assert await frame.locator("b").inner_text() == "April"
    assert await page.get_by_text("1 remote image was blocked").is_visible()
    assert env.dialogs == []  # the script in the mail never ran
    assert env.csp_violations() == []


async def test_search_finds_a_word_from_a_body(web_browser: Browser) -> None:
    env = web_browser
    await _deliver(env, make_message("Minutes", body="We agreed on the xylophone budget.\n"))
    await _deliver(env, make_message("Other", body="Nothing to see.\n"))
    await env.sign_in()
    await env.page.get_by_label("Search mail").fill("xylophone")
    await env.page.keyboard.press("Enter")
    await env.page.wait_for_url(re.compile(r"/mail/search\?"))
    rows = env.page.locator(".message-row")
    await rows.first.wait_for()
    assert await rows.count() == 1
    assert "Minutes" in await rows.first.inner_text()


async def test_new_mail_appears_without_reload(web_browser: Browser) -> None:
    env = web_browser
    await env.sign_in()
    page = env.page
    await page.wait_for_function("document.body.dataset.live === 'on'")
    await asyncio.sleep(0.5)  # the event stream is open
    await page.evaluate("window.__sameDocument = true")
    await _deliver(env, make_message("Hot off the press", body="Fresh.\n"))
    await page.get_by_text("Hot off the press").wait_for(timeout=10_000)
    assert await page.evaluate("window.__sameDocument === true")  # no reload happened
    assert await page.locator("#folder-list .count").first.text_content() == "1 unread"


async def test_a_draft_survives_a_reload(web_browser: Browser) -> None:
    env = web_browser
    await env.sign_in()
    page = env.page
    await page.get_by_role("link", name="Write").click()
    await page.wait_for_url("**/mail/compose")
    await page.get_by_label("To", exact=True).fill("carol@example.net")
    await page.get_by_label("Subject").fill("Draft that must survive")
    await page.locator("#rich-editor").click()
    await page.keyboard.type("Half-written thoughts")
    await page.get_by_text("Draft saved at").wait_for(timeout=15_000)
    await page.reload()
    assert await page.get_by_label("Subject").input_value() == "Draft that must survive"
    assert "Half-written thoughts" in await page.locator("#rich-editor").inner_text()
    drafts = await env.services.mail.get_folder(env.ann.id, "Drafts")
    assert len(await env.services.mail.messages(env.ann.id, drafts.id)) == 1


async def test_an_attachment_downloads_byte_identical(web_browser: Browser,
                                                      tmp_path: Path) -> None:
    env = web_browser
    msg = EmailMessage()
    msg["From"] = "Bob <bob@example.org>"
    msg["To"] = "ann@example.org"
    msg["Subject"] = "The data"
    msg.set_content("Attached.")
    msg.add_attachment(BINARY, maintype="application", subtype="octet-stream",
                       filename="données.bin")
    await _deliver(env, msg.as_bytes())
    await env.sign_in()
    page = env.page
    await page.get_by_role("link", name=re.compile("The data")).click()
    async with page.expect_download() as info:
        await page.get_by_role("link", name=re.compile("données.bin")).click()
    download = await info.value
    assert download.suggested_filename == "données.bin"
    target = tmp_path / "saved.bin"
    await download.save_as(target)
    assert target.read_bytes() == BINARY


async def test_reply_is_sent_and_arrives(web_browser: Browser) -> None:
    env = web_browser
    await _deliver(env, make_message("Lunch?", body="Friday at noon?\n",
                                     sender="Bob <bob@example.org>"))
    await env.sign_in()
    page = env.page
    await page.get_by_role("link", name=re.compile("Lunch\\?")).click()
    await page.wait_for_url("**/mail/m/**")
    await page.wait_for_function("document.readyState === 'complete'")
    await page.keyboard.press("r")  # the reply shortcut
    await page.wait_for_url(re.compile(r"/mail/compose\?reply="))
    assert await page.get_by_label("Subject").input_value() == "Re: Lunch?"
    await page.locator("#rich-editor").click()
    await page.keyboard.press("Control+Home")
    await page.keyboard.type("Friday is perfect.")
    await page.get_by_role("button", name="Send").click()
    await page.get_by_text("Your message was sent.").wait_for()
    [raw] = await imap_messages(env, "bob@example.org")  # bob reads it with an IMAP client
    assert b"Subject: Re: Lunch?" in raw and b"Friday is perfect." in raw
    assert b"DKIM-Signature:" in raw and b"In-Reply-To: " in raw


async def test_the_vacation_reply_is_sent_once(web_browser: Browser) -> None:
    env = web_browser
    await env.sign_in()
    page = env.page
    await page.goto(env.base + "/mail/settings/away")
    await page.get_by_label("Send a vacation reply").check()
    await page.get_by_label("Subject").fill("Away this week")
    await page.get_by_label("Message").fill("I am on leave until Monday.")
    await page.get_by_role("button", name="Save").first.click()
    await page.get_by_text("Your vacation reply is on.").wait_for()
    for subject in ("Budget", "Budget, again"):
        await send_as(env, "bob@example.org", ["ann@example.org"],
                      make_message(subject, sender="bob@example.org"))
    replies = await imap_messages(env, "bob@example.org")
    assert len(replies) == 1  # two messages, one reply (RFC 3834)
    assert b"Auto-Submitted: auto-replied" in replies[0]
    assert b"Subject: Away this week" in replies[0]
    assert b"I am on leave until Monday." in replies[0]
    assert len(await imap_messages(env, "ann@example.org")) == 2


async def test_a_filter_moves_a_message(web_browser: Browser) -> None:
    env = web_browser
    await env.sign_in()
    page = env.page
    await page.goto(env.base + "/mail/folders")
    await page.get_by_label("Name").fill("Receipts")
    await page.get_by_role("button", name="Create").click()
    await page.goto(env.base + "/mail/settings/filters")
    await page.get_by_label("If").select_option("subject")
    await page.get_by_label("contains").fill("receipt")
    await page.get_by_label("then").select_option("move")
    await page.get_by_label("Folder (for move)").select_option("Receipts")
    await page.get_by_role("button", name="Add filter").click()
    await page.get_by_text("receipt").first.wait_for()
    await send_by_mx(env, "shop@example.net", ["ann@example.org"],
                     make_message("Your receipt for order 42", body="Paid.\n",
                                  sender="shop@example.net"))
    await send_by_mx(env, "bob@example.net", ["ann@example.org"],
                     make_message("Not a match", sender="bob@example.net"))
    await page.goto(env.base + "/mail")
    await page.get_by_text("Not a match").wait_for()
    assert await page.get_by_text("Your receipt for order 42").count() == 0
    await page.locator('#folder-list [data-drop-folder="Receipts"]').click()
    await page.get_by_role("link", name=re.compile("Your receipt for order 42")).wait_for()
    assert len(await imap_messages(env, "ann@example.org", "Receipts")) == 1


async def test_keyboard_help_and_drag_to_folder(web_browser: Browser) -> None:
    env = web_browser
    await _deliver(env, make_message("Drag me", body="x\n"))
    await env.sign_in()
    page = env.page
    await page.keyboard.press("?")
    assert await page.locator("#help-dialog").is_visible()
    await page.keyboard.press("Escape")
    await page.locator(".message-row").first.drag_to(
        page.locator('#folder-list [data-drop-folder="Archive"]'))
    archive = await env.services.mail.get_folder(env.ann.id, "Archive")
    for _ in range(50):
        if await env.services.mail.messages(env.ann.id, archive.id):
            break
        await asyncio.sleep(0.1)
    assert len(await env.services.mail.messages(env.ann.id, archive.id)) == 1
    await page.get_by_text("No messages here.").wait_for()


async def test_phone_sized_screen_is_usable(web_browser: Browser) -> None:
    env = web_browser
    await _deliver(env, make_message("Read me on the bus", body="Small screens too.\n"))
    page = await env.new_page(viewport={"width": 390, "height": 844}, is_mobile=True,
                              has_touch=True)
    await env.sign_in(page)
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing sticks out sideways
    assert not await page.locator("#sidebar").is_visible() or \
        (await page.locator("#sidebar").bounding_box() or {"x": -1})["x"] < 0
    await page.get_by_role("button", name="Folders").click()
    await page.locator('#sidebar a[data-drop-folder="Sent"]').wait_for(state="visible")
    await page.get_by_role("button", name="Folders").click()
    await page.get_by_role("link", name=re.compile("Read me on the bus")).click()
    await page.get_by_text("Small screens too.").wait_for()
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
