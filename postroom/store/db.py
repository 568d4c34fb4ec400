"""Database engine, transactions and migrations.

Invariants:
- SQLite runs in WAL mode with ``synchronous=FULL`` and foreign keys on, so a commit that
  returned survives a crash (DESIGN section 5).
- Every write goes through :meth:`Database.write`. On SQLite that takes an in-process
  lock and opens the transaction with ``BEGIN IMMEDIATE``, so two writers never deadlock
  on a lock upgrade; on PostgreSQL it is an ordinary transaction and row locks
  (``UPDATE ... RETURNING`` on the folder row) order concurrent writers.
- Storage trouble (locked, disk full, connection lost) surfaces as ``TemporaryFailure``,
  never as a driver exception, so each protocol can map it to a 4xx / ``NO [UNAVAILABLE]``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from postroom.errors import PostroomError, TemporaryFailure

_SQLITE_BUSY_TIMEOUT_MS = 30_000
#: Driver errors that mean "the database is unavailable now", not "your input is bad".
_UNAVAILABLE = (OperationalError, InterfaceError, OSError, ConnectionError)


class Database:
    """One engine plus the write discipline of its dialect."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._write_lock = asyncio.Lock() if self.is_sqlite else None

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A read-only transaction (a consistent snapshot on both dialects)."""
        try:
            async with self.engine.connect() as conn:
                yield conn
                await conn.rollback()
        except _UNAVAILABLE as exc:
            raise TemporaryFailure() from exc

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction, committed when the block ends without an exception."""
        if self._write_lock is None:
            async with self._translate(), self.engine.begin() as conn:
                yield conn
            return
        async with self._write_lock, self._translate(), self.engine.connect() as conn:
            conn = await conn.execution_options(sqlite_begin="IMMEDIATE")
            async with conn.begin():
                yield conn

    @asynccontextmanager
    async def _translate(self) -> AsyncIterator[None]:
        try:
            yield
        except PostroomError:
            raise
        except _UNAVAILABLE as exc:
            raise TemporaryFailure() from exc

    async def migrate(self) -> list[str]:
        """Apply every pending named migration; returns the revisions applied."""
        async with self.engine.begin() as conn:
            return await conn.run_sync(_upgrade_to_head)

    async def current_revision(self) -> str | None:
        async with self.engine.connect() as conn:
            return await conn.run_sync(_current_revision)

    async def close(self) -> None:
        await self.engine.dispose()


def open_database(url: str, *, pool_size: int = 10) -> Database:
    """Create the engine for ``url`` (``sqlite+aiosqlite://`` or ``postgresql+asyncpg://``)."""
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    else:
        kwargs["pool_size"] = pool_size
        kwargs["pool_pre_ping"] = True
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    return Database(engine)


def _configure_sqlite(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control away from the driver so BEGIN is ours (see _on_begin).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_TIMEOUT_MS}")
        cur.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "")
        conn.exec_driver_sql(f"BEGIN {mode}".strip())


def _alembic_config(connection: Connection) -> Any:
    from alembic.config import Config

    cfg = Config()
    script_location = resources.files("postroom.store") / "migrations"
    cfg.set_main_option("script_location", str(script_location))
    cfg.attributes["connection"] = connection
    return cfg


def _upgrade_to_head(connection: Connection) -> list[str]:
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    before = set(MigrationContext.configure(connection).get_current_heads())
    command.upgrade(_alembic_config(connection), "heads")
    after = set(MigrationContext.configure(connection).get_current_heads())
    return sorted(after - before)


def _current_revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    heads = MigrationContext.configure(connection).get_current_heads()
    return ",".join(sorted(heads)) if heads else None
