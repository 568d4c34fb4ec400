"""One SMTP session: events in, replies out, one dispatcher for every command.

The session owns the state machine (`states`), the current transaction and, after
AUTH, the account. It does no socket I/O: `wire.Conversation` feeds it parsed events
and body chunks and collects its replies; the server writes them. Handlers live in
`greeting` (EHLO, HELO, RSET, NOOP, QUIT, VRFY, EXPN, HELP, STARTTLS), `transaction`
(MAIL, RCPT, DATA, BDAT) and `auth` (AUTH and its continuation lines); each is
`async (session, command) -> None` with a one-line note of the states it runs in.

Invariants:

- Commands allowed per state are checked once, in `dispatch`, from `states.refusal`;
  no handler re-checks the sequence.
- Errors of `postroom.errors` raised by a handler are mapped once, here, through
  `errors.reply_for`; handlers never write error texts of their own for them.
- Listener modes: `MX` accepts mail for hosted domains without AUTH and offers AUTH
  only where a password may be sent (TLS, or plaintext on loopback per
  `plaintext_allowed`); `SUBMISSION` requires AUTH before MAIL (RFC 6409 4.3). After
  AUTH, either mode submits through `Submitter` (send-as enforced).
- After STARTTLS nothing pipelined is kept (RFC 3207 4.2): `wire` discards it and the
  session forgets HELO, AUTH and the transaction.
- `MAX_ERRORS` rejected commands end the session with 421; so do `auth.MAX_AUTH_FAILURES`
  failed logins (the authenticator throttles across sessions as well).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from postroom import errors
from postroom.protocols.smtp import auth, greeting, replies, states, transaction
from postroom.protocols.smtp.commands import (
    AuthCancel,
    AuthResponse,
    Command,
    Event,
    LineTooLong,
    ParseError,
    Verb,
)
from postroom.protocols.smtp.context import Input, Mode, SessionEnv, Transaction
from postroom.protocols.smtp.data import EndOfChunk, EndOfData
from postroom.protocols.smtp.errors import reply_for
from postroom.protocols.smtp.replies import Reply
from postroom.protocols.smtp.states import SessionState, Step
from postroom.store.records import Account

__all__ = ["HANDLERS", "Input", "Mode", "Session", "SessionEnv", "Transaction"]

MAX_ERRORS = 20


Handler = Callable[["Session", Any], Awaitable[None]]


class Session:
    def __init__(self, env: SessionEnv, *, peer_ip: str, tls: bool) -> None:
        self.env = env
        self.peer_ip = peer_ip
        self.tls = tls
        self.state = SessionState.CONNECTED
        self.helo: str | None = None
        self.esmtp = False
        self.account: Account | None = None
        self.txn: Transaction | None = None
        self.input = Input.COMMANDS
        self.chunk_size = 0
        self.chunk_last = False
        self.pending: Reply | None = None  # the reply after a discarded chunk
        self.expect_auth = False  # the next line is a SASL response
        self.auth_exchange: auth.Exchange | None = None
        self.tls_pending = False
        self.closing = False
        self.errors = 0
        self.auth_failures = 0
        self._out: list[bytes] = []

    # --- output --------------------------------------------------------------------------

    def reply(self, reply: Reply) -> None:
        self._out.append(reply.to_bytes())
        if reply.closes_connection:
            self.closing = True
            self.state = SessionState.QUIT

    def take_output(self) -> bytes:
        data = b"".join(self._out)
        self._out.clear()
        return data

    def greet(self) -> None:
        self.reply(replies.ready(self.env.hostname))

    def step(self, step: Step) -> None:
        self.state = states.transition(self.state, step)

    # --- policy the handlers share ----------------------------------------------------

    @property
    def plaintext_allowed(self) -> bool:
        return self.env.plaintext_allowed(self.peer_ip, self.tls)

    @property
    def auth_offered(self) -> bool:
        return self.account is None and self.plaintext_allowed

    @property
    def submitting(self) -> bool:
        return self.account is not None

    def fail(self, reply: Reply) -> None:
        """A refused command: count it, and end the session after too many."""
        self.errors += 1
        if self.errors >= MAX_ERRORS:
            self.reply(replies.TOO_MANY_ERRORS)
        else:
            self.reply(reply)

    def end_transaction(self) -> None:
        if self.txn is not None:
            self.txn.abort()
            self.txn = None

    # --- the dispatcher ---------------------------------------------------------------

    async def dispatch(self, event: Event) -> None:
        """Handle one parsed line: the one place where sequence and errors are checked."""
        if self.state is SessionState.AUTH_IN_PROGRESS:
            await self._guarded(auth.handle_response, event)
            return
        if isinstance(event, LineTooLong):
            self.fail(replies.LINE_TOO_LONG)
            return
        if isinstance(event, ParseError):
            self._parse_error(event)
            return
        if isinstance(event, AuthResponse | AuthCancel):  # cannot happen outside AUTH
            self.fail(replies.BAD_SEQUENCE)
            return
        await self._command(event)

    async def _command(self, command: Command) -> None:
        refusal = states.refusal(self.state, command.verb)
        if refusal is not None:
            if command.verb is Verb.BDAT:  # RFC 3030 2: the chunk follows regardless
                self.discard_chunk(getattr(command, "size", 0), refusal)
                self.errors += 1
                return
            self.fail(refusal)
            return
        await self._guarded(HANDLERS[command.verb], command)

    async def _guarded(self, handler: Handler, argument: Any) -> None:
        try:
            await handler(self, argument)
        except errors.PostroomError as exc:
            self.reply(reply_for(exc))

    def _parse_error(self, error: ParseError) -> None:
        self.fail(replies.for_parse_error(error))
        if error.verb is Verb.BDAT:
            # A BDAT line we cannot read leaves its chunk unframed: the bytes that follow
            # must never be read as commands (RFC 3030 2), so the session ends here.
            self.reply(replies.TOO_MANY_ERRORS)

    # --- body input (called by `wire`) ---------------------------------------------------

    def discard_chunk(self, size: int, reply: Reply) -> None:
        self.input = Input.DISCARD_CHUNK
        self.chunk_size = size
        self.chunk_last = False
        self.pending = reply

    def body(self, data: bytes) -> None:
        if self.txn is not None:
            self.txn.write(data)

    async def end_of_data(self, end: EndOfData) -> None:
        self.input = Input.COMMANDS
        await self._guarded(transaction.finish_data, end)

    async def end_of_chunk(self, end: EndOfChunk) -> None:
        self.input = Input.COMMANDS
        if self.pending is not None:  # a refused BDAT's chunk has been dropped
            reply, self.pending = self.pending, None
            self.reply(reply)
            return
        await self._guarded(transaction.finish_chunk, end)

    def tls_started(self) -> None:
        """RFC 3207 4.2: the handshake is done; forget everything learned before it."""
        self.tls = True
        self.tls_pending = False
        self.end_transaction()
        self.helo = None
        self.esmtp = False
        self.account = None
        self.step(Step.TLS_STARTED)

    def close(self) -> None:
        self.end_transaction()


HANDLERS: Mapping[Verb, Handler] = {
    Verb.EHLO: greeting.handle_ehlo,
    Verb.HELO: greeting.handle_helo,
    Verb.RSET: greeting.handle_rset,
    Verb.NOOP: greeting.handle_noop,
    Verb.QUIT: greeting.handle_quit,
    Verb.VRFY: greeting.handle_vrfy,
    Verb.EXPN: greeting.handle_expn,
    Verb.HELP: greeting.handle_help,
    Verb.STARTTLS: greeting.handle_starttls,
    Verb.AUTH: auth.handle_auth,
    Verb.MAIL: transaction.handle_mail,
    Verb.RCPT: transaction.handle_rcpt,
    Verb.DATA: transaction.handle_data,
    Verb.BDAT: transaction.handle_bdat,
}
