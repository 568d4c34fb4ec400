"""Shared fixtures: a fresh store per test, on SQLite or (when
``POSTROOM_TEST_DATABASE_URL`` is set) on PostgreSQL, with the same assertions.

The PostgreSQL database named in the URL is emptied (schema ``public`` dropped and made
again) before each test that uses it, so tests never see each other's rows.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from postroom.app import Services, open_services
from postroom.config import Settings

PG_URL = os.environ.get("POSTROOM_TEST_DATABASE_URL")


async def reset_postgres(url: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


def test_settings(tmp_path: Path, **overrides: object) -> Settings:
    """Settings for a test: its own data dir, cheap password hashing."""
    values: dict[str, object] = {
        "data_dir": tmp_path / "data",
        "database_url": PG_URL,
        "argon2_time_cost": 1,
        "argon2_memory_kib": 8,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


test_settings.__test__ = False  # type: ignore[attr-defined]  # not a test itself


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's POSTROOM_* variables must not reach the settings a test builds."""
    for name in list(os.environ):
        if name.startswith("POSTROOM_") and name != "POSTROOM_TEST_DATABASE_URL":
            monkeypatch.delenv(name)


@pytest.fixture
def db_backend() -> str:
    return "postgresql" if PG_URL else "sqlite"


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    if PG_URL:
        await reset_postgres(PG_URL)
    svc = await open_services(test_settings(tmp_path))
    try:
        yield svc
    finally:
        await svc.close()
