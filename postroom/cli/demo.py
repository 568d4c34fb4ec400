"""``postroom demo``: an organisation to try everything with, in one command.

Creates the organisation ``Example Organisation`` with the domain ``example.test``,
three accounts (an administrator and two users), an alias, and some mail in their
folders, then prints the logins. Run again, it keeps what exists and gives the demo
accounts new passwords (printed again).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import click

from postroom.app import Services
from postroom.cli.common import with_services
from postroom.errors import NotFound
from postroom.store.records import Role
from postroom.tenancy.passwords import generate_password

ORG = "Example Organisation"
DOMAIN = "example.test"
ACCOUNTS = (
    ("admin", "Ada Admin", Role.ORG_ADMIN),
    ("alice", "Alice Example", Role.USER),
    ("bob", "Bob Example", Role.USER),
)


def _mail(sender: str, to: str, subject: str, body: str, when: datetime,
          attachment: tuple[str, bytes] | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = make_msgid(domain=DOMAIN)
    msg.set_content(body)
    if attachment:
        name, data = attachment
        msg.add_attachment(data, maintype="text", subtype="csv", filename=name)
    return msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))


async def _seed(services: Services) -> None:
    """Put sample mail in the demo folders, unless alice has mail already."""
    now = datetime.now(UTC)
    alice = await services.tenancy.accounts.get(f"alice@{DOMAIN}")
    bob = await services.tenancy.accounts.get(f"bob@{DOMAIN}")
    mail = services.mail
    inbox = await mail.get_folder(alice.id, "INBOX")
    if await mail.messages(alice.id, inbox.id):
        return
    samples = [
        (alice.id, "INBOX", _mail(f"Ada Admin <admin@{DOMAIN}>", f"alice@{DOMAIN}",
                                  "Welcome to Postroom",
                                  "Your mailbox is ready. Read it here, or with any IMAP or "
                                  "POP3 client.\n", now - timedelta(days=2)), ()),
        (alice.id, "INBOX", _mail(f"Bob Example <bob@{DOMAIN}>", f"alice@{DOMAIN}",
                                  "Minutes of Tuesday's meeting",
                                  "Hello Alice,\n\nthe minutes are attached.\n\nBob\n",
                                  now - timedelta(hours=5),
                                  ("minutes.csv", b"item,owner\nbudget,alice\n")), ()),
        (alice.id, "INBOX", _mail(f"Bob Example <bob@{DOMAIN}>", f"alice@{DOMAIN}",
                                  "Lunch on Friday?", "Shall we try the new place?\n",
                                  now - timedelta(minutes=30)), ("\\Flagged",)),
        (bob.id, "Sent", _mail(f"Bob Example <bob@{DOMAIN}>", f"alice@{DOMAIN}",
                               "Lunch on Friday?", "Shall we try the new place?\n",
                               now - timedelta(minutes=30)), ("\\Seen",)),
        (bob.id, "INBOX", _mail(f"Alice Example <alice@{DOMAIN}>", f"bob@{DOMAIN}",
                                "Re: Minutes of Tuesday's meeting", "Thanks, Bob!\n",
                                now - timedelta(hours=4)), ()),
    ]
    for account_id, folder, raw, flags in samples:
        await mail.append(account_id, folder, raw, flags)


@click.command()
@with_services
async def demo(services: Services) -> None:
    """Create a demo organisation (example.test) with accounts and mail; print the logins."""
    t = services.tenancy
    try:
        organisation = await t.organisations.get(ORG)
        created = False
    except NotFound:
        organisation = await t.organisations.create(ORG, mailboxes=10, storage=10 * 1024**3)
        created = True
    if await t.organisations.find_domain(DOMAIN) is None:
        await t.organisations.add_domain(organisation.name, DOMAIN)
    logins = []
    for local, name, role in ACCOUNTS:
        address = f"{local}@{DOMAIN}"
        password = generate_password()
        try:
            await t.accounts.get(address)
            await t.accounts.set_password(address, password)
        except NotFound:
            await t.accounts.add(address, password, quota=1024**3, role=role,
                                 display_name=name)
        logins.append((address, password, role))
    if not (await t.recipients.resolve(f"info@{DOMAIN}")).deliverable:
        await t.recipients.add_alias(f"info@{DOMAIN}", [f"alice@{DOMAIN}", f"bob@{DOMAIN}"])
    await _seed(services)
    click.echo(f"demo organisation {ORG!r} with domain {DOMAIN}"
               + (" created" if created else " (already there: new passwords)"))
    for address, password, role in logins:
        click.echo(f"  {address:<24} password {password}   ({role.value})")
    settings = services.settings
    click.echo(f"web mail:  http://{settings.listen_address}:{settings.http_port}/mail")
    click.echo(f"IMAP: {settings.listen_address}:{settings.imap_port}  "
               f"POP3: {settings.listen_address}:{settings.pop3_port}  "
               f"SMTP submission: {settings.listen_address}:{settings.submission_port}")
