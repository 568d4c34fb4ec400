"""A session that ends without QUIT (dropped, timed out, shut down) deletes nothing and
frees the maildrop (RFC 1939 6)."""

from __future__ import annotations

from postroom.app import Services
from tests.protocol.pop3.conftest import Open
from tests.protocol.pop3.transcript import Transcript


async def test_drop_after_dele_removes_nothing(services: Services, ann: int, pop3: Open,
                                               logged_in: Transcript) -> None:
    await logged_in.send("DELE 1")
    await logged_in.send("DELE 2")
    logged_in.close()
    folder = await services.mail.get_folder(ann, "INBOX")
    assert len(await services.mail.messages(ann, folder.id)) == 3
    assert not logged_in.session.env.locks.held(ann)
    again = pop3()
    assert await again.login() == "+OK Logged in\r\n"
    assert (await again.send("STAT")).startswith("+OK 3 ")
