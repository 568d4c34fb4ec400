"""The POP3 maildrop: INBOX as it was at login, deletion marks, sizes and unique ids.

A `Maildrop` is what one POP3 session sees in TRANSACTION state (RFC 1939 5). It reads
and writes only through `MailStore`, the single write path, so IMAP sessions and the web
mail see what POP3 does and the other way round.

Invariants:

- The message list is fixed at login: message numbers 1..n name the INBOX messages that
  existed then, in UID order, for the whole session. Mail delivered later is not seen
  before the next login; a message expunged meanwhile (IMAP, web mail) keeps its number
  and is answered with an error when its bytes are gone.
- DELE only marks; nothing is removed until `commit()` (QUIT in TRANSACTION state, the
  UPDATE state of RFC 1939 6) calls `MailStore.delete_messages`. A session that ends any
  other way (connection dropped, timeout, server shutdown) removes nothing.
- Sizes (STAT, LIST, the RETR status line) are `dotstuff.wire_size` of the stored bytes:
  exactly the octets a client holds after undoing the dot-stuffing of RETR. They are
  computed from the blob when first needed and kept in `SizeCache` by blob hash: blobs
  are content-addressed and immutable, so a cached size never goes stale.
- UIDL values are `unique_id(uidvalidity, uid)`: the INBOX's UIDVALIDITY is never
  reused (the store guarantees it) and a UID is never reused within one UIDVALIDITY
  (RFC 3501 2.3.1.1), so a value names one message for good (RFC 1939 7).
- `MaildropLocks` is in-process: one POP3 session per account on this node
  (RFC 2449 8.1.2 [IN-USE]). Scale-out (DESIGN 9) needs a shared lock instead, e.g. a
  PostgreSQL advisory lock on the account id, held for the session.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator

from postroom.errors import NotFound, TemporaryFailure
from postroom.protocols.pop3.dotstuff import wire_size
from postroom.store.mailboxes import MailStore
from postroom.store.records import FolderInfo, MessageRow

SEEN = "\\Seen"
MAILDROP_FOLDER = "INBOX"  # DESIGN 6: POP3 serves INBOX


def unique_id(uidvalidity: int, uid: int) -> str:
    """The UIDL value of a message (RFC 1939 7: 1-70 characters 0x21-0x7E).

    Upper-case hex UID then UIDVALIDITY, 16 characters: the layout of Dovecot's default
    `pop3_uidl_format` (%08Xu%08Xv), so clients keep their "already seen" lists when a
    mailbox moves from Dovecot with its UIDs.
    """
    return f"{uid:08X}{uidvalidity:08X}"


class MaildropLocks:
    """Which accounts have a POP3 session in TRANSACTION state on this node."""

    def __init__(self) -> None:
        self._held: set[int] = set()

    def acquire(self, account_id: int) -> bool:
        if account_id in self._held:
            return False
        self._held.add(account_id)
        return True

    def release(self, account_id: int) -> None:
        self._held.discard(account_id)

    def held(self, account_id: int) -> bool:
        return account_id in self._held


class SizeCache:
    """Wire sizes by blob hash, least recently used dropped first (a few MB at most)."""

    def __init__(self, capacity: int = 100_000) -> None:
        self.capacity = capacity
        self._sizes: OrderedDict[str, int] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, blob_hash: str) -> int | None:
        size = self._sizes.get(blob_hash)
        if size is None:
            self.misses += 1
            return None
        self.hits += 1
        self._sizes.move_to_end(blob_hash)
        return size

    def put(self, blob_hash: str, size: int) -> None:
        self._sizes[blob_hash] = size
        self._sizes.move_to_end(blob_hash)
        while len(self._sizes) > self.capacity:
            self._sizes.popitem(last=False)


class Maildrop:
    """INBOX of one account as fixed at login, with this session's DELE marks."""

    def __init__(self, mail: MailStore, sizes: SizeCache, folder: FolderInfo,
                 rows: list[MessageRow]) -> None:
        self.mail = mail
        self.sizes = sizes
        self.folder = folder
        self.rows = rows
        self.deleted: set[int] = set()  # message numbers marked by DELE
        self._seen: set[int] = {r.uid for r in rows if SEEN in r.flags}

    @classmethod
    async def open(cls, mail: MailStore, sizes: SizeCache, account_id: int) -> Maildrop:
        """Fix the message list (RFC 1939 5: numbers stay valid for the session)."""
        folder = await mail.get_folder(account_id, MAILDROP_FOLDER)
        return cls(mail, sizes, folder, await mail.messages(account_id, folder.id))

    @property
    def account_id(self) -> int:
        return self.folder.account_id

    def exists(self, number: int) -> bool:
        return 1 <= number <= len(self.rows)

    def is_deleted(self, number: int) -> bool:
        return number in self.deleted

    def row(self, number: int) -> MessageRow:
        return self.rows[number - 1]

    def live(self) -> Iterator[tuple[int, MessageRow]]:
        """(number, row) of every message not marked deleted (RFC 1939 5)."""
        for number, row in enumerate(self.rows, start=1):
            if number not in self.deleted:
                yield number, row

    def uid_of(self, number: int) -> str:
        return unique_id(self.folder.uidvalidity, self.row(number).uid)

    # --- sizes and bytes ---------------------------------------------------------------

    async def size_of(self, number: int) -> int:
        row = self.row(number)
        cached = self.sizes.get(row.blob_hash)
        if cached is not None:
            return cached
        try:
            return self._remember(row, await self.mail.read_message(row))
        except TemporaryFailure:
            if await self._still_there(row):
                raise
            # Expunged elsewhere and its bytes collected: list it by its stored size;
            # RETR of it answers "no such message".
            return row.size

    async def total(self) -> tuple[int, int]:
        """(count, octets) of the messages not marked deleted (STAT, LIST)."""
        numbers = [n for n, _ in self.live()]
        return len(numbers), sum([await self.size_of(n) for n in numbers])

    async def read(self, number: int) -> tuple[bytes, int]:
        """The stored bytes of a message and its wire size."""
        row = self.row(number)
        try:
            data = await self.mail.read_message(row)
        except TemporaryFailure:
            if await self._still_there(row):
                raise  # storage trouble: [SYS/TEMP]
            raise NotFound("message was removed") from None
        cached = self.sizes.get(row.blob_hash)
        return data, cached if cached is not None else self._remember(row, data)

    def _remember(self, row: MessageRow, data: bytes) -> int:
        size = wire_size(data)
        self.sizes.put(row.blob_hash, size)
        return size

    async def _still_there(self, row: MessageRow) -> bool:
        return bool(await self.mail.messages(self.account_id, self.folder.id, [row.uid]))

    # --- changes -------------------------------------------------------------------------

    async def mark_seen(self, number: int) -> None:
        """RETR sets \\Seen at once, as an IMAP client reading the message would."""
        uid = self.row(number).uid
        if uid in self._seen:
            return
        await self.mail.set_flags(self.account_id, self.folder.id, [uid], "add", [SEEN])
        self._seen.add(uid)

    def delete(self, number: int) -> None:
        self.deleted.add(number)

    def reset(self) -> None:
        self.deleted.clear()

    async def commit(self) -> list[int]:
        """The UPDATE state (RFC 1939 6): remove the marked messages; their UIDs."""
        uids = [self.row(n).uid for n in sorted(self.deleted)]
        if not uids:
            return []
        return await self.mail.delete_messages(self.account_id, self.folder.id, uids)
