"""IMAP load generator: Postroom against Dovecot, same messages, same run.

Usage:  python bench/imap_bench.py [--clients 20] [--rounds 5] [--users 100]
                                   [--messages 200] [--idle 1000] [--database-url URL]

What it does:
1. builds one set of messages and gives every user the same mailbox on both servers:
   Postroom (SQLite in a temporary data dir, or the empty PostgreSQL database of
   ``--database-url``; started as its own process) and Dovecot
   (Debian ``dovecot-imapd``, started unprivileged-port with its own temporary config,
   passwd-file authentication and a maildir per user);
2. the *mix*: ``--clients`` concurrent clients on raw asyncio sockets (not imaplib),
   each doing ``--rounds`` sessions of LOGIN, SELECT, FETCH of all headers, FETCH of 20
   bodies, STORE, UID SEARCH, APPEND, IDLE/DONE, LOGOUT; prints commands per second for
   each server and the ratio;
3. *idle*: ``--idle`` connections that log in, SELECT and IDLE; prints the resident
   memory of each server (all of Dovecot's processes) once they all idle.

Password hashing is cheap on both sides (Dovecot ``{PLAIN}``, Postroom argon2id with the
smallest cost) so the figures compare IMAP work, not password hashing; see
``bench/argon2_cost.py`` for that. Timing lives here, never in the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pwd
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import ClassVar

PASSWORD = "correct horse battery"
DOMAIN = "bench.example"
_LITERAL = re.compile(rb"\{(\d+)\+?\}\r\n$")


# -- messages ------------------------------------------------------------------------


def make_messages(count: int) -> list[bytes]:
    """Varied plain and multipart messages, 1 to 60 KiB."""
    out = []
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(count):
        msg = EmailMessage()
        msg["From"] = f"Sender {i % 17} <sender{i % 17}@example.net>"
        msg["To"] = f"user@{DOMAIN}"
        msg["Subject"] = f"{'Re: ' if i % 3 == 0 else ''}Report number {i % 40}"
        msg["Date"] = format_datetime(start + timedelta(hours=i))
        msg["Message-ID"] = f"<bench-{i}@example.net>"
        msg.set_content(("Line of text for the benchmark. " * 30 + "\n") * (1 + i % 40))
        if i % 5 == 0:
            msg.add_attachment(os.urandom(2048 + 97 * i % 20000), maintype="application",
                               subtype="octet-stream", filename=f"f{i}.bin")
        out.append(msg.as_bytes(policy=msg.policy.clone(linesep="\r\n")))
    return out


# -- servers ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]

    def rss_kib(self) -> int:
        """Resident memory of the server and all its descendants."""
        pids = [self.process.pid]
        seen: list[int] = []
        while pids:
            pid = pids.pop()
            seen.append(pid)
            try:
                children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            except OSError:
                continue
            pids += [int(c) for c in children]
        total = 0
        for pid in seen:
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except OSError:
                pass
        return total

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


DATABASE_URL: list[str] = []  # --database-url: PostgreSQL instead of SQLite


def _settings_env(data_dir: Path, port: int) -> dict[str, str]:
    extra = {"POSTROOM_DATABASE_URL": DATABASE_URL[0]} if DATABASE_URL else {}
    return {**os.environ, **extra, "POSTROOM_DATA_DIR": str(data_dir),
            "POSTROOM_IMAP_PORT": str(port),
            "POSTROOM_IMAPS_PORT": str(free_port()), "POSTROOM_ARGON2_TIME_COST": "1",
            "POSTROOM_ARGON2_MEMORY_KIB": "8", "POSTROOM_IMAP_CONNECTIONS_PER_USER_IP": "100"}


async def populate_postroom(data_dir: Path, users: int, messages: list[bytes]) -> None:
    from postroom.app import open_services
    from postroom.config import load_settings
    from postroom.store.records import Target

    os.environ.update(_settings_env(data_dir, 0))
    services = await open_services(load_settings())
    try:
        tenancy = services.tenancy
        await tenancy.organisations.create("Bench", mailboxes=users + 10,
                                           storage=1 << 40, smtp_access=True)
        await tenancy.organisations.add_domain("Bench", DOMAIN)
        ids = [(await tenancy.accounts.add(f"user{u}@{DOMAIN}", PASSWORD, quota=1 << 30)).id
               for u in range(users)]
        for i, raw in enumerate(messages):  # one blob, one transaction for all users
            flags = frozenset({"\\Seen"} if i % 2 else ())
            await services.mail.deliver(raw, [Target(a, "INBOX", flags) for a in ids],
                                        internal_date=datetime(2026, 1, 1, tzinfo=UTC))
    finally:
        await services.close()


def start_postroom(data_dir: Path) -> Server:
    port = free_port()
    proc = subprocess.Popen([sys.executable, __file__, "serve-postroom"],
                            env=_settings_env(data_dir, port), stdout=subprocess.DEVNULL)
    wait_port(port, proc)
    return Server("postroom", port, proc)


async def serve_postroom() -> None:
    """The Postroom side: the IMAP listeners only, in this process, until SIGTERM."""
    from postroom.app import open_services, server_context
    from postroom.config import load_settings
    from postroom.protocols.imap.server import start

    services = await open_services(load_settings())
    listeners = await start(server_context(services))
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    for listener in listeners:
        await listener.close()
    await services.close()


def setup_dovecot(root: Path, users: int, messages: list[bytes]) -> Path:
    owner = pwd.getpwnam("dovecot") if os.geteuid() == 0 else pwd.getpwuid(os.getuid())
    login = pwd.getpwnam("dovenull").pw_name if os.geteuid() == 0 else owner.pw_name
    for name in ("run", "state", "home"):
        (root / name).mkdir(parents=True, exist_ok=True)
    lines = []
    for u in range(users):
        maildir = root / "home" / f"user{u}" / "Maildir"
        for folder in (maildir, maildir / ".Drafts"):
            for sub in ("cur", "new", "tmp"):
                (folder / sub).mkdir(parents=True, exist_ok=True)
        for i, raw in enumerate(messages):
            (maildir / "cur" / f"{1700000000 + i}.{i}_0.bench:2,{'S' if i % 2 else ''}"
             ).write_bytes(raw)
        lines.append(f"user{u}@{DOMAIN}:{{PLAIN}}{PASSWORD}::::::")
    (root / "passwd").write_text("\n".join(lines) + "\n")
    for path in [root, *root.rglob("*")]:
        os.chown(path, owner.pw_uid, owner.pw_gid)
    conf = root / "dovecot.conf"
    conf.write_text(f"""\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
default_internal_user = {owner.pw_name}
default_internal_group = {pwd.getpwuid(owner.pw_uid).pw_name}
default_login_user = {login}
first_valid_uid = {owner.pw_uid}
mail_max_userip_connections = 1000
default_process_limit = 3000
default_client_limit = 8000
mail_location = maildir:{root}/home/%n/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={owner.pw_uid} gid={owner.pw_gid} home={root}/home/%n
}}
service imap-login {{
  inet_listener imap {{
    port = PORT
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
""")
    return conf


def start_dovecot(conf: Path) -> Server:
    binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
    port = free_port()
    conf.write_text(re.sub(r"port = (PORT|\d+)\n(\s*\}\n\s*inet_listener imaps)",
                           f"port = {port}\n\\2", conf.read_text()))
    proc = subprocess.Popen([binary, "-F", "-c", str(conf)], stdout=subprocess.DEVNULL)
    wait_port(port, proc)
    return Server("dovecot", port, proc)


def wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


# -- the client ----------------------------------------------------------------------


class Client:
    """A minimal IMAP client on raw sockets: enough to send commands and read replies."""

    timings: ClassVar[dict[str, list[float]]] = {}  # verb -> latencies, all clients

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.counter = 0
        self.received = 0

    @classmethod
    async def connect(cls, port: int) -> Client:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 22)
        client = cls(reader, writer)
        await reader.readline()  # greeting
        return client

    async def command(self, text: bytes, literal: bytes | None = None) -> bytes:
        self.counter += 1
        tag = b"c%d" % self.counter
        started = time.perf_counter()
        if literal is None:
            self.writer.write(tag + b" " + text + b"\r\n")
        else:
            self.writer.write(tag + b" " + text + b" {%d+}\r\n" % len(literal) + literal + b"\r\n")
        reply = await self.until(tag)
        words = text.decode().split()
        verb = " ".join(words[:2] if words[0] == "UID" else words[:1])
        self.timings.setdefault(verb, []).append(time.perf_counter() - started)
        return reply

    async def until(self, tag: bytes) -> bytes:
        while True:
            line = await self.reader.readline()
            if not line:
                raise ConnectionError("server closed the connection")
            self.received += len(line)
            match = _LITERAL.search(line)
            if match:
                self.received += len(await self.reader.readexactly(int(match.group(1))))
                continue
            if line.startswith(tag + b" "):
                if not line.startswith(tag + b" OK"):
                    raise RuntimeError(line.decode(errors="replace"))
                return line

    async def idle(self) -> None:
        self.counter += 1
        tag = b"c%d" % self.counter
        self.writer.write(tag + b" IDLE\r\n")
        while not (await self.reader.readline()).startswith(b"+"):
            pass
        self._idle_tag = tag

    async def done(self) -> None:
        self.writer.write(b"DONE\r\n")
        await self.until(self._idle_tag)

    async def close(self) -> None:
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except OSError:
            pass


SMALL = (b"From: bench@example.net\r\nTo: user@bench.example\r\nSubject: appended\r\n\r\n"
         b"A small appended message.\r\n")


async def session(port: int, user: int) -> int:
    """One client session of the mix; returns the number of commands completed."""
    client = await Client.connect(port)
    await client.command(b"LOGIN user%d@%s \"%s\"" % (user, DOMAIN.encode(), PASSWORD.encode()))
    await client.command(b"SELECT INBOX")
    await client.command(b"FETCH 1:* (UID FLAGS RFC822.SIZE "
                         b"BODY.PEEK[HEADER.FIELDS (FROM TO SUBJECT DATE)])")
    await client.command(b"FETCH 1:20 (BODY.PEEK[])")
    await client.command(b"STORE 1:10 +FLAGS.SILENT (\\Flagged)")
    await client.command(b"STORE 1:10 -FLAGS.SILENT (\\Flagged)")
    await client.command(b"UID SEARCH UNSEEN")
    await client.command(b"UID SEARCH SUBJECT \"number 7\"")
    await client.command(b"APPEND Drafts", SMALL)
    await client.idle()
    await client.done()
    await client.command(b"LOGOUT")
    await client.close()
    return 11


async def run_mix(server: Server, clients: int, rounds: int) -> tuple[float, int]:
    async def worker(n: int) -> int:
        return sum([await session(server.port, n) for _ in range(rounds)])

    started = time.perf_counter()
    counts = await asyncio.gather(*(worker(n) for n in range(clients)))
    return time.perf_counter() - started, sum(counts)


async def run_idle(server: Server, connections: int, users: int) -> int:
    idlers: list[Client] = []
    try:
        for n in range(connections):
            client = await Client.connect(server.port)
            user = n % users
            await client.command(b"LOGIN user%d@%s \"%s\"" % (user, DOMAIN.encode(),
                                                               PASSWORD.encode()))
            await client.command(b"SELECT INBOX")
            await client.idle()
            idlers.append(client)
        await asyncio.sleep(2)
        return server.rss_kib()
    finally:
        for client in idlers:
            await client.close()


# -- main ----------------------------------------------------------------------------


async def bench(args: argparse.Namespace) -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    root = Path(tempfile.mkdtemp(prefix="imap-bench-"))
    os.chmod(root, 0o755)
    messages = make_messages(args.messages)
    print(f"{args.users} users x {len(messages)} messages "
          f"({sum(map(len, messages)) // 1024} KiB per mailbox)", flush=True)
    await populate_postroom(root / "postroom", args.users, messages)
    conf = setup_dovecot(root / "dovecot", args.users, messages)
    results: dict[str, tuple[float, float, int]] = {}
    try:
        for name in ("postroom", "dovecot"):
            server = start_postroom(root / "postroom") if name == "postroom" else \
                start_dovecot(conf)
            try:
                await run_mix(server, 2, 1)  # warm up caches and processes
                Client.timings.clear()
                elapsed, commands = await run_mix(server, args.clients, args.rounds)
                print(f"{name:9s} median latency per command under load: " + ", ".join(
                    f"{verb} {statistics.median(t) * 1000:.0f} ms"
                    for verb, t in Client.timings.items()), flush=True)
                rss = await run_idle(server, args.idle, args.users) if args.idle else 0
                results[name] = (commands / elapsed, elapsed, rss)
                print(f"{name:9s} mix: {commands} commands in {elapsed:.2f} s = "
                      f"{commands / elapsed:,.0f} commands/s; {args.idle} idle connections: "
                      f"{rss / 1024:,.1f} MiB RSS", flush=True)
            finally:
                server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    ours, theirs = results["postroom"], results["dovecot"]
    print(f"ratio postroom/dovecot: throughput {ours[0] / theirs[0]:.2f}x, "
          f"idle memory {ours[2] / max(theirs[2], 1):.2f}x")


def main() -> None:
    if sys.argv[1:2] == ["serve-postroom"]:
        asyncio.run(serve_postroom())
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--idle", type=int, default=1000)
    parser.add_argument("--database-url", default=None,
                        help="an EMPTY PostgreSQL database for Postroom (default: SQLite)")
    args = parser.parse_args()
    if args.database_url:
        DATABASE_URL.append(args.database_url)
    asyncio.run(bench(args))


if __name__ == "__main__":
    main()
