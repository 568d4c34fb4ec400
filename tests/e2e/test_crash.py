"""Crash safety of the store (DESIGN section 5): SIGKILL never loses or tears a message.

A writer process (``crash_writer.py``) appends mail to INBOX in a loop (unique messages of
varied size, some flagged; identical messages that share a blob; now and then a copy, a
move or an expunge) and prints a line after each operation *returns*. The test kills it
with SIGKILL at random moments, 24 times, restarting it each time; most kills land a
random 0.05-0.6 s into the write loop, every sixth (and the first, which migrates the
empty database) in the start-up: opening the store, migrating, creating the account.

After every kill, with the writer dead, the test proves through the store API:

- every operation reported as returned is in the store, and nothing else is: per folder,
  each message token is present exactly as often as the reported operations say, plus at
  most the one operation that was in flight at the kill, applied wholly or not at all (a
  move is never in both folders or in neither);
- every reported UID holds the message it was reported for, with its flags; UIDs in a
  folder are unique and below UIDNEXT, reported UIDs strictly increase across restarts
  (never reused), and UIDVALIDITY never changes;
- no message is half-visible: each row's blob is readable, has the row's size and its
  SHA-256, parses, carries its token in Subject and header and a body whose SHA-256 matches
  the one in its header, and the parsed summary stored with it names the same subject;
- ``postroom verify`` exits 0 and reports ``0 problems`` (orphan blob files and temporary
  files of an interrupted write are *leftovers*, allowed).

At the end a real ``postroom verify`` and ``postroom verify --fix`` run as fresh processes.
Runs on SQLite, and on PostgreSQL when ``POSTROOM_TEST_DATABASE_URL`` is set (in a fresh
database of its own, created and dropped here). ``POSTROOM_CRASH_SEED`` replays a run.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from postroom.app import Services, open_services
from postroom.config import Settings
from postroom.errors import NotFound
from tests.conftest import PG_URL, test_settings
from tests.e2e.crash_writer import Zygote

pytestmark = pytest.mark.slow

WRITER = Path(__file__).with_name("crash_writer.py")
ADDRESS = "writer@crash.test"
INBOX, COPY_TO, MOVE_TO = "INBOX", "Archive", "Trash"
KILLS = 24
EARLY_KILL_EVERY = 6
START_TIMEOUT = 60.0

Key = tuple[str, int]  # (folder name, uid)


# --- the processes ----------------------------------------------------------------------


def alive(pid: int) -> bool:
    """Running (a zombie, dead and waiting to be reaped, counts as not alive)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def log_lines(path: Path) -> list[str]:
    """Complete lines only: a line cut by the kill was not reported."""
    data = path.read_bytes() if path.exists() else b""
    return [line.decode() for line in data.split(b"\n")[:-1]]


def wait_for(path: Path, prefix: str, pid: int, err: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not any(line.startswith(prefix) for line in log_lines(path)):
        if not alive(pid):
            pytest.fail(f"writer {pid} died before {prefix}:\n{err.read_text()}")
        if time.monotonic() > deadline:
            pytest.fail(f"writer {pid} did not print {prefix} within {START_TIMEOUT} s")
        time.sleep(0.005)


# --- what the store holds -----------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """One message row as read back through the store API."""

    token: str
    flags: frozenset[str]


@dataclass
class Snapshot:
    rows: dict[Key, Seen] = field(default_factory=dict)
    uidvalidity: int | None = None

    def counts(self) -> Counter[tuple[str, str]]:
        return Counter((folder, seen.token) for (folder, _), seen in self.rows.items())


def check_bytes(raw: bytes, size: int, digest: str, parsed: dict[str, str]) -> str:
    """The message is whole: size, hash, parse, token and body checksum. Returns the token.

    ``parsed`` remembers the token of each blob already parsed: a blob's bytes are fixed by
    its name (checked every time), so parsing them again would find the same.
    """
    assert len(raw) == size, f"blob {digest} has {len(raw)} bytes, the row says {size}"
    assert hashlib.sha256(raw).hexdigest() == digest, f"blob {digest} does not hash to its name"
    if digest in parsed:
        return parsed[digest]
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert msg["X-Crash-Token"] is not None, f"torn headers in {digest}"
    token = str(msg["X-Crash-Token"])
    assert str(msg["Subject"]) == f"crash {token}", f"torn headers in {digest}"
    body = raw.split(b"\r\n\r\n", 1)[1]
    assert hashlib.sha256(body).hexdigest() == str(msg["X-Crash-Body-SHA256"]), \
        f"torn body in {digest} ({token})"
    parsed[digest] = token
    return token


async def read_store(settings: Settings, parsed: dict[str, str]) -> Snapshot:
    """Open the store in this process (the writer is dead) and take a snapshot."""
    services = await open_services(settings, migrate=False)  # `postroom verify` migrated
    try:
        return await snapshot(services, parsed)
    finally:
        await services.close()


async def snapshot(services: Services, parsed: dict[str, str]) -> Snapshot:
    """Every message of the writer's account, each checked to be whole."""
    try:
        account = await services.tenancy.accounts.get(ADDRESS)
    except NotFound:
        return Snapshot()
    mail, snap = services.mail, Snapshot()
    for folder in await mail.list_folders(account.id):
        rows = await mail.messages(account.id, folder.id)
        uids = [r.uid for r in rows]
        assert uids == sorted(set(uids)), f"{folder.name}: UIDs not unique and increasing"
        assert not uids or uids[-1] < folder.uidnext, f"{folder.name}: UID beyond UIDNEXT"
        details = {d.row.uid: d for d in await mail.details(account.id, folder.id, uids)}
        for row in rows:
            token = check_bytes(await mail.read_message(row), row.size, row.blob_hash, parsed)
            assert details[row.uid].subject == f"crash {token}", "summary of another message"
            snap.rows[(folder.name, row.uid)] = Seen(token, row.flags)
        if folder.name == INBOX:
            snap.uidvalidity = folder.uidvalidity
    return snap


# --- what the writer reported -----------------------------------------------------------


@dataclass
class Model:
    """The store as the reported operations say it must be."""

    rows: dict[Key, Seen] = field(default_factory=dict)
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    last_uid: dict[str, int] = field(default_factory=dict)
    uidvalidity: int | None = None
    expunge_targets: set[Key] = field(default_factory=set)
    done: int = 0

    def add(self, folder: str, uid: int, seen: Seen) -> None:
        assert uid > self.last_uid.get(folder, 0), f"{folder}: UID {uid} reused or out of order"
        self.last_uid[folder] = uid
        self.rows[(folder, uid)] = seen
        self.counts[(folder, seen.token)] += 1

    def remove(self, folder: str, uid: int) -> Seen:
        seen = self.rows.pop((folder, uid))
        self.counts[(folder, seen.token)] -= 1
        return seen

    def apply(self, begin: list[str], done: list[str]) -> None:
        """Apply one reported operation (its BEGIN and DONE lines)."""
        kind = begin[1]
        if kind in ("A", "S"):
            token, uid, uidvalidity = done[2], int(done[3]), int(done[4])
            assert self.uidvalidity in (None, uidvalidity), "UIDVALIDITY changed"
            self.uidvalidity = uidvalidity
            flags = frozenset(begin[3].split(",")) - {"-"}
            self.add(INBOX, uid, Seen(token, flags))
        elif kind == "C":
            self.add(COPY_TO, int(done[3]), self.rows[(INBOX, int(begin[2]))])
        elif kind == "M":
            self.add(MOVE_TO, int(done[3]), self.remove(INBOX, int(begin[2])))
        elif kind == "X":
            self.remove(INBOX, int(begin[2]))
        self.done += 1

    def absorb(self, lines: list[str]) -> list[str] | None:
        """Apply the returned operations of one run; return the one in flight, if any."""
        begin: list[str] | None = None
        for line in lines:
            words = line.split()
            if words[0] == "READY":
                assert self.uidvalidity in (None, int(words[1])), "UIDVALIDITY changed"
                self.uidvalidity = int(words[1])
            elif words[0] == "BEGIN":
                begin = words
                if words[1] == "X":
                    self.expunge_targets.add((INBOX, int(words[2])))
            elif words[0] == "DONE":
                assert begin is not None and begin[1] == words[1], f"unpaired {line!r}"
                self.apply(begin, words)
                begin = None
        return begin


def in_flight_delta(pending: list[str], model: Model) -> Counter[tuple[str, str]]:
    """How the counts change if the operation in flight at the kill did happen."""
    kind = pending[1]
    if kind in ("A", "S"):
        return Counter({(INBOX, pending[2]): 1})
    token = model.rows[(INBOX, int(pending[2]))].token
    if kind == "C":
        return Counter({(COPY_TO, token): 1})
    if kind == "M":
        return Counter({(INBOX, token): -1, (MOVE_TO, token): 1})
    return Counter({(INBOX, token): -1})


def settle_in_flight(model: Model, pending: list[str], snap: Snapshot) -> None:
    """The operation in flight did commit (unreported): bring the model up to date."""
    kind = pending[1]
    if kind == "X":
        model.remove(INBOX, int(pending[2]))
        return
    folder = {"A": INBOX, "S": INBOX, "C": COPY_TO, "M": MOVE_TO}[kind]
    new = sorted(uid for (f, uid) in snap.rows if f == folder and (f, uid) not in model.rows)
    assert len(new) == 1, f"in-flight {pending} left {len(new)} new rows in {folder}"
    seen = snap.rows[(folder, new[0])]
    if kind in ("A", "S"):
        assert seen.token == pending[2], f"in-flight {pending} stored {seen.token}"
        assert seen.flags == frozenset(pending[3].split(",")) - {"-"}, (pending, seen)
    if kind == "M":
        model.remove(INBOX, int(pending[2]))
    model.add(folder, new[0], seen)


def reconcile(model: Model, pending: list[str] | None, snap: Snapshot) -> str:
    """Compare the store with the model; adopt the in-flight operation if it happened."""
    actual, expected = +snap.counts(), +model.counts
    outcome = "none in flight"
    if pending is not None and actual != expected:
        with_it = Counter(model.counts)
        with_it.update(in_flight_delta(pending, model))  # update() adds negative counts too
        assert actual == +with_it, diff_message(actual, expected, pending)
        settle_in_flight(model, pending, snap)
        outcome = "in-flight operation committed"
    elif pending is not None:
        outcome = "in-flight operation rolled back"
    assert actual == +model.counts, diff_message(actual, expected, pending)
    check_rows(model, snap)
    return outcome


def check_rows(model: Model, snap: Snapshot) -> None:
    for key, want in model.rows.items():
        got = snap.rows.get(key)
        assert got is not None, f"reported message {want.token} at {key} is gone"
        assert got.token == want.token, f"{key} holds {got.token}, reported {want.token}"
        extra = got.flags - want.flags
        assert extra <= {"\\Deleted"} and want.flags <= got.flags, \
            f"{key} ({want.token}) has flags {sorted(got.flags)}, reported {sorted(want.flags)}"
        if extra:
            assert key in model.expunge_targets, f"{key} has \\Deleted but was never expunged"
    if snap.uidvalidity is not None and model.uidvalidity is not None:
        assert snap.uidvalidity == model.uidvalidity, "UIDVALIDITY of INBOX changed"


def diff_message(actual: Counter[tuple[str, str]], expected: Counter[tuple[str, str]],
                 pending: list[str] | None) -> str:
    missing = sorted((expected - actual).items())
    extra = sorted((actual - expected).items())
    return f"store differs from the reports: missing {missing}, extra {extra}, " \
           f"in flight {pending}"


# --- fixtures -----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The caller's POSTROOM_* values would override the test's settings in this process."""
    for key in [k for k in os.environ if k.startswith("POSTROOM_")]:
        monkeypatch.delenv(key)


@pytest.fixture
def database_url() -> Iterator[str | None]:
    """A fresh PostgreSQL database of this test's own (dropped after), or None: SQLite."""
    if not PG_URL:
        yield None
        return
    import asyncpg
    from sqlalchemy.engine import make_url

    url = make_url(PG_URL)
    name = f"postroom_crash_{os.getpid()}_{secrets.token_hex(4)}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(host=url.host, port=url.port, user=url.username,
                                     password=url.password, database=url.database)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def child_env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTROOM_")}
    env.update(POSTROOM_DATA_DIR=str(data_dir), POSTROOM_ARGON2_TIME_COST="1",
               POSTROOM_ARGON2_MEMORY_KIB="8")
    if database_url:
        env["POSTROOM_DATABASE_URL"] = database_url
    return env


# --- the test -------------------------------------------------------------------------------


@dataclass
class Crash:
    """One crash-test session: paths, processes, the model, and what happened."""

    tmp: Path
    env: dict[str, str]
    database_url: str | None
    rng: random.Random
    zygote: Zygote
    model: Model = field(default_factory=Model)
    outcomes: Counter[str] = field(default_factory=Counter)
    parsed: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    #: The writer of the current run, killed on the way out if a check failed first.
    writer: int | None = None

    def timed(self, phase: str, since: float) -> float:
        now = time.monotonic()
        self.seconds[phase] = self.seconds.get(phase, 0.0) + now - since
        return now

    def kill_one(self, run: int) -> None:
        out, err = self.tmp / f"run{run}.out", self.tmp / f"run{run}.err"
        seed = self.rng.randrange(2**32)
        direct = None
        if run == KILLS - 1:  # the last run in a fresh interpreter: the script as documented
            with open(out, "wb") as o, open(err, "wb") as e:
                direct = subprocess.Popen(
                    [sys.executable, str(WRITER), "--run", str(run), "--seed", str(seed)],
                    stdout=o, stderr=e, env=self.env, cwd=Path(__file__).parents[2])
            pid = direct.pid
        else:
            pid = self.zygote.fork("write", out=out, err=err, run=run, seed=seed)
        self.writer = pid
        early = run % EARLY_KILL_EVERY == 0
        t = time.monotonic()
        wait_for(out, "STARTED" if early else "READY", pid, err)
        t = self.timed("writer start", t)
        time.sleep(self.rng.uniform(0.0, 0.4) if early else self.rng.uniform(0.05, 0.6))
        os.kill(pid, signal.SIGKILL)
        status = direct.wait(timeout=30) if direct else self.zygote.wait(pid)
        self.writer = None
        assert status == -signal.SIGKILL, f"writer exited {status}:\n{err.read_text()}"
        self.timed("writing", t)
        self.check(run, log_lines(out))

    def check(self, run: int, lines: list[str]) -> None:
        pending = self.model.absorb(lines)
        t = time.monotonic()
        self.verify_cli(run)  # first: it also migrates a database whose migration was killed
        t = self.timed("postroom verify", t)
        settings = test_settings(self.tmp, database_url=self.database_url)
        snap = asyncio.run(read_store(settings, self.parsed))
        self.outcomes[reconcile(self.model, pending, snap)] += 1
        self.timed("store checks", t)

    def verify_cli(self, run: int) -> None:
        out, err = self.tmp / f"verify{run}.out", self.tmp / f"verify{run}.err"
        status = self.zygote.wait(self.zygote.fork("cli", out=out, err=err, args=["verify"]))
        report = out.read_text()
        assert status == 0, f"postroom verify exited {status}:\n{report}{err.read_text()}"
        assert report.splitlines()[-1].startswith("0 problems,"), report
        assert all(line.startswith(("leftover: ", "0 problems"))
                   for line in report.splitlines()), report


def postroom_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("postroom") or "postroom"
    return subprocess.run([exe, *args], env=env, capture_output=True, text=True, timeout=120)


def test_sigkill_never_loses_or_tears_a_message(
    tmp_path: Path, database_url: str | None
) -> None:
    seed = int(os.environ.get("POSTROOM_CRASH_SEED", secrets.randbits(32)))
    env = child_env(tmp_path / "data", database_url)
    crash = Crash(tmp_path, env, database_url, random.Random(seed), Zygote(env))
    started = time.monotonic()
    try:
        for run in range(KILLS):
            crash.kill_one(run)
    except BaseException:
        print(f"crash test seed: POSTROOM_CRASH_SEED={seed}")
        raise
    finally:
        if crash.writer is not None and alive(crash.writer):
            os.kill(crash.writer, signal.SIGKILL)
        crash.zygote.close()
    model = crash.model
    print(f"{KILLS} kills in {time.monotonic() - started:.1f} s, {model.done} operations "
          f"returned, {len(model.rows)} messages, in flight: {dict(crash.outcomes)}, seconds: "
          + ", ".join(f"{k} {v:.1f}" for k, v in crash.seconds.items()))
    assert model.done >= KILLS, "the writer hardly wrote: the kills tested nothing"
    assert len(model.rows) > 0

    checked = postroom_cli(env, "verify")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.splitlines()[-1].startswith("0 problems,"), checked.stdout
    fixed = postroom_cli(env, "verify", "--fix")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert fixed.stdout.splitlines()[-1].startswith("0 problems,"), fixed.stdout
