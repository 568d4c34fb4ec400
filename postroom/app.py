"""Composition root: Settings -> store, services, servers; start and stop.

This is the only module that wires components together. Nothing imports it but the CLI
and the tests. ``Services`` holds what one node has open (database, blob store, change
feed, mail store, tenancy); ``run_server`` starts every listener and background worker in
one event loop and stops them cleanly on SIGTERM/SIGINT.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import signal
from collections.abc import Awaitable, Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from postroom.config import Environment, Settings
from postroom.mail.mime import MimeLimits
from postroom.protocols.common.context import ServerContext
from postroom.protocols.common.listener import RunningListener
from postroom.protocols.common.tls import Certificates
from postroom.store.blobs import BlobStore
from postroom.store.changes import ChangeFeed
from postroom.store.db import Database, open_database
from postroom.store.mailboxes import MailStore
from postroom.tenancy import Tenancy
from postroom.tenancy.passwords import Passwords

StartProtocol = Callable[[ServerContext], Awaitable[list[RunningListener]]]


def mail_protocols() -> tuple[StartProtocol, ...]:
    """Each mail protocol's ``start(ctx) -> list[RunningListener]``, in start order.

    Imported here, not at the top: the CLI's directory commands import this module and
    should not pay for the whole server stack.
    """
    from postroom.protocols.imap import server as imap_server
    from postroom.protocols.pop3 import server as pop3_server
    from postroom.protocols.smtp import server as smtp_server

    return (pop3_server.start, imap_server.start, smtp_server.start)

if TYPE_CHECKING:
    from postroom.delivery import Delivery

log = logging.getLogger("postroom")


@dataclass
class Services:
    """Everything one node has open, built from its settings."""

    settings: Settings
    db: Database
    blobs: BlobStore
    feed: ChangeFeed
    mail: MailStore
    tenancy: Tenancy
    secret_key: str = field(repr=False, default="")

    async def close(self) -> None:
        await self.db.close()


async def open_services(settings: Settings, *, migrate: bool = True) -> Services:
    """Open the database (migrating it when asked) and build the services on it."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = open_database(settings.effective_database_url)
    if migrate:
        await db.migrate()
    blobs = BlobStore(settings.blob_dir)
    feed = ChangeFeed()
    limits = MimeLimits(
        max_depth=settings.mime_max_depth,
        max_parts=settings.mime_max_parts,
        max_header_bytes=int(settings.max_header_size),
    )
    mail = MailStore(db, blobs, feed, max_message_size=int(settings.max_message_size),
                     mime_limits=limits)
    passwords = Passwords(settings.argon2_time_cost, settings.argon2_memory_kib)
    tenancy = Tenancy.build(db, blobs, passwords, default_quota=int(settings.default_quota))
    return Services(settings, db, blobs, feed, mail, tenancy, _secret_key(settings))


def _secret_key(settings: Settings) -> str:
    """The configured secret, or in development one generated once into the data dir."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    if settings.environment is Environment.PRODUCTION:  # refused by Settings already
        raise RuntimeError("production without a secret key")
    path = settings.data_dir / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


@dataclass
class Listener:
    """One bound server, for the log line and for shutdown."""

    name: str
    address: str
    close: Callable[[], Awaitable[None]]


async def start_http(services: Services, delivery: Delivery) -> Listener:
    import uvicorn

    from postroom.web.app import create_app

    settings = services.settings
    # The web mail's send button uses the one submission path (postroom.delivery).
    config = uvicorn.Config(
        create_app(services.tenancy, services.mail, services.secret_key,
                   dev=settings.environment is Environment.DEVELOPMENT,
                   submit=delivery.submitter.submit),
        host=settings.listen_address,
        port=settings.http_port,
        log_level="warning",
        lifespan="off",
        access_log=False,
        # Open event streams (web mail live updates) must not hold a shutdown for long.
        timeout_graceful_shutdown=2,
    )
    server = _EmbeddedUvicorn(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            # uvicorn logs the bind error and exits (SystemExit); say it in one line.
            with suppress(SystemExit):
                task.result()
            raise OSError(f"the HTTP listener could not bind "
                          f"{settings.listen_address}:{settings.http_port} (in use?)")
        await asyncio.sleep(0.02)

    async def close() -> None:
        server.should_exit = True
        with suppress(asyncio.CancelledError):
            await task

    return Listener("http", f"http://{_url_host(settings.listen_address)}:{server_port(server)}",
                    close)


def server_port(server: object) -> int:
    sockets = [s for srv in getattr(server, "servers", []) for s in srv.sockets]
    return int(sockets[0].getsockname()[1]) if sockets else 0


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", "::", ""):
        return "localhost"
    return f"[{host}]" if ":" in host else host


def _EmbeddedUvicorn(config: Any) -> Any:
    """uvicorn.Server without its own signal handling: ``run_server`` owns the signals."""
    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    return Server(config)


def start_queue_worker(delivery: Delivery) -> Listener:
    """The outbound queue worker (``postroom.delivery.outbound``) as a background task."""
    stop = asyncio.Event()
    task = asyncio.create_task(delivery.worker.run(stop))

    async def close() -> None:
        stop.set()
        with suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 30)

    return Listener("queue", "outbound worker", close)


def start_scheduler(services: Services) -> Listener:
    """Housekeeping (``postroom.service.scheduler``) as a background task."""
    from postroom.service.scheduler import Scheduler

    stop = asyncio.Event()
    task = asyncio.create_task(Scheduler(services.db, services.tenancy).run(stop))

    async def close() -> None:
        stop.set()
        with suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 30)

    return Listener("scheduler", "housekeeping", close)


def server_context(services: Services, delivery: Delivery | None = None) -> ServerContext:
    settings = services.settings
    certificates = Certificates.for_settings(settings.tls_cert_file, settings.tls_key_file,
                                             settings.data_dir, settings.hostname)
    return ServerContext(settings, certificates, services.tenancy, services.mail, delivery)


async def start_mail_listeners(services: Services, delivery: Delivery) -> list[Listener]:
    """Start the SMTP, IMAP and POP3 listeners (each protocol package's ``start``)."""
    ctx = server_context(services, delivery)
    started: list[Listener] = []
    for start in mail_protocols():
        for running in await start(ctx):
            started.append(Listener(running.name, running.address, running.close))
    return started


async def first_start(services: Services) -> str | None:
    """On an empty data dir: create the operator login and return its password."""
    return await services.tenancy.operators.ensure_first()


async def run_server(settings: Settings, *, ready: Callable[[list[Listener]], None] | None = None,
                     stop: asyncio.Event | None = None) -> None:
    """Start every listener and worker; return after SIGTERM/SIGINT (or ``stop``)."""
    services = await open_services(settings)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    listeners: list[Listener] = []
    delivery: Delivery | None = None
    try:
        password = await first_start(services)
        if password:
            log.warning("first start: operator login 'operator' with password %s "
                        "(shown once; change it after logging in)", password)
        from postroom.delivery import build_delivery

        # One delivery service for the web mail, the SMTP listeners and the queue worker.
        delivery = build_delivery(settings, services.tenancy, services.mail)
        listeners.append(await start_http(services, delivery))
        listeners += await start_mail_listeners(services, delivery)
        listeners.append(start_queue_worker(delivery))
        listeners.append(start_scheduler(services))
        for listener in listeners:
            log.info("listening: %s on %s", listener.name, listener.address)
        if ready is not None:
            ready(listeners)
        await stop.wait()
        log.info("stopping")
    finally:
        for listener in reversed(listeners):
            with suppress(Exception):
                await listener.close()
        if delivery is not None:
            await delivery.close()
        await services.close()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)


def configure_logging(level: str = "INFO") -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def data_dir_is_empty(path: Path) -> bool:
    return not path.exists() or not any(path.iterdir())
