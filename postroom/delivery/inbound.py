"""Transactional inbound delivery (the MX): start -> add_recipient -> body -> commit.

``InboundDelivery.start(envelope)`` opens a transaction; ``add_recipient`` answers per
recipient at once (unknown -> ``NotFound``, not hosted -> ``RelayDenied``, mailbox full
-> ``OverQuota``); ``write`` spools the body; ``commit`` adds the trace fields
(``Authentication-Results``, then ``Received`` on top, RFC 5321 4.4) and stores one
blob for every local recipient in one transaction (``MailStore.deliver``).

Invariants:
- Nothing is persistent before ``commit`` (maddy's model); ``abort`` drops the spool.
- Memory stays bounded: the body spools to a temporary file past ``SPOOL_IN_MEMORY``
  octets and is copied into the blob writer in chunks.
- No bounce is ever made for inbound mail: a recipient whose copy cannot be stored at
  commit although it was accepted at RCPT (quota raced, folder trouble) is handed to
  the queue as a *local* recipient and retried there; aliases that point outside go to
  the queue as forwards.
- ``Authentication-Results`` fields that carry our own authserv-id (the host name) are
  removed before ours is added (RFC 8601 5), so a sender cannot forge a verdict.
- Local copies go through ``delivery.local``, so each recipient's filters, forwarding
  and vacation reply apply (``delivery.personal``).
- ``commit`` raises only when no recipient got the message (so the SMTP reply is a
  4xx/5xx and the client keeps it).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from postroom.delivery.authcheck import AuthChecker, AuthVerdict
from postroom.delivery.errors import RelayDenied
from postroom.delivery.ids import new_queue_id
from postroom.delivery.local import LocalDelivery
from postroom.delivery.log import DeliveryLog
from postroom.delivery.personal import HEAD_BYTES
from postroom.errors import NotFound, OverQuota, PostroomError
from postroom.mail.headers import read_header_block, wire_text
from postroom.store.blobs import BlobWriter
from postroom.store.mailboxes import MailStore
from postroom.store.queue import NewRecipient, QueueStore
from postroom.store.records import Account
from postroom.tenancy.recipients import Recipients

SPOOL_IN_MEMORY = 1024 * 1024
COPY_CHUNK = 256 * 1024


@dataclass(frozen=True)
class Envelope:
    """Who hands the message over, as the SMTP session saw it."""

    peer_ip: str
    helo: str
    mail_from: str  # "" for the null reverse-path
    queue_id: str
    protocol: str = "ESMTP"  # RFC 3848: ESMTP, ESMTPS, ESMTPA, ESMTPSA (UTF8 variants)
    peer_name: str | None = None


@dataclass
class InboundResult:
    queue_id: str
    delivered: list[str] = field(default_factory=list)  # recipient addresses
    queued: list[str] = field(default_factory=list)  # forwards and local retries
    size: int = 0


def received_field(envelope: Envelope, hostname: str, recipient: str | None,
                   when: datetime | None = None) -> bytes:
    """The ``Received:`` trace field (RFC 5321 4.4), folded; ``for`` only with one
    recipient, so a copy never shows who else got it."""
    when = when or datetime.now(UTC)
    peer = f"[{envelope.peer_ip}]"
    if envelope.peer_name:
        peer = f"{envelope.peer_name} {peer}"
    helo = "".join(c for c in envelope.helo if 0x21 <= ord(c) < 0x7F)[:255] or "unknown"
    lines = [f"Received: from {helo} ({peer})",
             f"\tby {hostname} (Postroom) with {envelope.protocol} id {envelope.queue_id}"]
    if recipient:
        lines.append(f"\tfor <{recipient}>")
    lines[-1] += f"; {format_datetime(when)}"
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def forged_results(head: bytes, authserv_id: str) -> list[tuple[int, int]]:
    """Byte ranges of the ``Authentication-Results`` fields in ``head`` whose
    authserv-id is ours (RFC 8601 5: an MTA removes them before adding its own)."""
    block = read_header_block(head, max_bytes=len(head))
    ranges = []
    for i, f in enumerate(block.fields):
        if f.name.lower() != "authentication-results":
            continue
        words = wire_text(f.value).split(";", 1)[0].split()
        if not words or words[0].lower() != authserv_id.lower():
            continue
        if i + 1 < len(block.fields):
            end = block.fields[i + 1].start
        else:
            end = head.find(b"\n", f.start + len(f.name) + 1 + len(f.value)) + 1
            if end <= 0:  # the head was cut inside this field: leave it
                continue
        ranges.append((f.start, end))
    return ranges


class Spool:
    """The body as it arrives: in memory while small, then a temporary file."""

    def __init__(self, directory: str | None = None) -> None:
        self._dir = directory
        self._file: tempfile.SpooledTemporaryFile[bytes] = tempfile.SpooledTemporaryFile(  # noqa: SIM115
            max_size=SPOOL_IN_MEMORY, dir=directory)
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self._file.write(chunk)
        self.size += len(chunk)

    def chunks(self) -> Iterator[bytes]:
        self._file.seek(0)
        while chunk := self._file.read(COPY_CHUNK):
            yield chunk

    def read_all(self) -> bytes:
        self._file.seek(0)
        return self._file.read()

    def head(self, size: int) -> bytes:
        """The first ``size`` octets (where the header section is)."""
        self._file.seek(0)
        return self._file.read(size)

    def cut(self, ranges: list[tuple[int, int]]) -> None:
        """Remove the byte ``ranges`` (sorted, not overlapping) from the spool."""
        if not ranges:
            return
        old, self._file = self._file, tempfile.SpooledTemporaryFile(  # noqa: SIM115
            max_size=SPOOL_IN_MEMORY, dir=self._dir)
        self.size = 0
        pos = 0
        for start, end in [*ranges, (-1, -1)]:
            old.seek(pos)
            remaining = (start if start >= 0 else 1 << 62) - pos
            while remaining > 0 and (chunk := old.read(min(COPY_CHUNK, remaining))):
                self.write(chunk)
                remaining -= len(chunk)
            pos = end
        old.close()

    def close(self) -> None:
        self._file.close()


class InboundDelivery:
    """Starts inbound transactions; one per node, shared by the SMTP sessions."""

    def __init__(self, *, recipients: Recipients, mail: MailStore, queue: QueueStore,
                 log: DeliveryLog, hostname: str, local: LocalDelivery,
                 checker: AuthChecker | None = None,
                 queue_lifetime: timedelta = timedelta(days=5)) -> None:
        self.recipients = recipients
        self.local = local
        self.mail = mail
        self.queue = queue
        self.log = log
        self.hostname = hostname
        self.checker = checker
        self.queue_lifetime = queue_lifetime

    def start(self, envelope: Envelope) -> InboundTransaction:
        return InboundTransaction(self, envelope)


class InboundTransaction:
    """One message on its way in. Not reusable: commit or abort once."""

    def __init__(self, delivery: InboundDelivery, envelope: Envelope) -> None:
        self.delivery = delivery
        self.envelope = envelope
        self.recipients: list[str] = []
        self._accounts: dict[int, Account] = {}
        self._forwards: list[str] = []
        self._spool = Spool(str(delivery.mail.blobs.tmp_dir))
        self._started = time.monotonic()

    async def add_recipient(self, address: str, size_hint: int = 0) -> None:
        """Accept ``address`` or raise NotFound / RelayDenied / OverQuota (RFC 5321 3.3)."""
        resolution = await self.delivery.recipients.resolve(address)
        if not resolution.hosted:
            raise RelayDenied()
        if not resolution.deliverable:
            raise NotFound("no such user here")
        fits = [a for a in resolution.accounts if a.usage + size_hint <= a.quota
                and a.usage < a.quota]
        if resolution.accounts and not fits and not resolution.external:
            raise OverQuota()  # RFC 3463 4.2.2: the client retries later
        for account in resolution.accounts:
            self._accounts.setdefault(account.id, account)
        self._forwards += [a for a in resolution.external if a not in self._forwards]
        self.recipients.append(resolution.address)

    def write(self, chunk: bytes) -> None:
        self._spool.write(chunk)

    @property
    def size(self) -> int:
        return self._spool.size

    def abort(self) -> None:
        self._spool.close()

    async def commit(self) -> InboundResult:
        """Store the message for every recipient; raise if none could have it."""
        try:
            # RFC 8601 5: fields that claim our authserv-id come from elsewhere: forged.
            self._spool.cut(forged_results(self._spool.head(HEAD_BYTES),
                                           self.delivery.hostname))
            trace = await self._trace_fields()
            result = InboundResult(self.envelope.queue_id, size=self.size + len(trace))
            await self._deliver_local(trace, result)
            if self._forwards:
                await self._enqueue(trace, [NewRecipient(a) for a in self._forwards],
                                    mail_from=self.envelope.mail_from)
                result.queued += self._forwards
            self._log(result)
            return result
        finally:
            self._spool.close()

    async def _deliver_local(self, trace: bytes, result: InboundResult) -> None:
        accounts = list(self._accounts.values())
        if not accounts:
            return

        async def source() -> BlobWriter:
            return await self._writer(trace)

        done = await self.delivery.local.deliver(
            source, accounts, head=trace + self._spool.head(HEAD_BYTES),
            mail_from=self.envelope.mail_from)
        if done.retried and not done.delivered and not self._forwards:
            # Accepted at RCPT, yet nobody could have it: the client keeps it and retries.
            error = done.errors[0]
            raise error if isinstance(error, PostroomError) else OverQuota()
        result.delivered += done.delivered
        result.queued += done.retried + done.forwarded
    async def _enqueue(self, trace: bytes, recipients: list[NewRecipient], *,
                       mail_from: str) -> None:
        writer = await self._writer(trace)
        await self.delivery.queue.enqueue(
            writer, queue_id=new_queue_id(),
            mail_from=mail_from, recipients=recipients,
            lifetime=self.delivery.queue_lifetime)

    async def _writer(self, trace: bytes) -> BlobWriter:
        writer = self.delivery.mail.new_writer()
        try:
            if self.size <= SPOOL_IN_MEMORY:
                writer.write(trace + self._spool.read_all())
            else:
                await asyncio.to_thread(self._copy, writer, trace)
        except BaseException:
            writer.abort()
            raise
        return writer

    def _copy(self, writer: BlobWriter, trace: bytes) -> None:
        writer.write(trace)
        for chunk in self._spool.chunks():
            writer.write(chunk)

    async def _trace_fields(self) -> bytes:
        env, hostname = self.envelope, self.delivery.hostname
        only = self.recipients[0] if len(self.recipients) == 1 else None
        received = received_field(env, hostname, only)
        checker = self.delivery.checker
        if checker is None:
            return received
        message = None
        if self.size <= checker.dkim_max_size:
            message = (self._spool.read_all() if self.size <= SPOOL_IN_MEMORY
                       else await asyncio.to_thread(self._spool.read_all))
        verdict: AuthVerdict = await checker.check(
            ip=env.peer_ip, helo=env.helo, mail_from=env.mail_from, message=message,
            size=self.size)
        # RFC 8601 5: our own field goes above the message; Received on top of all.
        return received + verdict.header(hostname)

    def _log(self, result: InboundResult) -> None:
        self.delivery.log.record(
            "inbound", self.envelope.queue_id, peer=self.envelope.peer_ip,
            helo=self.envelope.helo, protocol=self.envelope.protocol,
            mail_from=self.envelope.mail_from, recipients=self.recipients,
            delivered=result.delivered, queued=result.queued, size=result.size,
            ms=round((time.monotonic() - self._started) * 1000))
