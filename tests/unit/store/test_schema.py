"""The migrations create exactly the tables of ``postroom.store.schema``; SQLite is
configured for durability (WAL, synchronous=FULL)."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from postroom.app import Services
from postroom.store.schema import metadata
from tests.factories import make_account, make_message, make_org


async def test_migrated_database_matches_schema(services: Services) -> None:
    def diff(sync_conn):  # type: ignore[no-untyped-def]
        ctx = MigrationContext.configure(sync_conn, opts={"compare_type": False})
        return [d for d in compare_metadata(ctx, metadata)
                if "blob_fts" not in repr(d)]

    async with services.db.engine.connect() as conn:
        assert await conn.run_sync(diff) == []


async def test_migrate_is_idempotent(services: Services) -> None:
    assert await services.db.migrate() == []
    # Every head of the migration tree is applied (migrations may branch from 0001).
    assert await services.db.current_revision() == _script_heads()


def _script_heads() -> str:
    from importlib import resources

    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location",
                        str(resources.files("postroom.store") / "migrations"))
    return ",".join(sorted(ScriptDirectory.from_config(cfg).get_heads()))


async def test_sqlite_is_durable(services: Services, db_backend: str) -> None:
    if db_backend != "sqlite":
        return
    async with services.db.engine.connect() as conn:
        mode = (await conn.execute(text("PRAGMA journal_mode"))).scalar()
        sync = (await conn.execute(text("PRAGMA synchronous"))).scalar()
    assert mode == "wal"
    assert sync == 2  # FULL


async def test_concurrent_appends_get_distinct_increasing_uids(services: Services) -> None:
    await make_org(services)
    account = await make_account(services)
    results = await asyncio.gather(*[
        services.mail.append(account.id, "INBOX", make_message(f"m{i}", body=f"{i}\n"))
        for i in range(20)
    ])
    assert sorted(r.uid for r in results) == list(range(1, 21))
    folder = await services.mail.get_folder(account.id, "INBOX")
    rows = await services.mail.messages(account.id, folder.id)
    assert [r.uid for r in rows] == list(range(1, 21))
    assert len({r.modseq for r in rows}) == 20
