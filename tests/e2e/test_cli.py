"""The ``postroom`` command end to end: real processes, a temporary data dir, real output.

What it proves:

- every command and group answers ``--help`` with exit 0 and a usage line (the whole
  command tree, walked, so a new command is covered without touching this file; the
  top level and one nested command as processes, the rest through click's runner);
- an error is one line on stderr starting ``postroom: error:``, saying what is wrong, with
  a non-zero exit and no traceback: unknown organisation, duplicate domain, an account
  beyond the mailbox allocation, a quota beyond the storage allocation, a bad size, an
  unknown account, a password that breaks the rules, and production settings without a
  secret (``check-config``);
- the directory commands print what they did and change the store accordingly: ``org
  create/list``, ``domain add/list``, ``account add --password-stdin`` (the password read
  from stdin is the one that logs in), ``account list --org``, ``account passwd``
  (old password refused, new one accepted), ``account suspend`` (login refused),
  ``account delete --yes``, ``alias add/list``;
- ``demo`` twice: the second run keeps the organisation and its mail and prints new
  passwords, which are the ones that log in;
- ``migrate`` is idempotent;
- ``serve`` on free ports logs ``listening: http on http://127.0.0.1:<port>``, prints the
  first operator login once (and that password works; a second start prints none),
  answers ``GET /healthz``, and stops cleanly (``stopping`` logged, exit 0) on SIGTERM
  and on SIGINT.

Every command runs as a process of its own: ``account add --help``, ``check-config`` and
``serve`` as the installed console script; the others forked from a process that imported
the package once (``crash_writer.py --zygote``) and then run the console script's ``main``
with their own argv, stdin, stdout, stderr, environment and exit status, because an
interpreter start costs seconds of imports and this file runs some twenty-five commands.

These run on SQLite in a temporary data dir whatever ``POSTROOM_TEST_DATABASE_URL`` says;
every ``POSTROOM_*`` variable of the calling environment is removed from the children's.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from postroom.app import open_services
from postroom.cli.main import cli
from postroom.config import Settings, load_settings
from postroom.errors import AuthenticationFailed
from tests.e2e.crash_writer import Zygote
from tests.ports import free_port

PASSWORD = "first password 1"
PORT_SETTINGS = ("http", "smtp", "submission", "submissions", "imap", "imaps", "pop3", "pop3s")


def postroom_command() -> list[str]:
    """The installed console script next to this interpreter (else on PATH)."""
    script = Path(sys.executable).with_name("postroom")
    return [str(script)] if script.exists() else ["postroom"]


def make_env(data_dir: Path | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTROOM_")}
    env.update(POSTROOM_ARGON2_TIME_COST="1", POSTROOM_ARGON2_MEMORY_KIB="8", **extra)
    if data_dir is not None:
        env["POSTROOM_DATA_DIR"] = str(data_dir)
    return env


def settings_for(data_dir: Path) -> Settings:
    return load_settings(data_dir=data_dir, database_url=None, argon2_time_cost=1,
                         argon2_memory_kib=8)


class Postroom:
    """Runs ``postroom`` commands against one data dir.

    ``real`` starts the console script; ``run`` and ``run_all`` fork each command from the
    zygote (``crash_writer.py``), which imported the package once: the same ``main`` with
    its own argv, stdin, stdout, stderr, environment and exit status, without the seconds
    every interpreter start spends importing.
    """

    def __init__(self, tmp: Path, zygote: Zygote) -> None:
        self.cwd = tmp
        self.data_dir = tmp / "data"
        self.env = make_env(self.data_dir)
        self.zygote = zygote
        self.count = 0

    def real(self, *args: str, env: dict[str, str] | None = None,
             ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([*postroom_command(), *args], capture_output=True, text=True,
                              env=env or self.env, cwd=self.cwd, timeout=120)
        if ok:
            assert done.returncode == 0, f"postroom {' '.join(args)}: {done.stderr}"
        return done

    def start(self, args: tuple[str, ...], stdin: str | None,
              env: dict[str, str] | None) -> tuple[int, Path, Path]:
        self.count += 1
        out, err, given = (self.cwd / f"cli{self.count}.{n}" for n in ("out", "err", "in"))
        given.write_text(stdin or "")
        pid = self.zygote.fork("cli", out=out, err=err, stdin=given, args=list(args),
                               env={"POSTROOM_DATA_DIR": str(self.data_dir), **(env or {})})
        return pid, out, err

    def finish(self, args: tuple[str, ...], pid: int, out: Path, err: Path,
               ok: bool) -> subprocess.CompletedProcess[str]:
        code = self.zygote.wait(pid)
        done = subprocess.CompletedProcess(["postroom", *args], code, out.read_text(),
                                           err.read_text())
        if ok:
            assert code == 0, f"postroom {' '.join(args)} exited {code}: {done.stderr}"
        return done

    def run(self, *args: str, stdin: str | None = None, ok: bool = True,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return self.finish(args, *self.start(args, stdin, env), ok=ok)

    def run_all(self, commands: dict[str, tuple[tuple[str, ...], str | None]],
                ok: bool = True) -> dict[str, subprocess.CompletedProcess[str]]:
        """Run independent commands side by side."""
        started = {name: (args, self.start(args, stdin, None))
                   for name, (args, stdin) in commands.items()}
        return {name: self.finish(args, *proc, ok=ok) for name, (args, proc) in started.items()}

    def login(self, address: str, password: str) -> bool:
        async def check() -> bool:
            services = await open_services(settings_for(self.data_dir))
            try:
                await services.tenancy.auth.login(address, password)
                return True
            except AuthenticationFailed:
                return False
            finally:
                await services.close()

        return asyncio.run(check())


@pytest.fixture(scope="module")
def zygote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Zygote]:
    forker = Zygote(make_env(), cwd=tmp_path_factory.mktemp("zygote"))
    try:
        yield forker
    finally:
        forker.close()


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings built in this process must not pick up the caller's POSTROOM_* values."""
    for key in [k for k in os.environ if k.startswith("POSTROOM_")]:
        monkeypatch.delenv(key)


@pytest.fixture
def postroom(tmp_path: Path, zygote: Zygote) -> Postroom:
    return Postroom(tmp_path, zygote)


def assert_one_line_error(done: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert done.returncode != 0, done.stdout
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("postroom: error: "), done.stderr
    for fragment in fragments:
        assert fragment in lines[0], done.stderr


def table_rows(stdout: str) -> list[list[str]]:
    """The rows of a table printed by ``table`` (columns are 2+ spaces apart)."""
    return [re.split(r"\s{2,}", line.strip()) for line in stdout.splitlines()[1:]]


# --- help ---------------------------------------------------------------------------------


def command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, command in sorted(group.commands.items()):
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from command_paths(command, (*prefix, name))


def test_every_command_answers_help() -> None:
    paths = list(command_paths(cli))
    assert ("account", "add") in paths and ("serve",) in paths and len(paths) >= 20
    runner = CliRunner()
    for path in [(), *paths]:
        result = runner.invoke(cli, [*path, "--help"], prog_name="postroom")
        assert result.exit_code == 0, (path, result.output)
        assert result.output.startswith(f"Usage: postroom {' '.join(path)}".rstrip()), path


def test_help_in_a_real_process(postroom: Postroom) -> None:
    nested = postroom.real("account", "add", "--help")
    assert nested.stdout.startswith("Usage: postroom account add [OPTIONS] ADDRESS")
    assert "--password-stdin" in nested.stdout and nested.stderr == ""
    top = postroom.run("--help")
    for group in ("serve", "migrate", "verify", "org", "domain", "account", "alias", "demo"):
        assert group in top.stdout


# --- errors ---------------------------------------------------------------------------------


async def _seed_errors(settings: Settings) -> None:
    services = await open_services(settings)
    try:
        orgs, accounts = services.tenancy.organisations, services.tenancy.accounts
        await orgs.create("Full College", mailboxes=1, storage=1024**3)
        await orgs.add_domain("Full College", "full.test")
        await accounts.add("only@full.test", PASSWORD, quota=100 * 1024**2)
        await orgs.create("Small College", mailboxes=10, storage=1024**3)
        await orgs.add_domain("Small College", "small.test")
    finally:
        await services.close()


def test_errors_are_one_clear_line(postroom: Postroom) -> None:
    asyncio.run(_seed_errors(settings_for(postroom.data_dir)))
    results = postroom.run_all({
        "unknown org": (("account", "list", "--org", "Nowhere"), None),
        "unknown org for domain": (("domain", "add", "Nowhere", "nowhere.test"), None),
        "duplicate domain": (("domain", "add", "Small College", "full.test"), None),
        "beyond mailboxes": (("account", "add", "second@full.test", "--password-stdin",
                              "--quota", "1MiB"), PASSWORD + "\n"),
        "beyond storage": (("account", "add", "big@small.test", "--password-stdin",
                            "--quota", "2GiB"), PASSWORD + "\n"),
        "bad size": (("org", "create", "Odd College", "--storage", "ten parsecs"), None),
        "unknown account": (("account", "passwd", "ghost@small.test", "--password-stdin"),
                            PASSWORD + "\n"),
        "short password": (("account", "add", "new@small.test", "--password-stdin"),
                           "short\n"),
    }, ok=False)
    assert_one_line_error(results["unknown org"], "Nowhere")
    assert_one_line_error(results["unknown org for domain"], "Nowhere")
    assert_one_line_error(results["duplicate domain"], "full.test", "exists")
    assert_one_line_error(results["beyond mailboxes"], "Full College", "mailboxes")
    assert_one_line_error(results["beyond storage"], "storage allocation")
    assert_one_line_error(results["bad size"], "ten parsecs")
    assert_one_line_error(results["unknown account"], "ghost@small.test")
    assert_one_line_error(results["short password"], "at least 8 characters")
    listed = postroom.run("account", "list")  # nothing of the above was half done
    assert [r[0] for r in table_rows(listed.stdout)] == ["only@full.test"]


def test_check_config_refuses_production_without_secret(postroom: Postroom) -> None:
    env = make_env(postroom.data_dir, POSTROOM_ENVIRONMENT="production")
    done = postroom.real("check-config", env=env, ok=False)
    assert_one_line_error(done, "POSTROOM_SECRET_KEY")
    assert done.stdout == ""
    fine = postroom.run("check-config")
    assert fine.stdout.splitlines()[-1] == "settings OK"
    assert "environment = development" in fine.stdout


# --- the directory commands --------------------------------------------------------------------


def test_directory_commands(postroom: Postroom) -> None:
    run = postroom.run
    created = run("org", "create", "Acme College", "--mailboxes", "3", "--storage", "5GiB")
    assert re.fullmatch(r"created organisation 'Acme College' \(id \d+\)\n", created.stdout)
    added = run("domain", "add", "Acme College", "Acme.Test")
    assert added.stdout == "added domain acme.test (DKIM selector postroom1)\n"
    # Independent commands run side by side: every process start costs seconds.
    made = postroom.run_all({
        "ann": (("account", "add", "Ann@acme.test", "--password-stdin", "--quota", "1GiB",
                 "--admin", "--name", "Ann Example"), PASSWORD + "\n"),
        "bob": (("account", "add", "bob@acme.test", "--password-stdin", "--quota", "500MiB"),
                PASSWORD + "\n"),
    })
    assert made["ann"].stdout == "created account ann@acme.test (org_admin, quota 1 GiB)\n"
    assert made["bob"].stdout == "created account bob@acme.test (user, quota 500 MiB)\n"
    assert postroom.login("ann@acme.test", PASSWORD)
    assert not postroom.login("ann@acme.test", PASSWORD + "\n")

    listed = postroom.run_all({"orgs": (("org", "list"), None),
                               "domains": (("domain", "list"), None),
                               "accounts": (("account", "list", "--org", "Acme College"), None)})
    assert table_rows(listed["orgs"].stdout) == [
        ["Acme College", "active", "2/3", "1.5 GiB/5 GiB", "yes", "charged", "acme.test"]]
    assert table_rows(listed["domains"].stdout) == [
        ["acme.test", "Acme College", "pending_dns", "postroom1"]]
    assert table_rows(listed["accounts"].stdout) == [
        ["ann@acme.test", "Ann Example", "active", "org_admin", "0 B/1 GiB"],
        ["bob@acme.test", "-", "active", "user", "0 B/500 MiB"]]

    changed = postroom.run_all({
        "passwd": (("account", "passwd", "bob@acme.test", "--password-stdin"),
                   "second password 2\n"),
        "suspend": (("account", "suspend", "ann@acme.test"), None),
        "alias": (("alias", "add", "info@acme.test", "ann@acme.test", "bob@acme.test"), None),
    })
    assert changed["passwd"].stdout == "password of bob@acme.test changed\n"
    assert changed["suspend"].stdout == "suspended ann@acme.test\n"
    assert changed["alias"].stdout == "alias info@acme.test -> ann@acme.test, bob@acme.test\n"
    assert not postroom.login("bob@acme.test", PASSWORD)
    assert postroom.login("bob@acme.test", "second password 2")
    assert not postroom.login("ann@acme.test", PASSWORD)  # suspended

    final = postroom.run_all({"aliases": (("alias", "list"), None),
                              "delete": (("account", "delete", "bob@acme.test", "--yes"), None)})
    assert table_rows(final["aliases"].stdout) == [
        ["info@acme.test", "ann@acme.test, bob@acme.test"]]
    assert final["delete"].stdout == "deleted bob@acme.test\n"
    assert table_rows(run("account", "list", "--org", "Acme College").stdout) == [
        ["ann@acme.test", "Ann Example", "suspended", "org_admin", "0 B/1 GiB"]]


# --- demo and migrate -------------------------------------------------------------------------


def demo_logins(stdout: str) -> dict[str, str]:
    found = re.findall(r"^\s+(\S+@example\.test)\s+password (\S+)", stdout, re.MULTILINE)
    return dict(found)


async def _alice_inbox(settings: Settings) -> int:
    services = await open_services(settings)
    try:
        alice = await services.tenancy.accounts.get("alice@example.test")
        inbox = await services.mail.get_folder(alice.id, "INBOX")
        return len(await services.mail.messages(alice.id, inbox.id))
    finally:
        await services.close()


def test_demo_twice_keeps_the_data_and_gives_new_passwords(postroom: Postroom) -> None:
    first = postroom.run("demo")
    assert "domain example.test created" in first.stdout
    first_logins = demo_logins(first.stdout)
    assert set(first_logins) == {"admin@example.test", "alice@example.test", "bob@example.test"}
    inbox = asyncio.run(_alice_inbox(settings_for(postroom.data_dir)))
    assert inbox >= 1

    second = postroom.run("demo")
    assert "(already there: new passwords)" in second.stdout
    second_logins = demo_logins(second.stdout)
    assert set(second_logins) == set(first_logins)
    assert all(second_logins[a] != first_logins[a] for a in first_logins)
    assert asyncio.run(_alice_inbox(settings_for(postroom.data_dir))) == inbox
    assert postroom.login("alice@example.test", second_logins["alice@example.test"])
    assert not postroom.login("alice@example.test", first_logins["alice@example.test"])


def test_migrate_is_idempotent(postroom: Postroom) -> None:
    first = postroom.run("migrate")
    match = re.fullmatch(r"database at revision (\S+) \(migrated\)\n", first.stdout)
    assert match, first.stdout
    second = postroom.run("migrate")
    assert second.stdout == f"database at revision {match.group(1)}\n"


# --- serve ------------------------------------------------------------------------------------


class Server:
    """``postroom serve`` in the background, its log in a file."""

    def __init__(self, postroom: Postroom, log: Path) -> None:
        self.ports = {name: free_port() for name in PORT_SETTINGS}
        env = make_env(postroom.data_dir, **{f"POSTROOM_{name.upper()}_PORT": str(port)
                                             for name, port in self.ports.items()})
        self.log = log
        with open(log, "wb") as out:
            self.proc = subprocess.Popen([*postroom_command(), "serve"], stdout=out,
                                         stderr=subprocess.STDOUT, env=env, cwd=postroom.cwd)

    def text(self) -> str:
        return self.log.read_text()

    def wait_for(self, pattern: str, timeout: float = 60.0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while (found := re.search(pattern, self.text())) is None:
            assert self.proc.poll() is None, f"serve exited {self.proc.returncode}:\n{self.text()}"
            assert time.monotonic() < deadline, f"no {pattern!r} in:\n{self.text()}"
            time.sleep(0.05)
        return found

    def stop(self, sig: signal.Signals) -> int:
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=30)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()


def get_json(url: str) -> tuple[int, object]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, json.loads(response.read())


def serve_once(postroom: Postroom, log: Path, sig: signal.Signals) -> str:
    """Start, check the listener and /healthz, stop with ``sig``; returns the log."""
    server = Server(postroom, log)
    try:
        port = server.ports["http"]
        server.wait_for(rf"listening: http on http://127\.0\.0\.1:{port}\b")
        status, body = get_json(f"http://127.0.0.1:{port}/healthz")
        assert status == 200 and isinstance(body, dict) and body["status"] == "ok"
    finally:
        code = server.stop(sig)
    text = server.text()
    assert code == 0, f"serve exited {code} on {sig.name}:\n{text}"
    assert re.search(r"\bstopping\b", text), text
    assert "Traceback" not in text, text
    return text


async def _operator_login(settings: Settings, password: str) -> bool:
    services = await open_services(settings)
    try:
        await services.tenancy.auth.operator_login("operator", password)
        return True
    except AuthenticationFailed:
        return False
    finally:
        await services.close()


def test_serve_starts_answers_and_stops_cleanly(postroom: Postroom) -> None:
    first = serve_once(postroom, postroom.cwd / "serve1.log", signal.SIGTERM)
    logins = re.findall(r"operator login 'operator' with password (\S+)", first)
    assert len(logins) == 1, first
    assert asyncio.run(_operator_login(settings_for(postroom.data_dir), logins[0]))

    second = serve_once(postroom, postroom.cwd / "serve2.log", signal.SIGINT)
    assert "operator login" not in second and logins[0] not in second, second
