"""Real POP3 clients download a mailbox: fetchmail (over STLS) and getmail6 (over POP3S).

Both are Debian packages (`.ci/run` installs them); without them the tests are skipped.
Each downloads every message, deletes it on the server, and what it delivered equals what
the store held, line for line.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from pathlib import Path

import pytest

from postroom.app import Services
from postroom.config import PlaintextAuth
from tests.factories import PASSWORD, make_account, make_message, make_org
from tests.protocol.pop3.live import LivePop3, live_pop3

ADDRESS = "ann@example.org"
COUNT = 6

pytestmark = pytest.mark.slow

SAVE = """import sys, uuid, pathlib
pathlib.Path(sys.argv[1], uuid.uuid4().hex).write_bytes(sys.stdin.buffer.read())
"""


@pytest.fixture
async def mailbox(services: Services) -> list[bytes]:
    await make_org(services)
    account = await make_account(services)
    raws = [make_message(f"Download {i}", body=f"Line one.\n.dotted {i}\n" * (i + 1))
            for i in range(COUNT)]
    for raw in raws:
        await services.mail.append(account.id, "INBOX", raw)
    return raws


def lines_of(raw: bytes) -> list[bytes]:
    return raw.replace(b"\r\n", b"\n").rstrip(b"\n").split(b"\n")


async def remaining(services: Services) -> int:
    account = await services.tenancy.accounts.get(ADDRESS)
    folder = await services.mail.get_folder(account.id, "INBOX")
    return len(await services.mail.messages(account.id, folder.id))


async def run(*argv: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, **(env or {})})
    out, _ = await asyncio.wait_for(proc.communicate(), 120)
    return proc.returncode or 0, out.decode(errors="replace")


def fetchmail_rc(node: LivePop3, home: Path, out_dir: Path) -> Path:
    script = home / "save.py"
    script.write_text(SAVE)
    rc = home / "fetchmailrc"
    rc.write_text(
        "set no bouncemail\nset invisible\n"
        f"poll 127.0.0.1 service {node.port} protocol POP3 uidl auth password\n"
        f'  user "{ADDRESS}" there with password "{PASSWORD}" is root here\n'
        f"  sslproto TLS1.2+ sslcertck sslcertfile {node.cert_path} sslcommonname localhost\n"
        f'  no rewrite fetchall nokeep mda "{sys.executable} {script} {out_dir}"\n'
    )
    rc.chmod(0o600)
    return rc


@pytest.mark.skipif(shutil.which("fetchmail") is None, reason="fetchmail is not installed")
async def test_fetchmail_downloads_the_mailbox_over_stls(services: Services, tmp_path: Path,
                                                         mailbox: list[bytes]) -> None:
    out_dir = tmp_path / "fetched"
    out_dir.mkdir()
    async with live_pop3(services, plaintext_auth=PlaintextAuth.NEVER) as node:
        rc = fetchmail_rc(node, tmp_path, out_dir)
        code, log = await run("fetchmail", "-f", str(rc), "--nodetach", "--nosyslog",
                              "-i", str(tmp_path / "fetchids"), "--pidfile",
                              str(tmp_path / "fetchmail.pid"), "-v",
                              env={"HOME": str(tmp_path)})
    assert code == 0, log
    assert "STLS" in log
    got = sorted(lines_of(p.read_bytes()) for p in out_dir.iterdir())
    assert got == sorted(lines_of(raw) for raw in mailbox), log
    assert await remaining(services) == 0


def getmail_rc(node: LivePop3, home: Path, out_dir: Path) -> str:
    script = home / "save.py"
    script.write_text(SAVE)
    return (
        "[retriever]\n"
        "type = SimplePOP3SSLRetriever\n"
        "server = 127.0.0.1\n"
        f"port = {node.tls_port}\n"
        f"username = {ADDRESS}\n"
        f"password = {PASSWORD}\n"
        f"ca_certs = {node.cert_path}\n"
        "ssl_cert_hostname = localhost\n"
        "[destination]\n"
        "type = MDA_external\n"  # its Maildir refuses to write as root (CI runs as root)
        f"path = {sys.executable}\n"
        f"arguments = ('{script}', '{out_dir}')\n"
        "allow_root_commands = true\n"
        "[options]\n"
        "read_all = true\n"
        "delete = true\n"
        "received = false\n"
        "delivered_to = false\n"
        "verbose = 2\n"
    )


@pytest.mark.skipif(shutil.which("getmail") is None, reason="getmail6 is not installed")
async def test_getmail_downloads_the_mailbox_over_pop3s(services: Services, tmp_path: Path,
                                                        mailbox: list[bytes]) -> None:
    out_dir = tmp_path / "fetched"
    out_dir.mkdir()
    state = tmp_path / "getmail"
    state.mkdir()
    async with live_pop3(services, plaintext_auth=PlaintextAuth.NEVER) as node:
        (state / "getmailrc").write_text(getmail_rc(node, tmp_path, out_dir))
        code, log = await run("getmail", f"--getmaildir={state}", "--rcfile=getmailrc")
    assert code == 0, log
    got = [lines_of(p.read_bytes()) for p in out_dir.iterdir()]
    # getmail writes the envelope sender it knows first; POP3 has none (RFC 1939)
    assert all(m[0] == b"Return-Path: <unknown>" for m in got), log
    assert sorted(m[1:] for m in got) == sorted(lines_of(raw) for raw in mailbox), log
    assert await remaining(services) == 0
