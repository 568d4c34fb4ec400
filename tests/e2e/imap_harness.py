"""A real Postroom IMAP server on loopback for the end-to-end tests, and its clients.

``imap_node`` starts the IMAP listeners on free ports over a fresh store (SQLite, or
PostgreSQL with ``POSTROOM_TEST_DATABASE_URL``) with Ann's account. Blocking clients
(imaplib, imapclient, mbsync, fetchmail) run in a thread with ``asyncio.to_thread`` so
the server keeps running on the test's event loop.
"""

from __future__ import annotations

import os
import shutil
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from postroom.app import Services, open_services, server_context
from postroom.protocols.common.listener import RunningListener
from postroom.protocols.imap.server import start
from tests.conftest import PG_URL, reset_postgres, test_settings
from tests.factories import PASSWORD, make_account, make_org

ADDRESS = "ann@example.org"


@dataclass
class ImapNode:
    services: Services
    listeners: list[RunningListener]
    account_id: int
    cert: Path
    address: str = ADDRESS
    password: str = PASSWORD
    host: str = "127.0.0.1"

    @property
    def port(self) -> int:
        return self.listeners[0].port

    @property
    def tls_port(self) -> int:
        return self.listeners[1].port

    def client_tls(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=str(self.cert))
        ctx.check_hostname = False
        return ctx


@pytest.fixture(name="imap_node")
async def imap_node_fixture(tmp_path: Path) -> AsyncIterator[ImapNode]:
    if PG_URL:
        await reset_postgres(PG_URL)
    ports = dict.fromkeys(("imap_port", "imaps_port", "smtp_port", "submission_port",
                           "submissions_port"), 0)
    services = await open_services(test_settings(tmp_path, **ports))
    try:
        await make_org(services)
        account = await make_account(services)
        ctx = server_context(services)
        listeners = await start(ctx)
        try:
            yield ImapNode(services, listeners, account.id, ctx.certificates.cert_path)
        finally:
            for listener in listeners:
                await listener.close()
    finally:
        await services.close()


def require_binary(name: str) -> str:
    """The path of a client program; skip (or fail under CI=true) when it is missing."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (Debian package: see .ci/run)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path
