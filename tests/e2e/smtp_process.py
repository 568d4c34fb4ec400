"""``postroom serve`` as a separate process for SMTP tests that kill it or measure it.

`ServerProcess` writes a settings file (free ports, its own data dir, a static DNS file
so nothing leaves the machine), starts ``postroom serve`` (forked from a zygote that
imported the package once, `crash_writer.Zygote`, because an interpreter start costs
seconds), waits until the SMTP port greets, and can be killed with SIGKILL or stopped
with SIGTERM. `populate` makes the test organisation and account first.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

from postroom.app import open_services
from postroom.config import Settings
from tests.conftest import PG_URL, reset_postgres, test_settings
from tests.e2e.crash_writer import Zygote
from tests.factories import make_account, make_org
from tests.ports import free_port


@dataclass
class ServerProcess:
    data_dir: Path
    database_url: str | None = PG_URL
    ports: dict[str, int] = field(default_factory=dict)
    pid: int | None = None
    log_path: Path | None = None
    zygote: Zygote | None = None

    def __post_init__(self) -> None:
        self.ports = {name: free_port() for name in
                      ("smtp_port", "submission_port", "submissions_port", "http_port",
                       "imap_port", "imaps_port", "pop3_port", "pop3s_port")}
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.data_dir / "dns.toml").write_text("")
        lines = [f'data_dir = "{self.data_dir}"', 'hostname = "mx.postroom.test"',
                 f'dns_static_file = "{self.data_dir / "dns.toml"}"',
                 "argon2_time_cost = 1", "argon2_memory_kib = 8"]
        if self.database_url:
            lines.append(f'database_url = "{self.database_url}"')
        lines += [f"{k} = {v}" for k, v in self.ports.items()]
        self.config = self.data_dir / "postroom.toml"
        self.config.write_text("\n".join(lines) + "\n")

    def settings(self) -> Settings:
        return test_settings(self.data_dir.parent, data_dir=self.data_dir,
                             dns_static_file=self.data_dir / "dns.toml")

    @property
    def smtp(self) -> int:
        return self.ports["smtp_port"]

    def start(self, timeout: float = 60.0) -> None:
        if self.zygote is None:
            env = {k: v for k, v in os.environ.items() if not k.startswith("POSTROOM_")}
            self.zygote = Zygote(env)
        self.log_path = self.data_dir / f"serve-{time.monotonic_ns()}.log"
        self.pid = self.zygote.fork("cli", out=self.log_path, err=self.log_path,
                                    args=["serve", "--config", str(self.config),
                                          "--log-level", "WARNING"])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not Path(f"/proc/{self.pid}").exists() or _zombie(self.pid):
                raise RuntimeError(f"serve exited: {self.log_path.read_text()[-2000:]}")
            try:
                import socket

                with socket.create_connection(("127.0.0.1", self.smtp), timeout=1) as s:
                    if s.recv(100).startswith(b"220"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("serve did not start")

    def kill(self) -> None:
        self._end(signal.SIGKILL)

    def stop(self) -> int:
        return self._end(signal.SIGTERM)

    def _end(self, sig: signal.Signals) -> int:
        if self.pid is None or self.zygote is None:
            return 0
        pid, self.pid = self.pid, None
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass
        return self.zygote.wait(pid)

    def close(self) -> None:
        self.kill()
        if self.zygote is not None:
            self.zygote.close()
            self.zygote = None

    def memory(self, field_name: str = "VmHWM") -> int:
        """A /proc/<pid>/status size in bytes (VmHWM: peak resident, VmRSS: now)."""
        assert self.pid is not None
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) * 1024
        raise KeyError(field_name)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")
    except OSError:
        return True


async def populate(server: ServerProcess) -> None:
    if server.database_url:
        await reset_postgres(server.database_url)
    services = await open_services(server.settings())
    try:
        await make_org(services)
        await make_account(services, "ann@example.org")
    finally:
        await services.close()


def run_populate(server: ServerProcess) -> None:
    asyncio.run(populate(server))
