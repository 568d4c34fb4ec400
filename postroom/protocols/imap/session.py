"""One IMAP session: bytes in, responses out, state in between (RFC 3501, RFC 9051).

``server.py`` owns the socket and calls ``receive(data)`` with whatever arrived; the
session parses (``commands.CommandParser``), hands each command to the dispatcher and
writes responses to its ``Output`` (a ``StreamWriter`` in the server, a recorder in
the transcript tests). STARTTLS is the one thing the session cannot do itself: it sets
``tls_pending`` and the server calls ``tls_started()`` after the handshake.

Invariants:
- Never write to the output while holding a store transaction: every store call returns
  plain values after its transaction has ended, and responses are built from them.
- One command at a time: ``receive`` and the IDLE pusher take ``_lock``, so responses to
  one command are never interleaved with another's or with IDLE updates.
- Memory stays bounded: the parser never buffers an APPEND literal (chunks go straight
  to a blob file) and ``send`` drains the output once a few hundred KiB are waiting.
- The change feed subscription lives from login to close; its events only mark the
  selected view dirty, the store is read for the truth (``selected.refresh``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Protocol

from postroom.errors import NotFound, PostroomError
from postroom.protocols.common.context import ServerContext
from postroom.protocols.common.listener import ConnectionLimiter
from postroom.store.blobs import BlobWriter
from postroom.store.changes import Change, FlagsChanged, MessagesExpunged, Overflow, Subscription
from postroom.store.mailboxes import MailStore
from postroom.store.records import Account
from postroom.tenancy.accounts import Accounts
from postroom.tenancy.auth import Authenticator

from . import commands as c
from . import responses as r
from .selected import SelectedMailbox, ViewOptions
from .states import State

__all__ = ["Output", "Session", "SessionEnv"]

log = logging.getLogger("postroom.imap")

_DRAIN_AT = 256 * 1024


class Output(Protocol):
    def write(self, data: bytes) -> None: ...

    async def drain(self) -> None: ...


@dataclass(frozen=True)
class SessionEnv:
    """What every session of one listener shares: services and settings, no state."""

    mail: MailStore
    auth: Authenticator
    accounts: Accounts
    hostname: str
    plaintext_allowed: Callable[[str, bool], bool]
    starttls_available: bool
    user_limiter: ConnectionLimiter
    limits: c.Limits = field(default_factory=c.Limits)
    max_bad_commands: int = 10  # consecutive BADs before BYE
    max_auth_failures: int = 3  # failed logins before BYE

    @classmethod
    def from_context(cls, ctx: ServerContext, user_limiter: ConnectionLimiter,
                     *, starttls: bool = True) -> SessionEnv:
        settings = ctx.settings
        limits = c.Limits(max_line=int(settings.imap_line_limit),
                          max_append=int(settings.max_message_size))
        return cls(ctx.mail, ctx.tenancy.auth, ctx.tenancy.accounts, ctx.hostname,
                   ctx.plaintext_allowed, starttls, user_limiter, limits)


@dataclass
class AppendUpload:
    """An APPEND whose message literals are arriving (RFC 3502 MULTIAPPEND: several)."""

    tag: str
    mailbox: str
    writers: list[BlobWriter] = field(default_factory=list)
    error: PostroomError | None = None  # a write failed: report it at the end

    def abort(self) -> None:
        for writer in self.writers:
            writer.abort()
        self.writers.clear()


class Session:
    """The state of one connection; see the module docstring."""

    def __init__(self, env: SessionEnv, out: Output, *, peer_ip: str, tls: bool) -> None:
        self.env = env
        self.out = out
        self.peer_ip = peer_ip
        self.tls = tls
        self.state = State.NOT_AUTHENTICATED
        self.parser = c.CommandParser(env.limits)
        self.account: Account | None = None
        self.selected: SelectedMailbox | None = None
        self.enabled: set[str] = set()  # ENABLEd: CONDSTORE QRESYNC UTF8=ACCEPT IMAP4REV2
        self.condstore = False  # RFC 7162 3.1: on after ENABLE or a CONDSTORE-enabling command
        self.client_id: dict[str, str | None] = {}
        self.subscription: Subscription | None = None
        self.upload: AppendUpload | None = None
        self.sasl_tag: str | None = None
        self.idle_tag: str | None = None
        self.own_modseqs: set[int] = set()  # flag/expunge changes this session made
        self.bad_commands = 0
        self.auth_failures = 0
        self.closing = False
        self.tls_pending = False
        self._limiter_key: str | None = None
        self._idle_task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._unflushed = 0

    # -- what the server calls -----------------------------------------------------

    def start(self) -> None:
        """Write the greeting (RFC 9051 7.1.1) with the capabilities, as clients like."""
        from .handlers_auth import capabilities

        self.out.write(r.greeting(f"{self.env.hostname} Postroom IMAP ready",
                                  capabilities(self)))

    async def receive(self, data: bytes) -> None:
        """Process whatever the client sent; responses go to the output."""
        async with self._lock:
            self.parser.feed(data)
            await self._process()
            await self.flush()

    def tls_started(self) -> None:
        """The server finished the STARTTLS handshake (RFC 9051 6.2.1)."""
        self.tls_pending = False
        self.tls = True
        self.parser.discard_buffered()  # nothing sent in clear counts after TLS

    async def close(self) -> None:
        """Release everything the session holds (called once, by the server)."""
        self.closing = True
        await self.stop_idle()
        if self.upload is not None:
            self.upload.abort()
            self.upload = None
        if self.subscription is not None:
            self.subscription.close()
            self.subscription = None
        if self._limiter_key is not None:
            self.env.user_limiter.release(self._limiter_key)
            self._limiter_key = None

    def timeout_bye(self) -> None:
        self.out.write(r.bye("Autologout; idle for too long"))  # RFC 9051 5.4
        self.closing = True

    # -- output ------------------------------------------------------------------------

    async def send(self, data: bytes) -> None:
        if not data:
            return
        self.out.write(data)
        self._unflushed += len(data)
        if self._unflushed >= _DRAIN_AT:
            await self.flush()

    async def flush(self) -> None:
        self._unflushed = 0
        await self.out.drain()

    # -- what handlers use ---------------------------------------------------------

    @property
    def utf8(self) -> bool:
        return bool(self.enabled & {"UTF8=ACCEPT", "IMAP4REV2"})

    @property
    def rev2(self) -> bool:
        return "IMAP4REV2" in self.enabled

    @property
    def options(self) -> ViewOptions:
        return ViewOptions(self.condstore, "QRESYNC" in self.enabled, self.rev2)

    @property
    def account_id(self) -> int:
        assert self.account is not None
        return self.account.id

    @property
    def view(self) -> SelectedMailbox:
        assert self.selected is not None, "the dispatcher checks the state"
        return self.selected

    def logged_in(self, account: Account) -> bool:
        """Enter the authenticated state; False if the user+IP connection limit is hit."""
        key = f"{account.id}/{self.peer_ip}"
        if not self.env.user_limiter.acquire(key):
            return False
        self._limiter_key = key
        self.account = account
        self.state = State.AUTHENTICATED
        self.subscription = self.env.mail.feed.subscribe(account.id)
        return True

    def select(self, view: SelectedMailbox | None) -> None:
        """Enter the selected state with ``view``, or leave it with None. Leaving drops
        the feed's queued events: a new view is read from the store after that, and
        events published meanwhile stay queued and mark it dirty."""
        self.selected = view
        self.state = State.AUTHENTICATED if view is None else State.SELECTED
        if view is None and self.subscription is not None:
            self.subscription.drain()

    def note_changes(self) -> None:
        """Mark the view dirty if the feed reported a change to its folder by others."""
        if self.subscription is not None:
            for change in self.subscription.drain():
                self._note(change)

    def _note(self, change: Change) -> None:
        view = self.selected
        if view is None:
            return
        if isinstance(change, Overflow):
            view.dirty = True
        elif getattr(change, "folder_id", None) == view.folder_id:
            own = isinstance(change, FlagsChanged | MessagesExpunged)
            if not (own and change.modseq in self.own_modseqs):  # type: ignore[union-attr]
                view.dirty = True

    async def push_updates(self, *, expunges: bool, force: bool = False) -> None:
        """Send pending EXISTS/EXPUNGE/FETCH FLAGS (RFC 9051 5.2, 7.4.1)."""
        view = self.selected
        if view is None:
            return
        self.note_changes()
        if view.dirty or force:
            self.own_modseqs.clear()
            try:
                await view.refresh(self.env.mail, self.account_id)
            except NotFound:  # another session deleted the selected mailbox
                await self.send(r.bye("The selected mailbox was deleted"))
                self.closing = True
                return
        await self.send(view.updates(self.options, expunges=expunges))

    # -- events ------------------------------------------------------------------------

    async def _process(self) -> None:
        from .dispatch import dispatch

        while not self.closing and not self.tls_pending:
            event = self.parser.next_event()
            if event is None:
                return
            if isinstance(event, c.Command):
                await dispatch(self, event)
            else:
                await self._handle_event(event)
            if self.bad_commands >= self.env.max_bad_commands:
                await self.send(r.bye("Too many invalid commands"))
                self.closing = True
            elif self.auth_failures >= self.env.max_auth_failures and self.account is None:
                await self.send(r.bye("Too many failed logins"))
                self.closing = True

    async def _handle_event(self, event: c.Event) -> None:
        from . import handlers_append, handlers_auth

        if isinstance(event, c.NeedContinuation):
            self.parser.accept_literal()  # within the parser's limits
            await self.send(r.continuation("Ready for literal data"))
        elif isinstance(event, c.AppendLiteral):
            await handlers_append.begin_message(self, event)
        elif isinstance(event, c.LiteralChunk):
            handlers_append.write_chunk(self, event)
        elif isinstance(event, c.SaslResponse):
            await handlers_auth.finish_authenticate(self, event)
        elif isinstance(event, c.IdleDone):
            await self.end_idle(event)
        elif isinstance(event, c.BadCharset):
            await self.send(r.no(event.tag, "Unsupported charset",
                                 r.bad_charset(event.supported)))
        elif isinstance(event, c.TooBig):
            self._abandon(event.tag)
            await self.send(r.no(event.tag, "Message too large", r.Code.TOOBIG))  # RFC 7889
        elif isinstance(event, c.BadCommand):
            self._abandon(event.tag)
            self.bad_commands += 1
            code = r.Code(event.code) if event.code in set(r.Code) else None
            await self.send(r.bad(event.tag, event.message, code))

    def _abandon(self, tag: str | None) -> None:
        """A command ended in error mid-way: drop its streamed APPEND data, SASL state."""
        if self.upload is not None and self.upload.tag == tag:
            self.upload.abort()
            self.upload = None
        if self.sasl_tag == tag:
            self.sasl_tag = None

    # -- IDLE (RFC 2177) -----------------------------------------------------------------

    async def start_idle(self, tag: str) -> None:
        self.idle_tag = tag
        self.parser.expect_done(tag)
        await self.send(r.continuation("idling"))
        await self.push_updates(expunges=True, force=True)
        if self.subscription is not None:
            self._idle_task = asyncio.create_task(self._idle_loop(self.subscription))

    async def _idle_loop(self, subscription: Subscription) -> None:
        """Push changes as they are published (DESIGN 6: within a second)."""
        while True:
            change = await subscription.get()
            async with self._lock:
                if self.idle_tag is None or self.closing:
                    return
                self._note(change)
                try:
                    await self.push_updates(expunges=True)
                    await self.flush()
                except Exception:  # a failed refresh must not kill the session's socket
                    log.exception("IDLE update failed")

    async def stop_idle(self) -> None:
        task, self._idle_task = self._idle_task, None
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await task

    async def end_idle(self, event: c.IdleDone) -> None:
        await self.stop_idle()
        tag, self.idle_tag = event.tag, None
        if not event.valid:
            self.bad_commands += 1
            await self.send(r.bad(tag, "Expected DONE"))
            return
        await self.push_updates(expunges=True)
        await self.send(r.ok(tag, "IDLE terminated"))
