"""A real synchronising client: mbsync (isync) syncs a whole Postroom account both ways
over IMAPS, then keeps syncing changes made on either side.

Skipped with a reason when mbsync is missing; under CI=true that is a failure.
"""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

from postroom.protocols.imap import utf7
from tests.e2e.imap_harness import ImapNode, imap_node_fixture, require_binary  # noqa: F401
from tests.factories import make_message


def config(node: ImapNode, root: Path) -> Path:
    path = root / "mbsyncrc"
    path.write_text(f"""\
IMAPAccount postroom
Host localhost
Port {node.tls_port}
User {node.address}
Pass "{node.password}"
SSLType IMAPS
CertificateFile {node.cert}
AuthMechs PLAIN

IMAPStore remote
Account postroom

MaildirStore local
Path {root}/mail/
Inbox {root}/mail/INBOX
SubFolders Verbatim

Channel sync
Far :remote:
Near :local:
Patterns *
Create Both
Remove Both
Expunge Both
SyncState *
""")
    return path


def mbsync(binary: str, rc: Path) -> str:
    done = subprocess.run([binary, "-c", str(rc), "-a"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def plain(data: bytes) -> bytes:
    """A message as mbsync keeps it in a maildir: LF line ends, its X-TUID header gone."""
    lines = data.replace(b"\r\n", b"\n").split(b"\n")
    return b"\n".join(line for line in lines if not line.startswith(b"X-TUID: "))


def files(folder: Path) -> list[Path]:
    return sorted(p for sub in ("cur", "new") for p in (folder / sub).glob("*"))


async def test_mbsync_both_ways(imap_node: ImapNode, tmp_path: Path) -> None:
    binary = require_binary("mbsync")
    mail, account = imap_node.services.mail, imap_node.account_id
    inbox_raws = [make_message(f"Inbox {i}", body=f"Body {i}\r\n") for i in range(3)]
    for i, raw in enumerate(inbox_raws):
        await mail.append(account, "INBOX", raw, ["\\Seen"] if i == 0 else [])
    await mail.create_folder(account, "Projects/2026")
    await mail.append(account, "Projects/2026", make_message("Plan", body="Plan\r\n"),
                      ["\\Flagged"])
    await mail.create_folder(account, "Пошта")
    await mail.append(account, "Пошта", make_message("Лист", body="Привіт\r\n"))
    rc = config(imap_node, tmp_path)
    root = tmp_path / "mail"
    root.mkdir()

    # 1. Everything comes down (as mbsync stores it: LF line ends), flags included.
    await asyncio.to_thread(mbsync, binary, rc)
    local_inbox = files(root / "INBOX")
    assert sorted(plain(p.read_bytes()) for p in local_inbox) == sorted(map(plain, inbox_raws))
    assert sum(1 for p in local_inbox if p.name.endswith("S")) == 1
    [plan] = files(root / "Projects" / "2026")
    assert plan.name.endswith(",F")
    assert len(files(root / utf7.encode("Пошта"))) == 1
    for name in ("Sent", "Drafts", "Trash", "Junk", "Archive"):
        assert (root / name / "cur").is_dir()

    # 2. Local changes go up: a new message, a flag, a deletion, a new folder.
    new = make_message("Written offline", body="Offline\r\n")
    (root / "INBOX" / "new" / "1700000000.1_1.local").write_bytes(new)
    unseen = [p for p in files(root / "INBOX") if not p.name.endswith("S")]
    unseen[0].rename(unseen[0].with_name(unseen[0].name.split(":2,")[0] + ":2,FS"))
    unseen[1].rename(unseen[1].with_name(unseen[1].name.split(":2,")[0] + ":2,T"))
    for sub in ("cur", "new", "tmp"):
        (root / "Local" / sub).mkdir(parents=True)
    (root / "Local" / "new" / "1700000001.2_1.local").write_bytes(make_message("Kept here"))
    await asyncio.to_thread(mbsync, binary, rc)
    inbox = await mail.get_folder(account, "INBOX")
    rows = await mail.messages(account, inbox.id)
    bodies = [await mail.read_message(row) for row in rows]
    assert plain(new) in map(plain, bodies) and len(rows) == 3
    assert sum(1 for row in rows if row.flags == {"\\Seen", "\\Flagged"}) == 1
    assert (await mail.folder_status(account, "Local")).messages == 1

    # 3. Server changes come down again.
    await mail.append(account, "INBOX", make_message("Arrived later"))
    await mail.set_flags(account, inbox.id, [rows[-1].uid], "add", ["\\Answered"])
    await asyncio.to_thread(mbsync, binary, rc)
    local = files(root / "INBOX")
    assert len(local) == 4
    assert any(b"Arrived later" in p.read_bytes() for p in local)
    assert any(p.name.split(":2,")[1].startswith("R") or "R" in p.name.split(":2,")[1]
               for p in local)
