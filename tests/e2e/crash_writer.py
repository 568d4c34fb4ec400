"""The writer that ``test_crash.py`` kills: it appends mail in a loop and says what returned.

It opens the store from the ``POSTROOM_*`` environment (the same settings the test and
``postroom verify`` use), creates once the organisation ``Crash Test Org`` with the domain
``crash.test`` and the account ``writer@crash.test``, then loops forever over a mix of
operations on that account: appends to INBOX of unique messages (sizes from a few hundred
bytes to 600 KB, some with flags), appends of a few fixed messages whose identical bytes
share one blob, and now and then a COPY to Archive, a MOVE to Trash or an EXPUNGE.

Line protocol on standard output, one ``os.write`` per line (so a line is either wholly in
the log or not at all when the process is killed):

    STARTED <pid>                         after the imports
    READY <uidvalidity of INBOX>          after the store is open and the account exists
    BEGIN A <token> <flags|->             about to append (A unique, S shared content)
    DONE A <token> <uid> <uidvalidity>    the append *returned*: it must survive any crash
    BEGIN C|M <src uid> <token>           about to copy to Archive / move to Trash
    DONE C|M <src uid> <dest uid>
    BEGIN X <uid> <token>                 about to flag \\Deleted and expunge
    DONE X <uid>

Every message carries its token in the Subject and in ``X-Crash-Token``, and the SHA-256
of its body in ``X-Crash-Body-SHA256``, so the test can tell a whole message from a torn
one.

Two ways to run it:

- ``python crash_writer.py --run N --seed S``: one writer in this process (a fresh
  interpreter; what the test uses for its last kill, and handy by hand).
- ``python crash_writer.py --zygote`` (driven through the ``Zygote`` class): import
  everything once, then fork a child per request: ``write`` for a writer run, ``cli`` for
  a ``postroom`` command (the console script's ``main`` with its own argv, stdin, stdout,
  stderr, environment and exit status); ``wait`` reaps one. Importing the package takes
  seconds; forking after the imports, before any event loop, thread or connection exists,
  lets ``test_crash`` afford two dozen kills and as many ``postroom verify`` runs, and
  ``test_cli`` run every directory command as its own process.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import os
import random
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from postroom.app import Services, open_services
from postroom.cli.main import main as postroom_main
from postroom.config import load_settings
from postroom.errors import NotFound

ORG = "Crash Test Org"
DOMAIN = "crash.test"
ADDRESS = f"writer@{DOMAIN}"
PASSWORD = "crash writer password"
#: Folders the writer's copies and moves go to (default folders of every account).
COPY_TO = "Archive"
MOVE_TO = "Trash"
#: Sizes of the shared messages: identical bytes each time, so they share one blob.
SHARED_SIZES = (300, 5_000, 70_000, 400_000)
FLAG_CHOICES = ("\\Seen", "\\Flagged", "\\Answered", "\\Draft", "$Label1")
FIXED_DATE = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def emit(line: str) -> None:
    """One line, one write(2): after a SIGKILL it is in the log whole or not at all."""
    os.write(1, (line + "\n").encode())


# --- messages ---------------------------------------------------------------------------


def body_of(size: int, rng: random.Random) -> bytes:
    """About ``size`` bytes of 76-character base64 lines (CRLF), from ``rng``."""
    raw = base64.b64encode(rng.randbytes(max(3, size * 3 // 4)))
    lines = [raw[i : i + 76] for i in range(0, len(raw), 76)]
    return b"\r\n".join(lines) + b"\r\n"


def message(token: str, body: bytes, date: datetime) -> bytes:
    headers = [
        f"From: Crash Writer <{ADDRESS}>",
        f"To: {ADDRESS}",
        f"Subject: crash {token}",
        f"Date: {format_datetime(date)}",
        f"Message-ID: <{token}@{DOMAIN}>",
        f"X-Crash-Token: {token}",
        f"X-Crash-Body-SHA256: {hashlib.sha256(body).hexdigest()}",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=us-ascii",
    ]
    return ("\r\n".join(headers) + "\r\n\r\n").encode() + body


def shared_message(k: int) -> tuple[str, bytes]:
    """The k-th shared message: the same bytes in every run."""
    token = f"shared-{k}"
    return token, message(token, body_of(SHARED_SIZES[k], random.Random(k)), FIXED_DATE)


def unique_size(rng: random.Random) -> int:
    r = rng.random()
    if r < 0.6:
        return rng.randint(100, 4_000)
    if r < 0.9:
        return rng.randint(4_000, 100_000)
    return rng.randint(100_000, 600_000)


# --- the writer -------------------------------------------------------------------------


async def ensure_account(services: Services) -> int:
    """Create the organisation, domain and account unless an earlier run did (idempotent:
    an earlier run may have been killed between any two of these steps)."""
    t = services.tenancy
    try:
        await t.organisations.get(ORG)
    except NotFound:
        await t.organisations.create(ORG, mailboxes=5, storage=50 * 1024**3)
    if await t.organisations.find_domain(DOMAIN) is None:
        await t.organisations.add_domain(ORG, DOMAIN)
    try:
        account = await t.accounts.get(ADDRESS)
    except NotFound:
        account = await t.accounts.add(ADDRESS, PASSWORD, quota=10 * 1024**3)
    return account.id


class Writer:
    """One run: appends and the occasional copy, move or expunge, reported line by line."""

    def __init__(self, services: Services, account_id: int, inbox_id: int, run: int,
                 rng: random.Random) -> None:
        self.services = services
        self.account_id = account_id
        self.inbox_id = inbox_id
        self.run = run
        self.rng = rng
        #: INBOX messages appended by this run and not moved or expunged: uid -> token.
        self.live: dict[int, str] = {}

    async def step(self, i: int) -> None:
        r = self.rng.random()
        if r < 0.70 or not self.live:
            token = f"r{self.run}n{i}x{self.rng.randrange(16**6):06x}"
            date = datetime.now(UTC)
            await self.append("A", token, message(token, body_of(unique_size(self.rng),
                                                                 self.rng), date))
        elif r < 0.82:
            await self.append("S", *shared_message(self.rng.randrange(len(SHARED_SIZES))))
        elif r < 0.89:
            await self.copy_or_move("C", self.services.mail.copy, COPY_TO)
        elif r < 0.95:
            await self.copy_or_move("M", self.services.mail.move, MOVE_TO)
        else:
            await self.expunge()

    async def append(self, kind: str, token: str, raw: bytes) -> None:
        flags = sorted(f for f in FLAG_CHOICES if self.rng.random() < 0.2)
        emit(f"BEGIN {kind} {token} {','.join(flags) or '-'}")
        result = await self.services.mail.append(self.account_id, "INBOX", raw, flags)
        emit(f"DONE {kind} {token} {result.uid} {result.uidvalidity}")
        self.live[result.uid] = token

    async def copy_or_move(self, kind: str, op: Callable[..., object], dest: str) -> None:
        uid = self.rng.choice(sorted(self.live))
        emit(f"BEGIN {kind} {uid} {self.live[uid]}")
        result = await op(self.account_id, self.inbox_id, [uid], dest)  # type: ignore[misc]
        emit(f"DONE {kind} {uid} {result.dest_uids[0]}")
        if kind == "M":
            del self.live[uid]

    async def expunge(self) -> None:
        uid = self.rng.choice(sorted(self.live))
        emit(f"BEGIN X {uid} {self.live[uid]}")
        mail = self.services.mail
        # Two transactions, as an IMAP client does it: a kill in between leaves the
        # message in place with \Deleted set.
        await mail.set_flags(self.account_id, self.inbox_id, [uid], "add", ["\\Deleted"])
        gone = await mail.expunge(self.account_id, self.inbox_id, [uid])
        assert gone == [uid], gone
        emit(f"DONE X {uid}")
        del self.live[uid]


async def write(run: int, seed: int) -> None:
    """Open the store, make sure the account exists, then write until killed."""
    services = await open_services(load_settings())
    try:
        account_id = await ensure_account(services)
        inbox = await services.mail.get_folder(account_id, "INBOX")
        emit(f"READY {inbox.uidvalidity}")
        writer = Writer(services, account_id, inbox.id, run, random.Random(seed))
        for i in range(1_000_000):
            await writer.step(i)
    finally:
        await services.close()


def run_writer(run: int, seed: int) -> None:
    emit(f"STARTED {os.getpid()}")
    asyncio.run(write(run, seed))


# --- the zygote -------------------------------------------------------------------------


def _redirect(stdin_path: str | None, out_path: str, err_path: str) -> None:
    source = os.open(stdin_path or os.devnull, os.O_RDONLY)
    os.dup2(source, 0)
    os.close(source)
    for fd, path in ((1, out_path), (2, err_path)):
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(target, fd)
        os.close(target)


def _child(request: dict[str, Any]) -> None:
    """Run one request in this forked child and leave with its exit status, never returning."""
    code = 0
    try:
        _redirect(request.get("stdin"), request["out"], request["err"])
        sys.stdin = os.fdopen(0, "r", closefd=False)
        sys.stdout = os.fdopen(1, "w", closefd=False)
        sys.stderr = os.fdopen(2, "w", closefd=False)
        os.environ.update(request.get("env", {}))
        if request["op"] == "write":
            run_writer(request["run"], request["seed"])
        else:
            sys.argv = ["postroom", *request["args"]]
            postroom_main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 70
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def zygote() -> None:
    """Serve JSON requests, one a line on standard input; answer one JSON line each.

    ``{"op": "write", "out", "err", "run", "seed"}`` and ``{"op": "cli", "out", "err",
    "args", ["stdin"], ["env"]}`` fork a child and answer ``{"pid"}``; ``{"op": "wait",
    "pid"}`` reaps it and answers ``{"pid", "exit"}`` (negative: killed by that signal);
    ``{"op": "quit"}`` ends.
    """
    # What ``open_services`` imports lazily (the migration machinery): once, here.
    import alembic.command
    import alembic.config
    import alembic.runtime.migration  # noqa: F401

    for line in sys.stdin:
        request = json.loads(line)
        if request["op"] == "quit":
            return
        if request["op"] == "wait":
            pid, status = os.waitpid(request["pid"], 0)
            reply: dict[str, Any] = {"pid": pid, "exit": os.waitstatus_to_exitcode(status)}
        elif request["op"] in ("write", "cli"):
            pid = os.fork()
            if pid == 0:
                _child(request)
            reply = {"pid": pid}
        else:
            reply = {"error": f"unknown op {request['op']!r}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


class Zygote:
    """The tests' handle on ``crash_writer.py --zygote`` (started with ``env``)."""

    def __init__(self, env: dict[str, str], cwd: Path | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--zygote"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, env=env, text=True, cwd=cwd or Path(__file__).parents[2])

    def ask(self, **request: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(request, default=str) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, f"the zygote died (exit {self.proc.poll()})"
        reply: dict[str, Any] = json.loads(line)
        assert "error" not in reply, reply["error"]
        return reply

    def fork(self, op: str, **request: Any) -> int:
        return int(self.ask(op=op, **request)["pid"])

    def wait(self, pid: int) -> int:
        """Reap ``pid``: its exit status, or minus the signal that killed it."""
        return int(self.ask(op="wait", pid=pid)["exit"])

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.write(json.dumps({"op": "quit"}) + "\n")
            self.proc.stdin.close()
            self.proc.wait(timeout=30)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zygote", action="store_true", help="fork writers on command")
    parser.add_argument("--run", type=int, default=0, help="run number (part of tokens)")
    parser.add_argument("--seed", type=int, default=0, help="random seed of this run")
    ns = parser.parse_args()
    if ns.zygote:
        zygote()
    else:
        run_writer(ns.run, ns.seed)


if __name__ == "__main__":
    main()
