"""Inbound SMTP: messages per second accepted *and stored*, Postroom against Postfix.

The same load generator (asyncio, 10 concurrent connections, pipelined MAIL/RCPT/DATA,
4 KiB messages) sends a fixed number of messages to each server, measured in the same
run. A message counts when it is stored: for Postroom the 250 after the final dot comes
after the blob is fsynced and the transaction committed, so the clock stops at the last
250; Postfix answers 250 once its queue file is fsynced and delivers afterwards, so the
clock stops when the last message is in the Maildir.

Postroom: ``postroom serve`` in a child process, SQLite store in a temporary directory,
sender checks (SPF/DKIM/DMARC) on over an empty static DNS file (no network).
Postfix (Debian package ``postfix``): its own config directory and queue (``postfix -c
DIR start``) on a free port, virtual(8) delivery to a Maildir, no chroot.

Usage:
    python bench/smtp_bench.py [--messages 3000] [--connections 10] [--size 4096]
                               [--database-url postgresql+asyncpg://...]
                               [--profile]   # also: cProfile of Postroom under load

Where the time goes (measured, not guessed: ``--profile`` and a phase timer around the
inbound steps): with 10 concurrent transactions almost all of a message's latency is
spent waiting for SQLite's single writer inside ``MailStore.deliver`` (one write
transaction per message: blob row + FTS index, folder, UID allocation, quota, message
row, each statement a round trip to aiosqlite's thread, then the WAL fsync); recipient
look-up, SPF/DKIM/DMARC and the spool copy are a few ms each. Postfix writes a queue
file per message in parallel processes and has no shared index to update.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HOST = "127.0.0.1"
DOMAIN = "bench.test"
RCPT = f"ann@{DOMAIN}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def message(i: int, size: int) -> bytes:
    head = (f"From: Sender <sender@remote.test>\r\nTo: {RCPT}\r\nSubject: bench {i}\r\n"
            f"Message-ID: <bench-{i}-{time.monotonic_ns()}@remote.test>\r\n\r\n").encode()
    line = b"The quick brown fox jumps over the lazy dog, again and again and again.\r\n"
    body = (line * (size // len(line) + 1))[: max(0, size - len(head) - 2)]
    return head + body + b"\r\n"


# --- the load generator ----------------------------------------------------------------


async def _connection(port: int, todo: list[int], size: int, done: list[float]) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    await reader.readline()
    writer.write(b"EHLO bench.client\r\n")
    while (await reader.readline())[3:4] == b"-":
        pass
    while todo:
        i = todo.pop()
        writer.write(f"MAIL FROM:<sender@remote.test>\r\nRCPT TO:<{RCPT}>\r\nDATA\r\n".encode())
        for _ in range(3):
            line = await reader.readline()
            if line[:1] not in (b"2", b"3"):
                raise RuntimeError(f"refused: {line!r}")
        writer.write(message(i, size) + b".\r\n")
        line = await reader.readline()
        if not line.startswith(b"250"):
            raise RuntimeError(f"refused: {line!r}")
        done.append(time.monotonic())
    writer.write(b"QUIT\r\n")
    await reader.readline()
    writer.close()


async def _load(port: int, count: int, connections: int, size: int) -> tuple[float, float]:
    todo = list(range(count))
    done: list[float] = []
    start = time.monotonic()
    await asyncio.gather(*(_connection(port, todo, size, done) for _ in range(connections)))
    return start, max(done)


def load(port: int, count: int, connections: int, size: int) -> tuple[float, float]:
    return asyncio.run(_load(port, count, connections, size))


def wait_for_port(port: int, within: float = 60) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=1) as s:
                if s.recv(100).startswith(b"220"):
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answers on port {port}")


# --- Postroom ----------------------------------------------------------------------------


def postroom_config(root: Path, database_url: str | None = None) -> tuple[Path, int]:
    data = root / "postroom"
    data.mkdir()
    (data / "dns.toml").write_text("")
    ports = {name: free_port() for name in ("smtp_port", "submission_port", "submissions_port",
                                            "http_port", "imap_port", "imaps_port",
                                            "pop3_port", "pop3s_port")}
    lines = [f'data_dir = "{data}"', 'hostname = "mx.bench.test"',
             f'dns_static_file = "{data / "dns.toml"}"',
             *(f"{k} = {v}" for k, v in ports.items())]
    if database_url:
        lines.append(f'database_url = "{database_url}"')
    config = data / "postroom.toml"
    config.write_text("\n".join(lines) + "\n")
    return config, ports["smtp_port"]


def fill_postroom(config: Path) -> None:
    code = f"""
import asyncio
from postroom.app import open_services
from postroom.config import load_settings
async def main():
    s = await open_services(load_settings({str(config)!r}))
    await s.tenancy.organisations.create("Bench", mailboxes=10)
    await s.tenancy.organisations.add_domain("Bench", {DOMAIN!r})
    await s.tenancy.accounts.add({RCPT!r}, "bench password", quota=50 * 1024**3)
    await s.close()
asyncio.run(main())
"""
    subprocess.run([sys.executable, "-c", code], check=True)


def start_postroom(config: Path, profile: Path | None) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-c", "from postroom.cli.main import main; main()"]
    if profile is not None:  # cProfile runs a script, not -c
        script = profile.with_suffix(".py")
        script.write_text("from postroom.cli.main import main\nmain()\n")
        argv = [sys.executable, "-m", "cProfile", "-o", str(profile), str(script)]
    argv += ["serve", "--config", str(config), "--log-level", "WARNING"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTROOM_")}
    return subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def run_postroom(root: Path, args: argparse.Namespace, profile: Path | None = None) -> float:
    config, port = postroom_config(root, args.database_url)
    fill_postroom(config)
    proc = start_postroom(config, profile)
    try:
        wait_for_port(port)
        load(port, 50, args.connections, args.size)  # warm-up
        start, end = load(port, args.messages, args.connections, args.size)
    finally:
        proc.send_signal(2)  # SIGINT: lets cProfile write its file
        proc.wait(60)
    return args.messages / (end - start)


# --- Postfix ------------------------------------------------------------------------------

MASTER_CF = """\
{port} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def postfix_config(root: Path) -> tuple[Path, int, Path]:
    conf = root / "postfix"
    conf.mkdir()
    (root / "spool").mkdir()
    (root / "data").mkdir()
    shutil.chown(root / "data", "postfix")
    port = free_port()
    vmail = root / "vmail"
    vmail.mkdir()
    shutil.chown(vmail, "nobody", "nogroup")
    (conf / "vmailbox").write_text(f"{RCPT} {DOMAIN}/ann/\n")
    (conf / "main.cf").write_text(f"""\
compatibility_level = 3.6
queue_directory = {root}/spool
data_directory = {root}/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.postfix.bench.test
mydestination =
inet_interfaces = {HOST}
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
virtual_mailbox_domains = {DOMAIN}
virtual_mailbox_base = {vmail}
virtual_mailbox_maps = texthash:{conf}/vmailbox
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_client_connection_count_limit = 100
smtpd_client_connection_rate_limit = 0
smtpd_client_message_rate_limit = 0
maillog_file = {root}/postfix.log
maillog_file_prefixes = {root}
default_process_limit = 100
""")
    (conf / "master.cf").write_text(MASTER_CF.format(port=f"{HOST}:{port}"))
    return conf, port, vmail / DOMAIN / "ann" / "new"


def run_postfix(root: Path, args: argparse.Namespace) -> float:
    conf, port, maildir = postfix_config(root)
    subprocess.run(["postfix", "-c", str(conf), "start"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port)
        load(port, 50, args.connections, args.size)  # warm-up
        _wait_for_files(maildir, 50, 60)
        start, _ = load(port, args.messages, args.connections, args.size)
        end = _wait_for_files(maildir, 50 + args.messages, 600)
    finally:
        subprocess.run(["postfix", "-c", str(conf), "stop"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    return args.messages / (end - start)


def _wait_for_files(directory: Path, count: int, within: float) -> float:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if directory.exists() and len(os.listdir(directory)) >= count:
            return time.monotonic()
        time.sleep(0.01)
    raise RuntimeError(f"only {len(os.listdir(directory))} of {count} messages delivered")


def postfix_version() -> str:
    out = subprocess.run(["postconf", "-d", "mail_version"], capture_output=True, text=True)
    return out.stdout.strip().split("=")[-1].strip() or "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--size", type=int, default=4096)
    parser.add_argument("--database-url", default=None,
                        help="run Postroom on this (empty) database, e.g. PostgreSQL; "
                        "default: SQLite in the temporary directory")
    parser.add_argument("--profile", action="store_true",
                        help="profile Postroom under the same load (cProfile, top 25)")
    args = parser.parse_args()
    if shutil.which("postfix") is None:
        sys.exit("postfix is not installed (apt-get install postfix)")
    with tempfile.TemporaryDirectory(prefix="smtp-bench-") as tmp:
        root = Path(tmp)
        os.chmod(root, 0o755)
        print(f"{args.messages} messages of {args.size} octets over {args.connections} "
              "connections, accepted and stored")
        postroom = run_postroom(_mkdir(root / "a"), args)
        print(f"  Postroom:        {postroom:8.1f} messages/s")
        postfix = run_postfix(_mkdir(root / "b"), args)
        print(f"  Postfix {postfix_version():8} {postfix:8.1f} messages/s")
        print(f"  ratio Postroom / Postfix: {postroom / postfix:.2f}")
        if args.profile:
            profile = root / "postroom.prof"
            run_postroom(_mkdir(root / "c"), args, profile)
            import pstats

            pstats.Stats(str(profile)).sort_stats("cumulative").print_stats(25)


def _mkdir(path: Path) -> Path:
    path.mkdir()
    return path


if __name__ == "__main__":
    main()
