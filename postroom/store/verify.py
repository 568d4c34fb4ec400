"""Consistency check of the store (``postroom verify [--fix]``).

Checks, each reported as a ``Problem``:
- every blob row has its file, with the right size (not fixable here: restore from backup);
- every blob file has a row (an orphan left by a crash between rename and commit: a
  *leftover*, not an inconsistency; ``--fix`` removes orphans older than ``grace`` so a
  delivery in flight is never hit);
- ``blob.refcount`` equals the number of message rows and queued outbound messages using
  the blob (``--fix`` recomputes);
- per folder, every UID is below ``uidnext`` and every MODSEQ at most ``highestmodseq``;
- ``account.usage`` equals the sum of its messages' sizes (``--fix`` recomputes);
- temporary files left in the blob store's ``tmp`` (``--fix`` removes the old ones).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import func, select, update

from postroom.store import schema as s
from postroom.store.blobs import BlobStore
from postroom.store.db import Database
from postroom.store.messages import existing_hashes


@dataclass(frozen=True)
class Problem:
    """One finding. ``leftover`` findings (orphan and temporary files) are the expected
    debris of a crash: garbage to collect, not an inconsistency."""

    kind: str
    detail: str
    fixed: bool = False
    leftover: bool = False


async def verify(db: Database, blobs: BlobStore, *, fix: bool = False,
                 grace: float = 3600.0) -> list[Problem]:
    problems: list[Problem] = []
    problems += await _check_blobs(db, blobs, fix, grace)
    problems += await _check_refcounts(db, fix)
    problems += await _check_folders(db)
    problems += await _check_usage(db, fix)
    problems += _check_tmp(blobs, fix, grace)
    return problems


async def _check_blobs(db: Database, blobs: BlobStore, fix: bool, grace: float) -> list[Problem]:
    out = []
    async with db.read() as conn:
        rows = {r.hash: r.size for r in await conn.execute(select(s.blob.c.hash, s.blob.c.size))}
    for digest, size in rows.items():
        path = blobs.path(digest)
        if not path.exists():
            out.append(Problem("missing-blob", f"blob {digest} has a row but no file"))
        elif path.stat().st_size != size:
            out.append(Problem("blob-size", f"blob {digest} is {path.stat().st_size} bytes, "
                                            f"the row says {size}"))
    now = time.time()
    for digest in blobs.iter_hashes():
        if digest in rows:
            continue
        old = now - blobs.path(digest).stat().st_mtime > grace
        fixed = fix and old and await _remove_if_still_orphan(db, blobs, digest, grace)
        note = "" if old else " (recent: left alone, may be a delivery in flight)"
        out.append(Problem("orphan-blob", f"file {digest} has no row{note}", fixed,
                           leftover=True))
    return out


async def _remove_if_still_orphan(db: Database, blobs: BlobStore, digest: str,
                                  grace: float) -> bool:
    """Re-check right before unlinking: a writer may have reused the file meanwhile
    (it refreshes the file's time, then commits a row)."""
    async with db.read() as conn:
        if await existing_hashes(conn, [digest]):
            return False
    path = blobs.path(digest)
    try:
        if time.time() - path.stat().st_mtime <= grace:
            return False
    except FileNotFoundError:
        return False
    return blobs.remove_unpinned([digest]) == 1


async def _check_refcounts(db: Database, fix: bool) -> list[Problem]:
    out = []
    counts = (
        select(s.blob.c.id, s.blob.c.hash, s.blob.c.refcount, func.count(s.message.c.id))
        .select_from(s.blob.outerjoin(s.message, s.message.c.blob_id == s.blob.c.id))
        .group_by(s.blob.c.id, s.blob.c.hash, s.blob.c.refcount)
    )
    # A queued outbound message holds one reference too (store/queue.py).
    queued = select(s.queue_message.c.blob_id, func.count()).group_by(s.queue_message.c.blob_id)
    async with db.read() as conn:
        in_queue = {r[0]: int(r[1]) for r in await conn.execute(queued)}
        rows = [(i, h, stored, used + in_queue.get(i, 0))
                for i, h, stored, used in await conn.execute(counts)]
        wrong = [r for r in rows if r[2] != r[3]]
    for blob_id, digest, stored, actual in wrong:
        if fix:
            async with db.write() as conn:
                await conn.execute(update(s.blob).where(s.blob.c.id == blob_id)
                                   .values(refcount=actual))
        out.append(Problem("refcount", f"blob {digest} counts {stored} references, "
                                       f"{actual} messages use it", fix))
    return out


async def _check_folders(db: Database) -> list[Problem]:
    m, f = s.message.c, s.folder.c
    q = (
        select(f.id, f.name, f.uidnext, f.highestmodseq, func.max(m.uid), func.max(m.modseq))
        .select_from(s.folder.join(s.message, m.folder_id == f.id))
        .group_by(f.id, f.name, f.uidnext, f.highestmodseq)
    )
    out = []
    async with db.read() as conn:
        for fid, name, uidnext, highest, max_uid, max_modseq in await conn.execute(q):
            if max_uid >= uidnext:
                out.append(Problem("uid-order", f"folder {fid} ({name}) has UID {max_uid} "
                                                f"but UIDNEXT {uidnext}"))
            if max_modseq > highest:
                out.append(Problem("modseq", f"folder {fid} ({name}) has MODSEQ {max_modseq} "
                                             f"above HIGHESTMODSEQ {highest}"))
    return out


async def _check_usage(db: Database, fix: bool) -> list[Problem]:
    m, f, a = s.message.c, s.folder.c, s.account.c
    sums = (
        select(f.account_id, func.coalesce(func.sum(m.size), 0))
        .select_from(s.folder.join(s.message, m.folder_id == f.id))
        .group_by(f.account_id)
    )
    out = []
    async with db.read() as conn:
        actual = {r[0]: int(r[1]) for r in await conn.execute(sums)}
        accounts = list(await conn.execute(select(a.id, a.address, a.usage)))
    for account_id, address, usage in accounts:
        real = actual.get(account_id, 0)
        if usage == real:
            continue
        if fix:
            async with db.write() as conn:
                await conn.execute(update(s.account).where(a.id == account_id).values(usage=real))
        out.append(Problem("usage", f"{address} counts {usage} bytes, its messages use {real}",
                           fix))
    return out


def _check_tmp(blobs: BlobStore, fix: bool, grace: float) -> list[Problem]:
    out = []
    now = time.time()
    for path in blobs.tmp_dir.iterdir():
        if now - path.stat().st_mtime <= grace:
            continue
        fixed = False
        if fix:
            path.unlink(missing_ok=True)
            fixed = True
        out.append(Problem("tmp-file", f"temporary file {path.name} left by an interrupted "
                                       "delivery", fixed, leftover=True))
    return out
