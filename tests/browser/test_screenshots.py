"""Screenshots of the main pages, on realistic mail.

Run with ``UPDATE_SCREENSHOTS=1 python -m pytest tests/browser/test_screenshots.py`` to
refresh ``docs/screenshots/`` (the README shows them); otherwise they go to a temporary
folder and the test only checks that every page renders without a CSP violation.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid
from pathlib import Path

from postroom.store.records import Target
from postroom.store.userdata import NewContact, UserData
from postroom.tenancy.preferences import Preferences
from tests.browser.conftest import Browser, screenshot_dir

INBOX = [
    ("Priya Shah <priya.shah@example.org>", "Timetable for the spring term",
     "Hi Ann, the draft timetable is attached. Could you check the Tuesday slots before "
     "Friday?", True, False, 0.3),
    ("Facilities <facilities@example.org>", "Fire alarm test on Wednesday at 10:00",
     "The weekly fire alarm test will take place as usual. No action is needed.", False,
     False, 2),
    ("Library <library@example.org>", "Your reservation is ready",
     "The book you reserved, 'Teaching Adults', can be collected from the front desk.",
     False, False, 26),
    ("Helen Wright <helen.wright@example.org>", "Minutes of the curriculum meeting",
     "Please find the minutes attached. Actions are highlighted in bold.", True, False, 30),
    ("IT Service Desk <it@example.org>", "Planned maintenance this weekend",
     "The student records system will be unavailable from Saturday 08:00 to 12:00.", False,
     False, 50),
    ("Marta Novak <marta.novak@example.net>", "Open evening volunteers",
     "We still need three volunteers for the open evening on the 14th. Can you help?",
     False, False, 75),
]


def _mail(sender: str, subject: str, body: str, when: datetime,
          attachment: bool = False, parents: tuple[str, ...] = (),
          to: str = "Ann Example <ann@example.org>") -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = make_msgid(domain="example.org")
    if parents:
        msg["In-Reply-To"] = parents[-1]
        msg["References"] = " ".join(parents)
    msg.set_content(body + "\n\nBest wishes,\n" + sender.split(" <")[0] + "\n")
    if attachment:
        msg.add_attachment(b"%PDF-1.4\n" + b"0" * 48_000, maintype="application",
                           subtype="pdf", filename=subject.split(" ")[0] + ".pdf")
    return msg.as_bytes()


def _newsletter(when: datetime) -> bytes:
    msg = EmailMessage()
    msg["From"] = "College News <news@example.org>"
    msg["To"] = "ann@example.org"
    msg["Subject"] = "This week at the college: awards night and a new library wing"
    msg["Date"] = format_datetime(when)
    msg.set_content("This week at the college.")
    msg.add_alternative(
        "<div style='max-width:600px;font-family:Georgia,serif'>"
        "<h1 style='color:#1a449f'>This week at the college</h1>"
        "<img src='https://news.example.org/banner.jpg' width='600' height='180' alt='Banner'>"
        "<h2>Awards night</h2><p>Congratulations to the <b>forty-two</b> learners who "
        "received awards on Thursday. Photos will follow next week.</p>"
        "<h2>A new library wing</h2><p>The new quiet study area opens on Monday, with "
        "sixty desks and late opening until 21:00.</p>"
        "<p style='color:#555'>You receive this newsletter as a member of staff.</p></div>",
        subtype="html")
    return msg.as_bytes()


THREAD = [
    ("Ann Example <ann@example.org>", "Sent", "Visit from the exam board",
     "The exam board visits on Thursday at 09:30. Can someone book a room and parking?"),
    ("Tom Okafor <tom.okafor@example.net>", "INBOX", "Re: Visit from the exam board",
     "I have booked room B12 and the car park for their arrival."),
    ("Helen Wright <helen.wright@example.org>", "INBOX", "Re: Visit from the exam board",
     "Thanks both. I will meet them at reception and bring the portfolio."),
]


async def _conversation(env: Browser, now: datetime) -> None:
    """Ann's question (in Sent) and two replies: one conversation of three."""
    parents: tuple[str, ...] = ()
    for i, (sender, folder, subject, body) in enumerate(THREAD):
        when = now - timedelta(hours=8 - 2 * i)
        raw = _mail(sender, subject, body, when, parents=parents,
                    to="Staff <staff@example.org>")
        parents += (str(BytesParser().parsebytes(raw, headersonly=True)["Message-ID"]),)
        flags = frozenset({"\\Seen"}) if folder == "Sent" else frozenset()
        await env.services.mail.deliver(raw, [Target(env.ann.id, folder, flags)],
                                        internal_date=when)


async def _populate(env: Browser) -> None:
    mail, ann = env.services.mail, env.ann.id
    now = datetime.now(UTC)
    for i, (sender, subject, body, attach, flagged, hours) in enumerate(reversed(INBOX)):
        flags = {"\\Flagged"} if flagged else set()
        if i < 3:
            flags.add("\\Seen")
        when = now - timedelta(hours=hours)
        await mail.deliver(_mail(sender, subject, body, when, attach),
                           [Target(ann, "INBOX", frozenset(flags))], internal_date=when)
    await _conversation(env, now)
    when = now - timedelta(minutes=12)
    await mail.deliver(_newsletter(when), [Target(ann)], internal_date=when)
    await mail.create_folder(ann, "Projects")
    await mail.create_folder(ann, "Projects/Open evening")
    prefs = Preferences(UserData(env.services.db), env.services.tenancy.organisations)
    await prefs.add_filter(env.ann, "from", "noreply@exams.example.net", "move", "Projects")
    await prefs.add_filter(env.ann, "subject", "[Newsletter]", "mark_read")
    await UserData(env.services.db).save_contacts(ann, [
        NewContact("Priya Shah", "priya.shah@example.org", "0161 496 0000"),
        NewContact("Tom Okafor", "tom.okafor@example.net"),
        NewContact("Helen Wright", "helen.wright@example.org", "0161 496 0123")])


async def test_screenshots_of_the_main_pages(web_browser: Browser, tmp_path: Path) -> None:
    env = web_browser
    out = screenshot_dir(tmp_path)
    page = env.page
    await page.goto(env.base + "/mail/login")
    await page.get_by_label("E-mail address").fill("ann@example.org")
    await page.screenshot(path=str(out / "login.png"))
    await _populate(env)
    await env.sign_in()
    await page.screenshot(path=str(out / "inbox.png"))
    await page.get_by_role("link", name="This week at the college").click()
    await page.frame_locator("iframe.body-frame").locator("text=Awards night").wait_for()
    await page.screenshot(path=str(out / "message.png"))
    await page.get_by_role("link", name="Reply", exact=True).click()
    await page.wait_for_function("document.activeElement.id === 'rich-editor'")
    await page.keyboard.type("Thanks, that is good news!")
    await page.screenshot(path=str(out / "compose.png"))
    await page.goto(env.base + "/mail")
    await page.get_by_role("link", name=re.compile("Visit from the exam board")).first.click()
    await page.locator("text=bring the portfolio >> visible=true").first.wait_for()
    await page.screenshot(path=str(out / "conversation.png"))
    await page.goto(env.base + "/mail/search?q=minutes&in=all")
    await page.screenshot(path=str(out / "search.png"))
    await page.goto(env.base + "/mail/settings/away")
    await page.screenshot(path=str(out / "settings.png"))
    await page.goto(env.base + "/mail/settings/filters")
    await page.get_by_label("contains").fill("Open evening")
    await page.screenshot(path=str(out / "filters.png"))
    await page.goto(env.base + "/mail/contacts")
    await page.screenshot(path=str(out / "contacts.png"))
    phone = await env.new_page(viewport={"width": 390, "height": 844}, is_mobile=True,
                               has_touch=True, device_scale_factor=1)
    await env.sign_in(phone)
    await phone.screenshot(path=str(out / "phone-inbox.png"))
    await phone.get_by_role("link", name="Timetable for the spring term").click()
    await phone.get_by_text("draft timetable").wait_for()
    await phone.screenshot(path=str(out / "phone-message.png"))
    assert env.csp_violations() == []
    assert all((out / name).stat().st_size > 5000 for name in (
        "login.png", "inbox.png", "message.png", "compose.png", "phone-inbox.png"))
