"""Content-addressed message files.

A blob is the exact bytes of one message, named by their SHA-256 and stored at
``<root>/<h[0:2]>/<h[2:4]>/<h>``. Write order (DESIGN section 5): bytes go to a temporary
file in ``<root>/tmp``, which is fsynced, renamed to its final name, and the directory
fsynced; only then may a database transaction reference it. A crash at any point leaves
at most an orphan file (collected by ``postroom verify --fix``), never a row without bytes.

Invariants:
- A file at a final path always holds exactly the bytes its name says (rename is atomic
  and the content was fsynced before the rename).
- A hash is *pinned* from the moment its file is in place until the transaction that
  references it has ended; files are only removed when their hash is not pinned, so a
  concurrent writer of the same content never loses its file to a collector in this
  process. Across processes (the CLI beside a server, several nodes), a writer that
  reuses an existing file refreshes its time and keeps its own copy until its commit,
  restoring the file if a collector removed it meanwhile; collectors re-check the rows
  right before they unlink (``mailboxes.collect_orphans``, ``verify``).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from postroom.errors import LimitExceeded, TemporaryFailure


@dataclass(frozen=True)
class BlobFile:
    """A blob that is durably in place.

    ``spare`` is our own durable copy when the same bytes were already in place under
    that name: it is kept until the referencing transaction has ended, so that a file
    removed meanwhile by another process (a collector that saw no row) is put back
    before the message is acknowledged.
    """

    hash: str
    size: int
    path: Path
    spare: Path | None = None


class BlobWriter:
    """Receives a message in chunks and makes it a durable blob.

    Memory stays bounded: chunks go straight to the temporary file; the hash is
    computed as they pass.
    """

    def __init__(self, store: BlobStore, max_size: int | None) -> None:
        self._store = store
        self._max_size = max_size
        self._hash = hashlib.sha256()
        self.size = 0
        fd, name = tempfile.mkstemp(dir=store.tmp_dir, prefix="in-")
        self._tmp_path = Path(name)
        self._file: BinaryIO | None = os.fdopen(fd, "wb")

    def write(self, chunk: bytes) -> None:
        if self._file is None:
            raise RuntimeError("blob writer is closed")
        self.size += len(chunk)
        if self._max_size is not None and self.size > self._max_size:
            self.abort()
            raise LimitExceeded("message too large")
        self._hash.update(chunk)
        try:
            self._file.write(chunk)
        except OSError as exc:
            self.abort()
            raise TemporaryFailure() from exc

    async def finish(self) -> BlobFile:
        """fsync, rename into place, fsync the directory; returns the durable blob.

        The returned hash is pinned: call ``BlobStore.release`` once the transaction
        that references it has ended (``BlobStore.durable`` does both).
        """
        if self._file is None:
            raise RuntimeError("blob writer is closed")
        f, self._file = self._file, None
        digest = self._hash.hexdigest()
        try:
            await asyncio.to_thread(_flush_and_close, f)
            # Pin before the rename, on the event loop thread, so remove_unpinned (also
            # on the loop thread) can never unlink the file between rename and commit.
            self._store._pins[digest] += 1
            try:
                return await self._store._install(self._tmp_path, digest, self.size)
            except BaseException:
                self._store.release(digest)
                raise
        except OSError as exc:
            with suppress(OSError):
                self._tmp_path.unlink()
            raise TemporaryFailure() from exc

    def abort(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        with suppress(OSError):
            self._tmp_path.unlink()


class BlobStore:
    """The blob directory of one node (or one shared directory for several nodes)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp_dir = root / "tmp"
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        self._pins: Counter[str] = Counter()

    def path(self, digest: str) -> Path:
        return self.root / digest[:2] / digest[2:4] / digest

    def writer(self, max_size: int | None = None) -> BlobWriter:
        return BlobWriter(self, max_size)

    def writer_for(self, data: bytes) -> BlobWriter:
        w = self.writer()
        w.write(data)
        return w

    async def read(self, digest: str) -> bytes:
        try:
            return await asyncio.to_thread(self.path(digest).read_bytes)
        except OSError as exc:
            raise TemporaryFailure() from exc

    def read_sync(self, digest: str) -> bytes:
        return self.path(digest).read_bytes()

    @asynccontextmanager
    async def durable(self, writer: BlobWriter) -> AsyncIterator[BlobFile]:
        """Finish ``writer`` and keep its hash pinned for the duration of the block."""
        blob = await writer.finish()
        try:
            yield blob
        finally:
            try:
                if blob.spare is not None:
                    await self._settle_spare(blob)
            finally:
                self.release(blob.hash)

    async def _settle_spare(self, blob: BlobFile) -> None:
        """Put the spare in place if the shared file vanished, else drop the spare."""
        assert blob.spare is not None
        if blob.path.exists():
            blob.spare.unlink(missing_ok=True)
            return
        _makedirs(blob.path.parent)
        os.replace(blob.spare, blob.path)
        await asyncio.to_thread(_fsync_dirs, [blob.path.parent])

    def release(self, digest: str) -> None:
        self._pins[digest] -= 1
        if self._pins[digest] <= 0:
            del self._pins[digest]

    def remove_unpinned(self, digests: list[str]) -> int:
        """Unlink blob files whose rows are gone; skip pinned ones. Returns the count."""
        removed = 0
        for d in digests:
            if self._pins.get(d):
                continue
            with suppress(FileNotFoundError):
                self.path(d).unlink()
                removed += 1
        return removed

    def iter_hashes(self) -> Iterator[str]:
        """Every blob file in place (for ``postroom verify``)."""
        for first in sorted(self.root.iterdir()):
            if not first.is_dir() or len(first.name) != 2:
                continue
            for second in sorted(first.iterdir()):
                if second.is_dir():
                    for f in sorted(second.iterdir()):
                        yield f.name

    def clean_tmp(self) -> int:
        """Remove temporary files left by a crash (only call when no writer runs)."""
        count = 0
        for f in self.tmp_dir.iterdir():
            with suppress(OSError):
                f.unlink()
                count += 1
        return count

    async def _install(self, tmp_path: Path, digest: str, size: int) -> BlobFile:
        final = self.path(digest)
        created = _makedirs(final.parent)
        if final.exists():
            # The same bytes are already durable under that name: use that file.
            # Deliberately synchronous (see finish): no await between check and use.
            # Refresh its time so `verify --fix` never takes a reused file for an old
            # orphan, and keep our copy as the spare until the commit (see BlobFile).
            os.utime(final)
            return BlobFile(digest, size, final, spare=tmp_path)
        os.replace(tmp_path, final)
        await asyncio.to_thread(_fsync_dirs, [final.parent, *(d.parent for d in created)])
        return BlobFile(digest, size, final)


def _flush_and_close(f: BinaryIO) -> None:
    try:
        f.flush()
        os.fsync(f.fileno())
    finally:
        f.close()


def _fsync_dirs(paths: list[Path]) -> None:
    for p in paths:
        _fsync_dir(p)


def _makedirs(path: Path) -> list[Path]:
    """mkdir -p, returning the directories it created (their parents need an fsync)."""
    created: list[Path] = []
    missing = []
    p = path
    while not p.exists():
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        with suppress(FileExistsError):
            d.mkdir()
            created.append(d)
    return created


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
