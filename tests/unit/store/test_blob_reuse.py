"""Guards against losing an acknowledged message when another process collects blobs
while a delivery reuses the same bytes (found by the crash-test engineer)."""

from __future__ import annotations

import asyncio
import os
import time

from postroom.app import Services
from postroom.store.blobs import BlobStore
from postroom.store.db import open_database
from postroom.store.verify import verify
from tests.factories import make_account, make_message, make_org


async def _old_orphan(services: Services, raw: bytes) -> str:
    """Leave the file of ``raw`` in place with no row, two hours old (crash debris)."""
    blob = await services.blobs.writer_for(raw).finish()
    services.blobs.release(blob.hash)
    old = time.time() - 7200
    os.utime(blob.path, (old, old))
    return blob.hash


async def test_verify_fix_elsewhere_never_removes_a_reused_file(services: Services) -> None:
    await make_org(services)
    account = await make_account(services)
    raw = make_message("reused bytes")
    digest = await _old_orphan(services, raw)
    other_process = BlobStore(services.blobs.root)  # its own pins, as in another process
    original = services.mail._fields_of
    seen = []

    async def verify_elsewhere():  # type: ignore[no-untyped-def]
        db = open_database(services.settings.effective_database_url)  # its own engine
        try:
            return await verify(db, other_process, fix=True)
        finally:
            await db.close()

    def fields_then_collect(blob):  # type: ignore[no-untyped-def]
        fields = original(blob)
        # Runs (in a worker thread) between the blob step and the commit of the delivery.
        seen.append(asyncio.run(verify_elsewhere()))
        return fields

    services.mail._fields_of = fields_then_collect  # type: ignore[method-assign]
    await services.mail.append(account.id, "INBOX", raw)
    assert [(p.kind, p.fixed) for p in seen[0]] == [("orphan-blob", False)]
    assert services.blobs.path(digest).exists()
    assert [p for p in await verify(services.db, services.blobs) if not p.leftover] == []


async def test_a_file_removed_before_the_commit_is_put_back(services: Services) -> None:
    await make_org(services)
    account = await make_account(services)
    raw = make_message("removed meanwhile")
    digest = await _old_orphan(services, raw)
    original = services.mail._fields_of

    def fields_then_unlink(blob):  # type: ignore[no-untyped-def]
        fields = original(blob)
        BlobStore(services.blobs.root).remove_unpinned([digest])  # another node's collector
        return fields

    services.mail._fields_of = fields_then_unlink  # type: ignore[method-assign]
    await services.mail.append(account.id, "INBOX", raw)
    inbox = await services.mail.get_folder(account.id, "INBOX")
    row = (await services.mail.messages(account.id, inbox.id))[0]
    assert await services.mail.read_message(row) == raw
    assert list(services.blobs.tmp_dir.iterdir()) == []
