"""Real clients over loopback: stdlib smtplib and swaks send to the MX port and through
submission (587 with STARTTLS, 465 with implicit TLS) with AUTH PLAIN and LOGIN. The
messages are in the recipients' INBOX byte for byte, after the added trace fields."""

from __future__ import annotations

import asyncio
import os
import shutil
import smtplib
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from postroom.app import Services
from tests.e2e.smtp_peer import Peer, remote_dns
from tests.factories import PASSWORD, make_message
from tests.protocol.smtp.transcript import Ports, SmtpWorld, client_tls, make_world, start_server

pytestmark = pytest.mark.slow


@pytest.fixture
async def live(services: Services) -> AsyncIterator[tuple[SmtpWorld, Ports]]:
    world = await make_world(services)
    ports, listeners = await start_server(world)
    yield world, ports
    for listener in listeners:
        await listener.close()
    await world.delivery.close()


def stored_body(stored: bytes, sent: bytes) -> bytes:
    assert stored.endswith(sent)
    trace = stored[: -len(sent)]
    assert trace.startswith(b"Received: ")
    return sent


def _tls(cert: Path) -> ssl.SSLContext:
    return client_tls(cert)


async def test_smtplib_to_the_mx(live: tuple[SmtpWorld, Ports]) -> None:
    world, ports = live
    message = make_message(subject="via smtplib", body="Hello\n.dot line\n")

    def send() -> dict[str, tuple[int, bytes]]:
        with smtplib.SMTP("127.0.0.1", ports.mx, timeout=30) as client:
            return client.sendmail("bob@remote.test", ["ann@example.org", "team@example.org"],
                                   message)

    refused = await asyncio.to_thread(send)
    assert refused == {}
    [ann] = await world.inbox(world.ann)
    [bob] = await world.inbox(world.bob)
    stored_body(ann, message)
    stored_body(bob, message)


async def test_smtplib_relay_is_refused(live: tuple[SmtpWorld, Ports]) -> None:
    _, ports = live

    def send() -> None:
        with smtplib.SMTP("127.0.0.1", ports.mx, timeout=30) as client:
            client.sendmail("bob@remote.test", ["victim@elsewhere.test"], make_message())

    with pytest.raises(smtplib.SMTPRecipientsRefused) as info:
        await asyncio.to_thread(send)
    assert info.value.recipients["victim@elsewhere.test"][0] == 550


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
async def test_smtplib_submission_starttls(live: tuple[SmtpWorld, Ports], mechanism: str) -> None:
    world, ports = live
    message = make_message(sender="Ann <ann@example.org>", to="bob@example.org")

    def send() -> None:
        with smtplib.SMTP("127.0.0.1", ports.submission, timeout=30) as client:
            client.starttls(context=_tls(ports.cert))
            client.ehlo()
            client.user, client.password = "ann@example.org", PASSWORD
            auth = client.auth_plain if mechanism == "PLAIN" else client.auth_login
            client.auth(mechanism, auth, initial_response_ok=mechanism == "PLAIN")
            client.sendmail("ann@example.org", ["bob@example.org"], message)

    await asyncio.to_thread(send)
    [stored] = await world.inbox(world.bob)
    assert stored.startswith(b"DKIM-Signature:")  # signed with example.org's key
    assert stored.endswith(message.split(b"\r\n\r\n", 1)[1])


async def test_smtplib_implicit_tls_and_send_as(live: tuple[SmtpWorld, Ports]) -> None:
    world, ports = live

    def send(sender: str) -> None:
        with smtplib.SMTP_SSL("127.0.0.1", ports.submissions, timeout=30,
                              context=_tls(ports.cert)) as client:
            client.login("ann@example.org", PASSWORD)
            client.sendmail(sender, ["bob@example.org"],
                            make_message(sender=sender, to="bob@example.org"))

    await asyncio.to_thread(send, "team@example.org")
    with pytest.raises(smtplib.SMTPSenderRefused) as info:
        await asyncio.to_thread(send, "bob@example.org")
    assert info.value.smtp_code == 553
    assert len(await world.inbox(world.bob)) == 1


async def test_submission_to_a_remote_address_goes_out(services: Services) -> None:
    world = await make_world(services)
    with Peer() as peer:
        remote_dns(world.resolver)
        from postroom.delivery import build_delivery

        world.delivery = build_delivery(services.settings, services.tenancy, services.mail,
                                        resolver=world.resolver, outbound_port=peer.port)
        ports, listeners = await start_server(world)

        def send() -> None:
            with smtplib.SMTP_SSL("127.0.0.1", ports.submissions, timeout=30,
                                  context=_tls(ports.cert)) as client:
                client.login("ann@example.org", PASSWORD)
                client.sendmail("ann@example.org", ["friend@remote.test", "bob@example.org"],
                                make_message(sender="ann@example.org", to="friend@remote.test"))

        try:
            await asyncio.to_thread(send)
            await world.delivery.worker.run_once()
        finally:
            for listener in listeners:
                await listener.close()
        assert [m.recipients for m in peer.messages] == [["friend@remote.test"]]
        assert len(await world.inbox(world.bob)) == 1


# --- swaks -----------------------------------------------------------------------------

SWAKS = shutil.which("swaks")
needs_swaks = pytest.mark.skipif(SWAKS is None, reason="swaks is not installed")


async def swaks(*args: str) -> tuple[int, str]:
    assert SWAKS is not None
    proc = await asyncio.create_subprocess_exec(
        SWAKS, "--server", "127.0.0.1", "--timeout", "30", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "LANG": "C"})
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode(errors="replace")


@needs_swaks
async def test_swaks_to_the_mx(live: tuple[SmtpWorld, Ports], tmp_path: Path) -> None:
    world, ports = live
    data = make_message(subject="via swaks", sender="x@remote.test")
    path = tmp_path / "message.eml"
    path.write_bytes(data)
    code, out = await swaks("--port", str(ports.mx), "--from", "x@remote.test",
                            "--to", "ann@example.org", "--data", f"@{path}")
    assert code == 0, out
    [stored] = await world.inbox(world.ann)
    # swaks ends the data with one more CRLF of its own before the final dot.
    assert stored.endswith(data + b"\r\n")
    assert stored[: -len(data) - 2].startswith(b"Received: ")


@needs_swaks
@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
async def test_swaks_submission(live: tuple[SmtpWorld, Ports], mechanism: str) -> None:
    world, ports = live
    code, out = await swaks("--port", str(ports.submission), "--tls", "--auth", mechanism,
                            "--auth-user", "ann@example.org", "--auth-password", PASSWORD,
                            "--from", "ann@example.org", "--to", "bob@example.org",
                            "--header", "From: ann@example.org")
    assert code == 0, out
    assert "235 2.7.0" in out
    assert len(await world.inbox(world.bob)) == 1


@needs_swaks
async def test_swaks_implicit_tls(live: tuple[SmtpWorld, Ports]) -> None:
    world, ports = live
    code, out = await swaks("--port", str(ports.submissions), "--tls-on-connect",
                            "--auth", "PLAIN", "--auth-user", "ann@example.org",
                            "--auth-password", PASSWORD, "--from", "ann@example.org",
                            "--to", "bob@example.org", "--header", "From: ann@example.org")
    assert code == 0, out
    assert len(await world.inbox(world.bob)) == 1


@needs_swaks
async def test_swaks_relay_and_unknown_user(live: tuple[SmtpWorld, Ports]) -> None:
    _, ports = live
    code, out = await swaks("--port", str(ports.mx), "--from", "x@remote.test",
                            "--to", "victim@elsewhere.test")
    assert code != 0 and "550 5.7.1" in out
    code, out = await swaks("--port", str(ports.mx), "--from", "x@remote.test",
                            "--to", "nobody@example.org")
    assert code != 0 and "550 5.1.1" in out


@needs_swaks
async def test_swaks_wrong_password(live: tuple[SmtpWorld, Ports]) -> None:
    _, ports = live
    code, out = await swaks("--port", str(ports.submission), "--tls", "--auth", "PLAIN",
                            "--auth-user", "ann@example.org", "--auth-password", "wrong-one",
                            "--from", "ann@example.org", "--to", "bob@example.org")
    assert code != 0 and "535 5.7.8" in out
