"""The in-process change feed: who wants to know that an account's mail changed.

IMAP IDLE and the web mail's server-sent events subscribe per account; the mailbox write
path publishes *after* its transaction has committed, so a subscriber that reacts by
reading the store always sees the change.

Invariants:
- Publishing never blocks and never fails: a subscriber whose queue is full gets a
  single ``Overflow`` event instead and must resynchronise from the store (IMAP does that
  anyway with ``changes_since``); slow readers cannot stall delivery.
- Events are hints, the store is the truth: they carry UIDs and MODSEQs, never content.

Scale-out (DESIGN section 9) replaces the local fan-out by PostgreSQL LISTEN/NOTIFY
behind the same interface.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass


@dataclass(frozen=True)
class MessagesAdded:
    account_id: int
    folder_id: int
    uids: tuple[int, ...]
    modseq: int


@dataclass(frozen=True)
class MessagesExpunged:
    account_id: int
    folder_id: int
    uids: tuple[int, ...]
    modseq: int


@dataclass(frozen=True)
class FlagsChanged:
    account_id: int
    folder_id: int
    uids: tuple[int, ...]
    modseq: int


@dataclass(frozen=True)
class FoldersChanged:
    """A folder was created, renamed, deleted or (un)subscribed."""

    account_id: int


@dataclass(frozen=True)
class Overflow:
    """Events were dropped for a slow subscriber: resynchronise from the store."""

    account_id: int


Change = MessagesAdded | MessagesExpunged | FlagsChanged | FoldersChanged | Overflow


class Subscription:
    """One subscriber's queue of changes for one account."""

    def __init__(self, feed: ChangeFeed, account_id: int, maxsize: int) -> None:
        self._feed = feed
        self.account_id = account_id
        self.queue: asyncio.Queue[Change] = asyncio.Queue(maxsize)
        self._overflowed = False

    def _offer(self, change: Change) -> None:
        if self._overflowed:
            return
        try:
            self.queue.put_nowait(change)
        except asyncio.QueueFull:
            self._overflowed = True
            # Make room for the one event that tells the reader to resynchronise.
            self.queue.get_nowait()
            self.queue.put_nowait(Overflow(self.account_id))

    async def get(self) -> Change:
        change = await self.queue.get()
        if isinstance(change, Overflow):
            self._overflowed = False
        return change

    def drain(self) -> list[Change]:
        """Every change queued so far, without waiting."""
        out = []
        while not self.queue.empty():
            out.append(self.queue.get_nowait())
        self._overflowed = False
        return out

    def close(self) -> None:
        self._feed._unsubscribe(self)

    def __aiter__(self) -> AsyncIterator[Change]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Change]:
        while True:
            yield await self.get()


class ChangeFeed:
    """Fan-out of committed changes to the subscribers of each account."""

    def __init__(self, queue_size: int = 1000) -> None:
        self._subs: dict[int, set[Subscription]] = defaultdict(set)
        self._queue_size = queue_size

    def subscribe(self, account_id: int) -> Subscription:
        sub = Subscription(self, account_id, self._queue_size)
        self._subs[account_id].add(sub)
        return sub

    def _unsubscribe(self, sub: Subscription) -> None:
        subs = self._subs.get(sub.account_id)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._subs[sub.account_id]

    def publish(self, change: Change) -> None:
        for sub in list(self._subs.get(change.account_id, ())):
            sub._offer(change)

    def subscriber_count(self, account_id: int) -> int:
        return len(self._subs.get(account_id, ()))
