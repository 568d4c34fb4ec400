"""POP3 sessions per second: Postroom against Dovecot's POP3, measured in the same run.

One session = connect, greeting, USER/PASS, STAT, RETR of every message, QUIT. Each
server gets the same accounts (one per concurrent client, since a POP3 maildrop takes
one session at a time), the same messages and the same argon2id password hashes (same
parameters), and the same load generator (asyncio clients in worker processes).

Usage:
    python bench/pop3_bench.py [--accounts 8] [--messages 10] [--seconds 10]
                               [--workers 2] [--cost default|minimal|both]

`--cost default` uses Postroom's argon2id defaults (t=2, 19 MiB) for both servers, so a
login costs what it costs in production; `minimal` (t=1, 8 KiB) takes the password hash
out of the picture and measures the protocol and storage path. Dovecot (Debian package
`dovecot-pop3d`) runs unprivileged-port from a temporary directory with its own config:
passdb and userdb from a passwd-file, mail in a maildir holding the same messages.
Postroom runs `postroom.protocols.pop3.server` in a child process over an SQLite store.
A warm-up session per account runs first (it sets \\Seen on both servers and fills
Postroom's size cache); the row "size cache off" shows the cost of computing the wire
sizes from the blobs at every session instead.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from argon2 import PasswordHasher, Type

HOST = "127.0.0.1"
DOMAIN = "bench.example"
PASSWORD = "bench password for pop3"
COSTS = {"default": (2, 19 * 1024), "minimal": (1, 8)}


@dataclass(frozen=True)
class Load:
    port: int
    accounts: int
    messages: int
    seconds: float
    workers: int


def address(i: int) -> str:
    return f"user{i}@{DOMAIN}"


def make_messages(count: int) -> list[bytes]:
    """CRLF messages of 2-40 KB, some lines starting with a dot."""
    out = []
    for i in range(count):
        msg = EmailMessage()
        msg["From"] = "Sender <sender@example.net>"
        msg["To"] = "someone@bench.example"
        msg["Subject"] = f"Bench message {i}"
        msg["Message-ID"] = f"<bench-{i}@example.net>"
        line = f"Line of message {i}, with some words to fill it up to a usual length.\n"
        msg.set_content((line + ".dot line\n") * (12 + i * 25))
        out.append(msg.as_bytes(policy=msg.policy.clone(linesep="\r\n")))
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


async def wait_for_port(port: int, within: float = 30) -> None:
    deadline = time.monotonic() + within
    while True:
        try:
            _, writer = await asyncio.open_connection(HOST, port)
            writer.close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


# --- the load generator ---------------------------------------------------------------


async def one_session(user: str, port: int) -> int:
    reader, writer = await asyncio.open_connection(HOST, port, limit=16 * 1024 * 1024)
    received = 0

    async def command(line: bytes) -> bytes:
        writer.write(line + b"\r\n")
        reply = await reader.readline()
        if not reply.startswith(b"+OK"):
            raise RuntimeError(f"{line.split()[0]!r} failed: {reply!r}")
        return reply

    try:
        await reader.readline()
        await command(b"USER " + user.encode())
        await command(b"PASS " + PASSWORD.encode())
        count = int((await command(b"STAT")).split()[1])
        for n in range(1, count + 1):
            await command(b"RETR %d" % n)
            received += len(await reader.readuntil(b"\r\n.\r\n"))
        await command(b"QUIT")
    finally:
        writer.close()
    return received


async def client_loop(user: str, port: int, until: float) -> tuple[int, int]:
    sessions = octets = 0
    while time.monotonic() < until:
        octets += await one_session(user, port)
        sessions += 1
    return sessions, octets


def worker(load: Load, index: int, start_at: float) -> tuple[int, int]:
    users = [address(i) for i in range(load.accounts) if i % load.workers == index]

    async def run() -> list[tuple[int, int]]:
        await asyncio.sleep(max(0.0, start_at - time.time()))
        until = time.monotonic() + load.seconds
        return await asyncio.gather(*(client_loop(u, load.port, until) for u in users))

    results = asyncio.run(run())
    return sum(s for s, _ in results), sum(o for _, o in results)


def measure(load: Load) -> tuple[float, int]:
    """Sessions per second over `load.seconds`, and the octets received."""
    async def warm_up() -> None:  # one session per account
        await asyncio.gather(*(one_session(address(i), load.port)
                               for i in range(load.accounts)))

    asyncio.run(asyncio.wait_for(warm_up(), 300))
    start_at = time.time() + 0.5
    with multiprocessing.Pool(load.workers) as pool:
        results = pool.starmap(worker, [(load, i, start_at) for i in range(load.workers)])
    sessions = sum(s for s, _ in results)
    return sessions / load.seconds, sum(o for _, o in results)


# --- Postroom -------------------------------------------------------------------------


def postroom_settings(data_dir: Path, cost: tuple[int, int], port: int = 0):  # type: ignore[no-untyped-def]
    from postroom.config import Settings

    return Settings(data_dir=data_dir, argon2_time_cost=cost[0], argon2_memory_kib=cost[1],
                    pop3_port=port, pop3s_port=0)


async def fill_postroom(data_dir: Path, cost: tuple[int, int], accounts: int,
                        messages: list[bytes]) -> None:
    from postroom.app import open_services

    services = await open_services(postroom_settings(data_dir, cost))
    try:
        await services.tenancy.organisations.create(
            "Bench", mailboxes=accounts + 1, storage=(accounts + 1) * 1024**3, smtp_access=True)
        await services.tenancy.organisations.add_domain("Bench", DOMAIN)
        for i in range(accounts):
            account = await services.tenancy.accounts.add(address(i), PASSWORD, quota=1024**3)
            for raw in messages:
                await services.mail.append(account.id, "INBOX", raw)
    finally:
        await services.close()


async def serve_postroom(data_dir: Path, cost: tuple[int, int], port: int,
                         size_cache: int) -> None:
    """The child process: POP3 only, on `port`, until killed."""
    from postroom.app import open_services, server_context
    from postroom.protocols.pop3.maildrop import SizeCache
    from postroom.protocols.pop3.server import Pop3Server

    services = await open_services(postroom_settings(data_dir, cost, port))
    server = Pop3Server(server_context(services), sizes=SizeCache(size_cache))
    await server.start()
    print("ready", flush=True)
    await asyncio.Event().wait()


def start_postroom(data_dir: Path, cost: tuple[int, int], port: int,
                   size_cache: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, __file__, "--serve-postroom", str(data_dir), "--port", str(port),
         "--cost-values", f"{cost[0]},{cost[1]}", "--size-cache", str(size_cache)],
        stdout=subprocess.DEVNULL)


# --- Dovecot --------------------------------------------------------------------------

DOVECOT_CONF = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = pop3
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
default_internal_user = dovecot
default_login_user = dovenull
mail_location = maildir:{root}/mail/%u
pop3_uidl_format = %08Xu%08Xv
passdb {{
  driver = passwd-file
  args = {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = {root}/passwd
}}
service pop3-login {{
  inet_listener pop3 {{
    port = {port}
  }}
  inet_listener pop3s {{
    port = 0
  }}
{login_tuning}}}
"""

#: Dovecot's "high-performance mode" for login processes (its documented alternative to
#: the default of one login process per connection).
REUSED_LOGIN = "  service_count = 0\n  process_min_avail = 2\n"


def fill_dovecot(root: Path, cost: tuple[int, int], accounts: int,
                 messages: list[bytes], port: int, login_tuning: str = "") -> Path:
    """Config, passwd-file and maildirs; the mail belongs to `nobody`."""
    hasher = PasswordHasher(time_cost=cost[0], memory_cost=cost[1], parallelism=1,
                            type=Type.ID)
    nobody = 65534
    lines = []
    for i in range(accounts):
        user = address(i)
        lines.append(f"{user}:{{ARGON2ID}}{hasher.hash(PASSWORD)}:{nobody}:{nobody}::"
                     f"{root}/home/{user}::")
        maildir = root / "mail" / user
        for sub in ("cur", "new", "tmp"):
            (maildir / sub).mkdir(parents=True)
        for n, raw in enumerate(messages):
            # maildir files hold LF line ends; Dovecot sends CRLF
            (maildir / "new" / f"{1700000000 + n}.M{n}P1.bench").write_bytes(
                raw.replace(b"\r\n", b"\n"))
    (root / "passwd").write_text("\n".join(lines) + "\n")
    conf = root / "dovecot.conf"
    conf.write_text(DOVECOT_CONF.format(root=root, port=port, login_tuning=login_tuning))
    for path in [root, *root.rglob("*")]:
        os.chown(path, nobody, nobody)
    os.chown(root / "passwd", 0, 0)
    root.chmod(0o755)
    return conf


def start_dovecot(conf: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(["dovecot", "-F", "-c", str(conf)])


# --- the run ----------------------------------------------------------------------------


def run_one(name: str, proc: subprocess.Popen[bytes], load: Load) -> float:
    try:
        asyncio.run(wait_for_port(load.port))
        rate, octets = measure(load)
    finally:
        proc.terminate()
        proc.wait(30)
    mib = octets / 1024**2 / load.seconds
    print(f"  {name:<28} {rate:9.1f} sessions/s  ({mib:6.1f} MiB/s of RETR)", flush=True)
    return rate


def scenario(cost_name: str, args: argparse.Namespace, messages: list[bytes]) -> None:
    cost = COSTS[cost_name]
    print(f"argon2id t={cost[0]} m={cost[1]} KiB; {args.accounts} concurrent clients, "
          f"{len(messages)} messages ({sum(map(len, messages))} octets) per session, "
          f"{args.seconds:g} s each")
    with tempfile.TemporaryDirectory(prefix="pop3bench-") as tmp:
        root = Path(tmp)
        root.chmod(0o755)  # Dovecot's unprivileged processes read below it
        data = root / "postroom"
        asyncio.run(fill_postroom(data, cost, args.accounts, messages))

        def load() -> Load:
            return Load(free_port(), args.accounts, len(messages), args.seconds, args.workers)

        first = load()
        postroom = run_one("Postroom", start_postroom(data, cost, first.port, 100_000), first)
        cold = load()
        run_one("Postroom, size cache off", start_postroom(data, cost, cold.port, 0), cold)
        dove = load()
        conf = fill_dovecot(root / "dovecot", cost, args.accounts, messages, dove.port)
        dovecot = run_one("Dovecot " + dovecot_version(), start_dovecot(conf), dove)
        fast = load()
        conf = fill_dovecot(root / "dovecot-fast", cost, args.accounts, messages, fast.port,
                            REUSED_LOGIN)
        dovecot_fast = run_one("Dovecot, login reused", start_dovecot(conf), fast)
    print(f"  ratio Postroom / Dovecot: {postroom / dovecot:.2f} (default config), "
          f"{postroom / dovecot_fast:.2f} (login processes reused)\n", flush=True)


def dovecot_version() -> str:
    out = subprocess.run(["dovecot", "--version"], capture_output=True, text=True)
    return out.stdout.split()[0] if out.returncode == 0 else "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=8)
    parser.add_argument("--messages", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cost", choices=["default", "minimal", "both"], default="both")
    parser.add_argument("--serve-postroom", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--cost-values", help=argparse.SUPPRESS)
    parser.add_argument("--size-cache", type=int, default=100_000, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_postroom:
        t, m = (int(v) for v in args.cost_values.split(","))
        asyncio.run(serve_postroom(args.serve_postroom, (t, m), args.port, args.size_cache))
        return
    if shutil.which("dovecot") is None:
        sys.exit("dovecot is not installed: apt-get install dovecot-pop3d")
    print(f"{os.cpu_count()} CPUs; clients in {args.workers} processes on the same machine\n")
    messages = make_messages(args.messages)
    for name in (["default", "minimal"] if args.cost == "both" else [args.cost]):
        scenario(name, args, messages)


if __name__ == "__main__":
    main()
