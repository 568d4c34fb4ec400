"""The mailbox API: the one write path for folders and messages, used by every front end.

IMAP APPEND, SMTP delivery, the web mail's "save draft" and the admin tools all call
these methods; nobody else writes folders or messages.

Invariants:
- A message is acknowledged only after its blob is durable (``blobs``) and the
  transaction that references it has committed (DESIGN section 5).
- Changes are published to the change feed after the commit, never before.
- Every method takes the ``account_id`` it acts for, and every folder is looked up
  within that account: one account can never reach another's folders through this API.
- Blob files whose last reference went away are unlinked after the commit; a crash in
  between leaves an orphan file for ``postroom verify --fix``.
- Every stored message gets its conversation here, once (``conversations.assign``,
  one look-up per account and delivery); copies and moves keep it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from postroom.errors import (
    AlreadyExists,
    LimitExceeded,
    NotFound,
    NotPermitted,
    PostroomError,
)
from postroom.mail.summary import MimeLimits
from postroom.store import conversations, folders, messages
from postroom.store.blobs import BlobFile, BlobStore, BlobWriter
from postroom.store.changes import (
    ChangeFeed,
    FlagsChanged,
    FoldersChanged,
    MessagesAdded,
    MessagesExpunged,
)
from postroom.store.db import Database
from postroom.store.parsing import blob_fields
from postroom.store.records import (
    AppendResult,
    Changes,
    CopyResult,
    DeliveryOutcome,
    FlagUpdate,
    FolderInfo,
    FolderStatus,
    MessageDetail,
    MessageRow,
    SpecialUse,
    Target,
)
from postroom.store.search import TextField, matching_uids

Message = bytes | BlobWriter


async def collect_orphans(db: Database, blobs: BlobStore, hashes: list[str]) -> int:
    """Unlink the files of blobs whose rows are gone, re-checking the rows first.

    Another process may have reused the same bytes since our transaction released them;
    its row then exists again and the file stays.
    """
    if not hashes:
        return 0
    async with db.read() as conn:
        still = await messages.existing_hashes(conn, hashes)
    return blobs.remove_unpinned([h for h in hashes if h not in still])


class _Placement:
    """One delivered blob's conversation in each target account, looked up once each."""

    def __init__(self, blob_id: int, thread: conversations.ThreadFields) -> None:
        self.blob_id = blob_id
        self.thread = thread
        self._found: dict[int, int] = {}

    async def conversation(self, conn: AsyncConnection, account_id: int) -> int:
        if account_id not in self._found:
            self._found[account_id] = await conversations.assign(conn, account_id,
                                                                 self.blob_id, self.thread)
        return self._found[account_id]


class MailStore:
    """Folders and messages of every account, over one database and one blob store."""

    def __init__(
        self,
        db: Database,
        blobs: BlobStore,
        feed: ChangeFeed,
        *,
        max_message_size: int = 50 * 1024 * 1024,
        mime_limits: MimeLimits | None = None,
    ) -> None:
        self.db = db
        self.blobs = blobs
        self.feed = feed
        self.max_message_size = max_message_size
        self.mime_limits = mime_limits or MimeLimits()

    # --- folders --------------------------------------------------------------------

    async def list_folders(self, account_id: int) -> list[FolderInfo]:
        async with self.db.read() as conn:
            return await folders.list_all(conn, account_id)

    async def get_folder(self, account_id: int, name: str) -> FolderInfo:
        async with self.db.read() as conn:
            return await folders.get(conn, account_id, name)

    async def special_folder(self, account_id: int, use: SpecialUse) -> FolderInfo:
        async with self.db.read() as conn:
            return await folders.special(conn, account_id, use)

    async def folder_status(self, account_id: int, name: str) -> FolderStatus:
        async with self.db.read() as conn:
            return await folders.status(conn, await folders.get(conn, account_id, name))

    async def folder_statuses(self, account_id: int) -> list[FolderStatus]:
        async with self.db.read() as conn:
            return [await folders.status(conn, f) for f in await folders.list_all(conn, account_id)]

    async def create_folder(
        self, account_id: int, name: str, special_use: SpecialUse | None = None
    ) -> FolderInfo:
        async with self.db.write() as conn:
            info = await folders.create(conn, account_id, name, special_use)
        self.feed.publish(FoldersChanged(account_id))
        return info

    async def rename_folder(self, account_id: int, old: str, new: str) -> None:
        """Rename with children; renaming INBOX moves its messages (RFC 3501 6.3.5)."""
        if folders.normalize_name(old) == "INBOX":
            await self._rename_inbox(account_id, new)
            return
        if folders.normalize_name(new) == "INBOX":
            raise AlreadyExists("a folder named 'INBOX' exists already")
        async with self.db.write() as conn:
            await folders.rename(conn, account_id, old, new)
        self.feed.publish(FoldersChanged(account_id))

    async def _rename_inbox(self, account_id: int, new: str) -> None:
        async with self.db.write() as conn:
            inbox = await folders.get(conn, account_id, "INBOX")
            dest = await folders.create(conn, account_id, new)
            all_uids = [r.uid for r in await messages.rows(conn, inbox.id)]
            # Copy then expunge: the usage stays as it is (nothing is charged or freed).
            await messages.copy(conn, inbox, dest, all_uids)
            gone, modseq, orphans, _ = await messages.expunge(conn, inbox, all_uids)
        await collect_orphans(self.db, self.blobs, orphans)
        self.feed.publish(FoldersChanged(account_id))
        if gone:
            self.feed.publish(MessagesExpunged(account_id, inbox.id, tuple(gone), modseq))

    async def delete_folder(self, account_id: int, name: str) -> None:
        async with self.db.write() as conn:
            folder = await folders.get(conn, account_id, name)
            if folder.name == "INBOX":
                raise NotPermitted("INBOX cannot be deleted")
            if await folders.has_children(conn, account_id, folder.name):
                raise NotPermitted("delete the folder's subfolders first")
            all_uids = [r.uid for r in await messages.rows(conn, folder.id)]
            _, _, orphans, freed = await messages.expunge(conn, folder, all_uids)
            await messages.release_quota(conn, account_id, freed)
            await folders.delete_row(conn, folder)
        await collect_orphans(self.db, self.blobs, orphans)
        self.feed.publish(FoldersChanged(account_id))

    async def subscribe(self, account_id: int, name: str, subscribed: bool = True) -> None:
        async with self.db.write() as conn:
            await folders.set_subscribed(conn, account_id, name, subscribed)
        self.feed.publish(FoldersChanged(account_id))

    async def set_special_use(self, account_id: int, name: str, use: SpecialUse | None) -> None:
        async with self.db.write() as conn:
            await folders.set_special_use(conn, account_id, name, use)
        self.feed.publish(FoldersChanged(account_id))

    # --- adding messages -----------------------------------------------------------

    async def append(
        self,
        account_id: int,
        folder_name: str,
        message: Message,
        flags: Iterable[str] = (),
        internal_date: datetime | None = None,
    ) -> AppendResult:
        """IMAP APPEND / save draft / save sent copy. Raises OverQuota, NotFound ..."""
        outcome = (await self.deliver(
            message, [Target(account_id, folder_name, frozenset(flags))],
            internal_date=internal_date, fallback_to_inbox=False))[0]
        if outcome.error is not None:
            raise outcome.error
        assert outcome.result is not None
        return outcome.result

    async def deliver(
        self,
        message: Message,
        targets: Sequence[Target],
        *,
        internal_date: datetime | None = None,
        fallback_to_inbox: bool = True,
    ) -> list[DeliveryOutcome]:
        """Store one message for several targets: one blob, one transaction.

        Each target succeeds or fails on its own (quota, missing folder); a target
        whose folder is missing falls back to INBOX when ``fallback_to_inbox``.
        """
        writer = self._writer_for(message)
        when = internal_date or datetime.now(UTC)
        orphans: list[str] = []
        async with self.blobs.durable(writer) as blob:
            fields = await asyncio.to_thread(self._fields_of, blob)
            async with self.db.write() as conn:
                blob_id = await messages.reference_blob(conn, fields, 0)
                placed = _Placement(blob_id, fields.thread)
                done = [
                    await self._insert_one(conn, placed, blob, t, when, fallback_to_inbox)
                    for t in targets
                ]
                stored = sum(1 for _, folder_id in done if folder_id is not None)
                if stored:
                    await messages.add_blob_refs(conn, [blob_id], stored)
                else:
                    orphans = await messages.release_blobs(conn, [blob_id], 0)
        await collect_orphans(self.db, self.blobs, orphans)
        for outcome, folder_id in done:
            if outcome.result is not None and folder_id is not None:
                self.feed.publish(MessagesAdded(outcome.target.account_id, folder_id,
                                                (outcome.result.uid,), outcome.result.modseq))
        return [outcome for outcome, _ in done]

    async def _insert_one(
        self,
        conn: AsyncConnection,
        placed: _Placement,
        blob: BlobFile,
        target: Target,
        when: datetime,
        fallback_to_inbox: bool,
    ) -> tuple[DeliveryOutcome, int | None]:
        """One target in its own savepoint: it fails alone and leaves nothing behind."""
        try:
            async with conn.begin_nested():
                try:
                    folder = await folders.get(conn, target.account_id, target.folder)
                except NotFound:
                    if not fallback_to_inbox:
                        raise
                    folder = await folders.get(conn, target.account_id, "INBOX")
                await messages.charge_quota(conn, target.account_id, blob.size)
                conversation = await placed.conversation(conn, target.account_id)
                uid, modseq = await messages.insert_message(conn, folder, placed.blob_id,
                                                            blob.size, target.flags, when,
                                                            conversation)
        except PostroomError as exc:
            return DeliveryOutcome(target, None, exc), None
        result = AppendResult(folder.uidvalidity, uid, modseq)
        return DeliveryOutcome(target, result, None), folder.id

    def _writer_for(self, message: Message) -> BlobWriter:
        if isinstance(message, BlobWriter):
            return message
        if len(message) > self.max_message_size:
            raise LimitExceeded("message too large")
        return self.blobs.writer_for(message)

    def _fields_of(self, blob: BlobFile) -> messages.BlobFields:
        raw = (blob.spare or blob.path).read_bytes()
        return blob_fields(raw, blob.hash, self.mime_limits)

    def new_writer(self) -> BlobWriter:
        """A writer for a message that arrives in chunks (SMTP DATA, IMAP literal)."""
        return self.blobs.writer(self.max_message_size)

    # --- changing messages ----------------------------------------------------------

    async def copy(
        self, account_id: int, folder_id: int, uids: Iterable[int], dest_name: str
    ) -> CopyResult:
        """COPY with flags and internal dates (RFC 3501 6.4.7, UIDPLUS COPYUID)."""
        async with self.db.write() as conn:
            source = await folders.get_by_id(conn, account_id, folder_id)
            dest = await folders.get(conn, account_id, dest_name)
            result, found = await messages.copy(conn, source, dest, uids)
            await messages.charge_quota(conn, account_id, sum(r.size for r in found))
        if result.dest_uids:
            self.feed.publish(MessagesAdded(account_id, dest.id, result.dest_uids,
                                            dest.highestmodseq + 1))
        return result

    async def move(
        self, account_id: int, folder_id: int, uids: Iterable[int], dest_name: str
    ) -> CopyResult:
        """MOVE (RFC 6851): copy and expunge in one transaction; usage does not change."""
        async with self.db.write() as conn:
            source = await folders.get_by_id(conn, account_id, folder_id)
            dest = await folders.get(conn, account_id, dest_name)
            if dest.id == source.id:
                raise NotPermitted("the message is in that folder already")
            result, _ = await messages.copy(conn, source, dest, uids)
            gone, modseq, orphans, _ = await messages.expunge(conn, source, result.source_uids)
        await collect_orphans(self.db, self.blobs, orphans)
        if result.dest_uids:
            self.feed.publish(MessagesAdded(account_id, dest.id, result.dest_uids,
                                            dest.highestmodseq + 1))
            self.feed.publish(MessagesExpunged(account_id, source.id, tuple(gone), modseq))
        return result

    async def set_flags(
        self,
        account_id: int,
        folder_id: int,
        uids: Iterable[int],
        mode: str,
        flags: Iterable[str],
        unchanged_since: int | None = None,
    ) -> FlagUpdate:
        """STORE +FLAGS / -FLAGS / FLAGS: ``mode`` is ``add``, ``remove`` or ``replace``."""
        async with self.db.write() as conn:
            folder = await folders.get_by_id(conn, account_id, folder_id)
            update = await messages.set_flags(conn, folder, uids, mode, flags, unchanged_since)
        if update.changed:
            self.feed.publish(FlagsChanged(account_id, folder_id,
                                           tuple(r.uid for r in update.changed), update.modseq))
        return update

    async def expunge(
        self, account_id: int, folder_id: int, uids: Iterable[int] | None = None
    ) -> list[int]:
        """Remove the messages flagged \\Deleted (among ``uids`` if given)."""
        async with self.db.write() as conn:
            folder = await folders.get_by_id(conn, account_id, folder_id)
            candidates = await messages.rows(conn, folder.id, uids)
            doomed = [r.uid for r in candidates if "\\Deleted" in r.flags]
            gone, modseq, orphans, freed = await messages.expunge(conn, folder, doomed)
            await messages.release_quota(conn, account_id, freed)
        await collect_orphans(self.db, self.blobs, orphans)
        if gone:
            self.feed.publish(MessagesExpunged(account_id, folder_id, tuple(gone), modseq))
        return gone

    async def delete_messages(
        self, account_id: int, folder_id: int, uids: Iterable[int]
    ) -> list[int]:
        """Remove messages outright, whatever their flags (POP3 DELE+QUIT, web "delete")."""
        async with self.db.write() as conn:
            folder = await folders.get_by_id(conn, account_id, folder_id)
            gone, modseq, orphans, freed = await messages.expunge(conn, folder, uids)
            await messages.release_quota(conn, account_id, freed)
        await collect_orphans(self.db, self.blobs, orphans)
        if gone:
            self.feed.publish(MessagesExpunged(account_id, folder_id, tuple(gone), modseq))
        return gone

    # --- reading --------------------------------------------------------------------

    async def folder_by_id(self, account_id: int, folder_id: int) -> FolderInfo:
        async with self.db.read() as conn:
            return await folders.get_by_id(conn, account_id, folder_id)

    async def messages(
        self, account_id: int, folder_id: int, uids: Iterable[int] | None = None
    ) -> list[MessageRow]:
        """Message rows in UID order (all, or the given UIDs that still exist)."""
        async with self.db.read() as conn:
            await folders.get_by_id(conn, account_id, folder_id)
            return await messages.rows(conn, folder_id, uids)

    async def details(
        self, account_id: int, folder_id: int, uids: Iterable[int]
    ) -> list[MessageDetail]:
        """Rows with the parsed summary (FETCH ENVELOPE/BODYSTRUCTURE, message lists)."""
        async with self.db.read() as conn:
            await folders.get_by_id(conn, account_id, folder_id)
            found = await messages.detail_rows(conn, folder_id, uids)
        return [messages.detail_of(r) for r in found]

    async def changes_since(self, account_id: int, folder_id: int, modseq: int) -> Changes:
        """Rows changed and UIDs expunged after ``modseq`` (CONDSTORE/QRESYNC, NOOP)."""
        async with self.db.read() as conn:
            folder = await folders.get_by_id(conn, account_id, folder_id)
            return await messages.changes_since(conn, folder, modseq)

    async def read_message(self, row: MessageRow) -> bytes:
        """The exact bytes of a message, as delivered."""
        return await self.blobs.read(row.blob_hash)

    async def search_text(
        self, account_id: int, folder_ids: Sequence[int], needle: str, field: TextField
    ) -> set[tuple[int, int]]:
        """(folder_id, uid) pairs whose ``field`` contains ``needle`` (case-insensitive)."""
        async with self.db.read() as conn:
            for folder_id in folder_ids:
                await folders.get_by_id(conn, account_id, folder_id)
            return await matching_uids(conn, list(folder_ids), needle, field)
