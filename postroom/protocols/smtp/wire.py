"""Bytes in, bytes out: the SMTP session driven by its readers, without sockets.

`Conversation.receive(data)` feeds the reader that owns the input now (command lines,
DATA body or BDAT chunk), hands each event to the `Session`, and returns the replies to
write. The server calls it for every read; the transcript tests call it directly.

Invariants:

- The readers hand over exactly the bytes they did not consume (`take_unread`), so a
  pipelined command after the final dot or a BDAT chunk is read as a command, and body
  bytes are never read as commands (SMTP smuggling).
- Replies to pipelined commands are collected and returned together (RFC 2920 3.2); the
  server writes them before it reads again, so nothing waits on an unsent reply.
- After a reply that closes the session, or once STARTTLS was accepted, the rest of the
  input is dropped unread (RFC 3207 4.2: no pipelined command survives the handshake).
"""

from __future__ import annotations

from postroom.protocols.smtp.commands import CommandReader
from postroom.protocols.smtp.context import Input
from postroom.protocols.smtp.data import (
    BodyChunk,
    ChunkReader,
    DataReader,
    EndOfChunk,
    EndOfData,
)
from postroom.protocols.smtp.session import Session


class Conversation:
    def __init__(self, session: Session, *, line_limit: int = 512,
                 text_line_limit: int = 1000) -> None:
        self.session = session
        self.text_line_limit = text_line_limit
        self.commands = CommandReader(line_limit=line_limit)
        self._data: DataReader | None = None
        self._chunks: ChunkReader | None = None
        self._discard: ChunkReader | None = None

    def start(self) -> bytes:
        self.session.greet()
        return self.session.take_output()

    @property
    def closing(self) -> bool:
        return self.session.closing

    @property
    def tls_pending(self) -> bool:
        return self.session.tls_pending

    async def receive(self, data: bytes) -> bytes:
        """Handle ``data`` and everything it completes; return the replies to send."""
        self._reader_feed(data)
        while not self.session.closing and not self.session.tls_pending:
            if not await self._step():
                break
        if self.session.tls_pending or self.session.closing:
            self.commands.take_unread()  # RFC 3207 4.2: dropped, never read
        return self.session.take_output()

    def tls_started(self) -> None:
        self.commands.take_unread()
        self.session.tls_started()

    def close(self) -> None:
        self.session.close()

    def _reader_feed(self, data: bytes) -> None:
        mode = self.session.input
        if mode is Input.DATA and self._data is not None:
            self._data.feed(data)
        elif mode is Input.CHUNK and self._chunks is not None:
            self._chunks.feed(data)
        elif mode is Input.DISCARD_CHUNK and self._discard is not None:
            self._discard.feed(data)
        else:
            self.commands.feed(data)

    async def _step(self) -> bool:
        """Handle one event of the current reader; False when it needs more bytes."""
        mode = self.session.input
        if mode is Input.DATA:
            return await self._data_step()
        if mode in (Input.CHUNK, Input.DISCARD_CHUNK):
            return await self._chunk_step()
        event = self.commands.next_event()
        if event is None:
            return False
        await self.session.dispatch(event)
        if self.session.expect_auth:
            self.session.expect_auth = False
            self.commands.expect_auth_response()
        self._switch_reader()
        return True

    def _switch_reader(self) -> None:
        """Hand the pipelined bytes to the reader the session just asked for."""
        session = self.session
        if session.txn is None:
            self._chunks = None
        if session.input is Input.DATA:
            self._data = DataReader(max_size=session.env.max_message_size,
                                    line_limit=self.text_line_limit)
            self._data.feed(self.commands.take_unread())
        elif session.input is Input.CHUNK:
            if self._chunks is None:
                self._chunks = ChunkReader(max_size=session.env.max_message_size)
            self._chunks.begin(session.chunk_size, session.chunk_last)
            self._chunks.feed(self.commands.take_unread())
        elif session.input is Input.DISCARD_CHUNK:
            self._discard = ChunkReader(max_size=0)
            self._discard.begin(session.chunk_size, False)
            self._discard.feed(self.commands.take_unread())

    async def _data_step(self) -> bool:
        assert self._data is not None
        event = self._data.next_event()
        if event is None:
            return False
        if isinstance(event, BodyChunk):
            self.session.body(event.data)
            return True
        assert isinstance(event, EndOfData)
        reader, self._data = self._data, None
        self.commands.feed(reader.take_unread())
        await self.session.end_of_data(event)
        return True

    async def _chunk_step(self) -> bool:
        discarding = self.session.input is Input.DISCARD_CHUNK
        reader = self._discard if discarding else self._chunks
        assert reader is not None
        event = reader.next_event()
        if event is None:
            return False
        if isinstance(event, BodyChunk):
            if not discarding:
                self.session.body(event.data)
            return True
        assert isinstance(event, EndOfChunk)
        self.commands.feed(reader.take_unread())
        if discarding:
            self._discard = None
        await self.session.end_of_chunk(event)
        if self.session.txn is None:
            self._chunks = None
        return True
