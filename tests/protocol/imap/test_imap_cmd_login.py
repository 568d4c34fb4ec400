"""LOGIN (RFC 9051 6.2.3): throttled, privacy-checked, same answer for every failure."""

from __future__ import annotations

from tests.factories import PASSWORD
from tests.protocol.imap.conftest import Open


async def test_login_ok_with_capabilities(imap: Open, ann: int) -> None:
    reply = await imap().send(f'a LOGIN ann@example.org "{PASSWORD}"')
    assert reply.startswith("a OK [CAPABILITY IMAP4rev1 ")
    assert "IDLE" in reply and reply.endswith("Logged in\r\n")


async def test_wrong_password_and_unknown_user_answer_alike(imap: Open, ann: int) -> None:
    t = imap()
    wrong = await t.send("a LOGIN ann@example.org wrong")
    unknown = await t.send(f'b LOGIN nobody@example.org "{PASSWORD}"')
    assert wrong == "a NO [AUTHENTICATIONFAILED] Authentication failed\r\n"
    assert unknown == "b NO [AUTHENTICATIONFAILED] Authentication failed\r\n"


async def test_three_failures_disconnect(imap: Open, ann: int) -> None:
    t = imap()
    for tag in "ab":
        await t.send(f"{tag} LOGIN ann@example.org wrong")
    reply = await t.send("c LOGIN ann@example.org wrong")
    assert reply.endswith("* BYE Too many failed logins\r\n") and t.closing


async def test_privacy_required_without_tls(imap: Open, ann: int) -> None:
    reply = await imap(peer_ip="192.0.2.7").send(f'a LOGIN ann@example.org "{PASSWORD}"')
    assert reply == "a NO [PRIVACYREQUIRED] Use STARTTLS first\r\n"


async def test_login_with_literals(imap: Open, ann: int) -> None:
    t = imap()
    assert await t.raw(b"a LOGIN {15}\r\n") == b"+ Ready for literal data\r\n"
    reply = await t.raw(b"ann@example.org {%d+}\r\n%s\r\n" % (len(PASSWORD), PASSWORD.encode()))
    assert reply.startswith(b"a OK [CAPABILITY")


async def test_connections_per_user_and_ip_are_limited(imap: Open, ann: int) -> None:
    sessions = [imap() for _ in range(10)]
    for t in sessions:
        await t.login()
    reply = await imap().send(f'a LOGIN ann@example.org "{PASSWORD}"')
    assert reply == "a NO [LIMIT] Too many connections from this user and address\r\n"
    await sessions[0].send("z LOGOUT")
    await sessions[0].close()
    await imap().login()


async def test_throttled_after_many_failures(imap: Open, ann: int) -> None:
    from postroom.errors import Throttled

    env_t = imap()
    auth = env_t.session.env.auth

    async def blocked(*args: object, **kwargs: object) -> None:
        raise Throttled()

    auth.login = blocked  # type: ignore[method-assign]
    reply = await env_t.send(f'a LOGIN ann@example.org "{PASSWORD}"')
    assert reply == "a NO [UNAVAILABLE] Too many failed attempts, try again later\r\n"
