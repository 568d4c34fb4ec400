"""One POP3 session: bytes in, replies out, one dispatcher for every command.

The session owns the state machine (`states`), the command reader (`commands`) and,
after login, the `Maildrop`. It does no socket I/O: it writes to an `Output` (the
server's stream writer, or a list in the transcript tests) and tells the server, through
`closing` and `tls_pending`, when to close the connection or start TLS.

Invariants:

- Commands allowed per state are checked once, here, from `states.refusal`; handlers
  (`authorization`, `transaction`, `session_commands`) assume their state. Every handler
  has the signature `async (session, command) -> None`.
- Errors of `postroom.errors` raised by a handler are mapped once, here, through
  `replies.for_error`; no handler writes an error text of its own for them.
- Commands are handled strictly in order and each reply is written before the next
  command is read (RFC 2449 6.6 PIPELINING): the reader is parsed lazily, so an AUTH
  exchange or STLS takes effect for exactly the next line.
- After STLS is accepted nothing more is read from the plaintext buffer: what the
  client pipelined after STLS is dropped (RFC 2595 4, the STARTTLS injection attack).
- `close()` releases the maildrop lock and never deletes: only QUIT does (RFC 1939 6).
- Limits: command lines of 255 octets (RFC 2449 4), SASL lines of 12,288; after
  `MAX_ERRORS` rejected lines in a row the session ends, so a client that talks
  another protocol or fuzzes does not hold a connection for ever.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from postroom import errors
from postroom.protocols.pop3 import (
    authorization,
    replies,
    session_commands,
    states,
    transaction,
)
from postroom.protocols.pop3.commands import (
    Command,
    CommandReader,
    Event,
    LineTooLong,
    ParseError,
    SaslCancel,
    SaslResponse,
    Verb,
)
from postroom.protocols.pop3.maildrop import Maildrop, MaildropLocks, SizeCache
from postroom.protocols.pop3.replies import Reply
from postroom.protocols.pop3.states import SessionState, Step
from postroom.store.mailboxes import MailStore
from postroom.tenancy.auth import Authenticator

MAX_ERRORS = 20  # rejected lines in a row before the session ends
IMPLEMENTATION = "Postroom"


class Output(Protocol):
    """Where replies go: `asyncio.StreamWriter` fits, and so does a test recorder."""

    def write(self, data: bytes) -> None: ...

    async def drain(self) -> None: ...


@dataclass(frozen=True)
class SessionEnv:
    """What every session of one server shares: services, locks, caches, policy."""

    mail: MailStore
    auth: Authenticator
    locks: MaildropLocks
    sizes: SizeCache
    plaintext_allowed: Callable[[str, bool], bool]
    tls_available: bool
    sasl_mechanisms: tuple[str, ...] = ("PLAIN",)
    implementation: str = IMPLEMENTATION


Handler = Callable[["Session", Any], Awaitable[None]]

HANDLERS: Mapping[Verb, Handler] = {
    Verb.USER: authorization.handle_user,
    Verb.PASS: authorization.handle_pass,
    Verb.APOP: authorization.handle_apop,
    Verb.AUTH: authorization.handle_auth,
    Verb.STLS: authorization.handle_stls,
    Verb.CAPA: session_commands.handle_capa,
    Verb.QUIT: session_commands.handle_quit,
    Verb.STAT: transaction.handle_stat,
    Verb.LIST: transaction.handle_list,
    Verb.RETR: transaction.handle_retr,
    Verb.DELE: transaction.handle_dele,
    Verb.NOOP: transaction.handle_noop,
    Verb.RSET: transaction.handle_rset,
    Verb.TOP: transaction.handle_top,
    Verb.UIDL: transaction.handle_uidl,
}


class Session:
    """The protocol state of one connection."""

    def __init__(self, env: SessionEnv, out: Output, *, peer_ip: str, tls: bool) -> None:
        self.env = env
        self.out = out
        self.peer_ip = peer_ip
        self.tls = tls
        self.state = SessionState.AUTHORIZATION
        self.reader = CommandReader()
        self.user: str | None = None  # name given by USER, waiting for PASS
        self.sasl_mechanism: str | None = None  # an AUTH exchange waits for a response
        self.maildrop: Maildrop | None = None
        self.closing = False  # the server closes the connection once output is sent
        self.tls_pending = False  # the server starts TLS, then calls tls_started()
        self._errors = 0

    # --- the server's side ---------------------------------------------------------------

    def start(self) -> None:
        self.write(replies.GREETING)  # RFC 1939 4

    async def receive(self, data: bytes) -> None:
        """Handle every complete line in `data` (and what was buffered before)."""
        self.reader.feed(data)
        while not self.closing and not self.tls_pending:
            event = self.reader.next_event()
            if event is None:
                return
            await self.dispatch(event)

    def tls_started(self) -> None:
        self.tls = True
        self.tls_pending = False

    def close(self) -> None:
        """The connection is gone: release the maildrop, delete nothing (RFC 1939 6)."""
        if self.maildrop is not None:
            self.env.locks.release(self.maildrop.account_id)
            self.maildrop = None

    # --- what handlers use -----------------------------------------------------------------

    def write(self, reply: Reply | bytes) -> None:
        self.out.write(reply if isinstance(reply, bytes) else reply.to_bytes())

    async def drain(self) -> None:
        await self.out.drain()

    @property
    def plaintext_allowed(self) -> bool:
        """May this client send a password now (DESIGN 5, RFC 2595 2)?"""
        return self.env.plaintext_allowed(self.peer_ip, self.tls)

    def step(self, step: Step) -> None:
        self.state = states.transition(self.state, step)

    def end(self) -> None:
        self.closing = True

    # --- dispatch ------------------------------------------------------------------------

    async def dispatch(self, event: Event) -> None:
        if isinstance(event, LineTooLong):
            self.sasl_mechanism = None  # the reader dropped the whole line
            self._reject(replies.LINE_TOO_LONG)
        elif isinstance(event, ParseError):
            self.sasl_mechanism = None
            self._reject(replies.for_parse_error(event))
        elif isinstance(event, SaslResponse | SaslCancel):
            await self._run(authorization.handle_sasl_response, event)
        else:
            await self._command(event)

    async def _command(self, command: Command) -> None:
        refusal = states.refusal(self.state, command.verb)
        if refusal is not None:
            self._reject(refusal)
            return
        self._errors = 0
        await self._run(HANDLERS[command.verb], command)

    async def _run(self, handler: Handler, event: object) -> None:
        try:
            await handler(self, event)
        except errors.PostroomError as exc:
            self.write(replies.for_error(exc))  # the one mapping (DESIGN 3)

    def _reject(self, reply: Reply) -> None:
        self.write(reply)
        self._errors += 1
        if self._errors >= MAX_ERRORS:
            self.end()
