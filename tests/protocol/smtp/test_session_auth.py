"""AUTH (RFC 4954): PLAIN and LOGIN, with and without initial response; where a password
may be sent; one answer for unknown users and wrong passwords; throttling; SMTP access."""

from __future__ import annotations

import base64

from postroom.protocols.smtp.context import Mode
from postroom.tenancy.auth import ThrottlePolicy
from tests.factories import PASSWORD
from tests.protocol.smtp.conftest import DialogFactory
from tests.protocol.smtp.transcript import SmtpWorld, codes


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


PLAIN_OK = b64(f"\0ann@example.org\0{PASSWORD}")


async def test_plain_with_initial_response(dialog_factory: DialogFactory) -> None:
    d = await dialog_factory(Mode.SUBMISSION)
    await d.one("EHLO a.example")
    assert (await d.one(f"AUTH PLAIN {PLAIN_OK}")).startswith("235 2.7.0")
    assert (await d.one("MAIL FROM:<ann@example.org>")).startswith("250")


async def test_plain_without_initial_response(dialog_factory: DialogFactory) -> None:
    d = await dialog_factory(Mode.SUBMISSION)
    await d.one("EHLO a.example")
    assert (await d.one("AUTH PLAIN")) == "334 "
    assert (await d.one(PLAIN_OK)).startswith("235")


async def test_login_mechanism(dialog_factory: DialogFactory) -> None:
    d = await dialog_factory(Mode.SUBMISSION)
    await d.one("EHLO a.example")
    assert (await d.one("AUTH LOGIN")) == "334 VXNlcm5hbWU6"
    assert (await d.one(b64("ann@example.org"))) == "334 UGFzc3dvcmQ6"
    assert (await d.one(b64(PASSWORD))).startswith("235")


async def test_login_with_initial_response(dialog_factory: DialogFactory) -> None:
    d = await dialog_factory(Mode.SUBMISSION)
    await d.one("EHLO a.example")
    assert (await d.one(f"AUTH LOGIN {b64('ann@example.org')}")) == "334 UGFzc3dvcmQ6"
    assert (await d.one(b64(PASSWORD))).startswith("235")


async def test_wrong_password_and_unknown_user_look_alike(dialog_factory: DialogFactory) -> None:
    d = await dialog_factory(Mode.SUBMISSION)
    await d.one("EHLO a.example")
    wrong = await d.one(f"AUTH PLAIN {b64(chr(0) + 'ann@example.org' + chr(0) + 'nope-nope')}")
    unknown = await d.one(f"AUTH PLAIN {b64(chr(0) + 'who@example.org' + chr(0) + PASSWORD)}")
    assert wrong == unknown == "535 5.7.8 Authentication credentials invalid"


async def test_cancel_and_bad_base64(dialog_factory: DialogFactory) -> None:
    d = await dialog_factory(Mode.SUBMISSION)
    await d.one("EHLO a.example")
    await d.one("AUTH LOGIN")
    assert (await d.one("*")).startswith("501")
    await d.one("AUTH PLAIN")
    assert (await d.one("not base64!")).startswith("501")
    assert (await d.one("AUTH CRAM-MD5")).startswith("504")


async def test_auth_twice_and_inside_a_transaction(dialog_factory: DialogFactory) -> None:
    d = await dialog_factory(Mode.SUBMISSION)
    await d.one("EHLO a.example")
    await d.one(f"AUTH PLAIN {PLAIN_OK}")
    assert (await d.one(f"AUTH PLAIN {PLAIN_OK}")).startswith("503")
    await d.one("MAIL FROM:<ann@example.org>")
    assert (await d.one(f"AUTH PLAIN {PLAIN_OK}")).startswith("503")


async def test_no_password_before_tls_off_loopback(world: SmtpWorld) -> None:
    for mode in (Mode.MX, Mode.SUBMISSION):
        t = await world.talk(mode, peer_ip="192.0.2.10")
        await t.ehlo()
        assert (await t.line(f"AUTH PLAIN {PLAIN_OK}")).startswith("530 5.7.0")
        assert t.session.account is None


async def test_plaintext_policy_never_refuses_loopback_too(world: SmtpWorld) -> None:
    t = await world.talk(Mode.SUBMISSION, peer_ip="127.0.0.1",
                         plaintext_allowed=lambda ip, tls: tls)
    await t.ehlo()
    assert (await t.line(f"AUTH PLAIN {PLAIN_OK}")).startswith("530")


async def test_organisation_without_smtp_access(world: SmtpWorld) -> None:
    org = await world.services.tenancy.organisations.get("Example College")
    await world.services.tenancy.organisations.set_smtp_access(org.id, False)
    t = await world.talk(Mode.SUBMISSION, peer_ip="127.0.0.1")
    await t.ehlo()
    assert (await t.login()).startswith("535 5.7.1 SMTP access is not enabled")
    assert (await t.line("MAIL FROM:<ann@example.org>")).startswith("530")


async def test_three_failures_end_the_session(world: SmtpWorld) -> None:
    world.services.tenancy.auth.policy = ThrottlePolicy(free_failures=10)
    t = await world.talk(Mode.SUBMISSION, peer_ip="127.0.0.1")
    await t.ehlo()
    assert codes(await t.login(password="wrong-1")) == ["535"]
    assert codes(await t.login(password="wrong-2")) == ["535"]
    assert codes(await t.login(password="wrong-3")) == ["535", "421"]
    assert t.session.closing


async def test_failures_get_throttled_then_blocked(world: SmtpWorld) -> None:
    world.services.tenancy.auth.policy = ThrottlePolicy(
        free_failures=1, max_delay=0.05, block_account_after=4)
    replies = []
    for i in range(3):
        t = await world.talk(Mode.SUBMISSION, peer_ip="127.0.0.1")
        await t.ehlo()
        replies += [await t.login(password=f"wrong-{i}-a"), await t.login(password="wrong-b")]
    assert replies[-1].startswith("454 4.7.0")
    # Even the right password is refused while the account is blocked.
    t = await world.talk(Mode.SUBMISSION, peer_ip="127.0.0.1")
    await t.ehlo()
    assert (await t.login()).startswith("454 4.7.0")
