"""A real downloading client: fetchmail fetches every message of two folders over
IMAPS into files, byte-identical after its own Received header, and marks them \\Seen.

Skipped with a reason when fetchmail is missing; under CI=true that is a failure.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.imap_harness import ImapNode, imap_node_fixture, require_binary  # noqa: F401
from tests.factories import make_message

MDA = """\
import sys, uuid, pathlib
pathlib.Path(sys.argv[1], uuid.uuid4().hex + ".eml").write_bytes(sys.stdin.buffer.read())
"""


def run_fetchmail(binary: str, node: ImapNode, root: Path) -> str:
    out = root / "out"
    out.mkdir()
    mda = root / "mda.py"
    mda.write_text(MDA)
    rc = root / "fetchmailrc"
    rc.write_text(
        "set no syslog\n"
        f"poll localhost protocol IMAP port {node.tls_port} auth password\n"
        f'  user "{node.address}" there with password "{node.password}"\n'
        '  folder "INBOX","Projects"\n'
        f"  ssl sslcertck sslcertfile {node.cert}\n"
        f'  mda "{sys.executable} {mda} {out}"\n'
        "  fetchall keep\n"
    )
    os.chmod(rc, 0o600)
    env = {**os.environ, "HOME": str(root), "FETCHMAILHOME": str(root)}
    done = subprocess.run([binary, "-f", str(rc), "-v", "--nodetach"], capture_output=True,
                          text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


async def test_fetchmail_downloads_account(imap_node: ImapNode, tmp_path: Path) -> None:
    binary = require_binary("fetchmail")
    mail, account = imap_node.services.mail, imap_node.account_id
    raws = [make_message(f"Inbox {i}", body=f"Body {i}\r\n") for i in range(3)]
    for raw in raws:
        await mail.append(account, "INBOX", raw)
    await mail.create_folder(account, "Projects")
    project = make_message("Project", body="In a folder\r\n")
    await mail.append(account, "Projects", project)
    log = await asyncio.to_thread(run_fetchmail, binary, imap_node, tmp_path)
    got = [p.read_bytes() for p in (tmp_path / "out").iterdir()]
    assert len(got) == 4, log
    for raw in [*raws, project]:
        assert any(g.endswith(raw) or raw.replace(b"\r\n", b"\n") in g for g in got), log
    inbox = await mail.get_folder(account, "INBOX")
    assert all("\\Seen" in row.flags for row in await mail.messages(account, inbox.id))
