"""The queue worker: delivers due recipients, retries with back-off, tells senders.

One pass (``run_once``): claim due recipients (``QueueStore.claim_due``), group them by
message and by domain, send each group in one SMTP transaction (``RemoteDelivery``) or
store it locally (local retries), record each recipient's outcome, then send the
notices that are due and drop finished messages. ``run`` repeats passes until stopped.

Rules:
- 2xx: delivered. 5xx (or a null MX, a domain that does not exist): failed now.
- 4xx or no answer: due again after ``retry * 2**attempts`` (5 min, 10, 20 ... at most
  6 h); past the queue lifetime (5 days) it fails with 4.4.7.
- One failure DSN (RFC 3464) per message and pass, to the envelope sender, only for mail
  an account submitted (never for inbound mail or forwards: no backscatter, and never
  for a DSN: null sender); one delay notice per message once it is older than
  ``delay_notice``. RFC 3461 NOTIFY=NEVER / without FAILURE or DELAY is honoured.
- A crash between sending and recording leaves the claim to expire: the recipient is
  tried again (at-least-once, never lost).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from postroom.delivery.dsn import DsnRecipient, build_dsn
from postroom.delivery.log import DeliveryLog
from postroom.delivery.remote import RemoteDelivery, Reply
from postroom.delivery.submission import Submitter
from postroom.errors import NotFound, PostroomError
from postroom.store.mailboxes import MailStore
from postroom.store.queue import (
    Outcome,
    QueuedMessage,
    QueuedRecipient,
    QueueStore,
    RecipientStatus,
)
from postroom.store.records import Target
from postroom.tenancy.recipients import Recipients

log = logging.getLogger("postroom.queue")
MAX_BACKOFF = timedelta(hours=6)


class QueueWorker:
    def __init__(self, *, queue: QueueStore, remote: RemoteDelivery, mail: MailStore,
                 recipients: Recipients, submitter: Submitter, log: DeliveryLog,
                 hostname: str, retry: timedelta = timedelta(minutes=5),
                 delay_notice: timedelta = timedelta(hours=4), poll: float = 1.0,
                 concurrency: int = 10) -> None:
        self.queue = queue
        self.remote = remote
        self.mail = mail
        self.recipients = recipients
        self.submitter = submitter
        self.log = log
        self.hostname = hostname
        self.retry = retry
        self.delay_notice = delay_notice
        self.poll = poll
        self._slots = asyncio.Semaphore(concurrency)
        self._last_purge: datetime | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Passes until ``stop`` is set; storage trouble only delays the next pass."""
        while not stop.is_set():
            try:
                busy = await self.run_once()
                await self._purge_daily()
            except PostroomError as exc:
                log.warning("queue pass failed: %s", exc.message)
                busy = 0
            except Exception:
                log.exception("queue pass failed")
                busy = 0
            if not busy:
                try:
                    await asyncio.wait_for(stop.wait(), self.poll)
                except TimeoutError:
                    pass

    async def run_once(self) -> int:
        claimed = await self.queue.claim_due()
        by_message: dict[int, list[QueuedRecipient]] = defaultdict(list)
        for r in claimed:
            by_message[r.message_id].append(r)
        await asyncio.gather(*(self._message(mid, rs) for mid, rs in by_message.items()))
        await self.send_notices()
        await self.queue.remove_finished()
        return len(claimed)

    async def _message(self, message_id: int, recipients: list[QueuedRecipient]) -> None:
        try:
            message = await self.queue.get_message(message_id)
        except NotFound:  # deleted by the operator meanwhile
            return
        data = await self.queue.read_blob(message)
        groups: dict[str, list[QueuedRecipient]] = defaultdict(list)
        for r in recipients:
            groups["" if r.local else r.domain].append(r)
        await asyncio.gather(*(self._group(message, domain, rs, data)
                               for domain, rs in groups.items()))

    async def _group(self, message: QueuedMessage, domain: str,
                     recipients: list[QueuedRecipient], data: bytes) -> None:
        async with self._slots:
            if not domain:
                results = await self._local(recipients, data)
                host = None
            else:
                attempt = await self.remote.send(domain, message.mail_from,
                                                 [r.address for r in recipients], data)
                results, host = attempt.replies, attempt.host
        for r in recipients:
            reply = results.get(r.address, Reply(451, "4.3.0", "No result"))
            await self._record(message, r, reply, host)

    async def _local(self, recipients: list[QueuedRecipient],
                     data: bytes) -> dict[str, Reply]:
        out: dict[str, Reply] = {}
        for r in recipients:
            resolution = await self.recipients.resolve(r.address)
            if not resolution.accounts:
                out[r.address] = Reply(550, "5.1.1", "No such user here")
                continue
            outcomes = await self.mail.deliver(data, [Target(a.id) for a in resolution.accounts])
            errors = [o.error for o in outcomes if o.error is not None]
            out[r.address] = (Reply(452, "4.2.2", "Mailbox full") if errors
                              else Reply(250, "2.0.0", "Delivered"))
        return out

    async def _record(self, message: QueuedMessage, r: QueuedRecipient, reply: Reply,
                      host: str | None) -> None:
        now = datetime.now(UTC)
        next_at = None
        if reply.ok:
            status = RecipientStatus.DELIVERED
        elif reply.permanent:
            status = RecipientStatus.FAILED
        elif now >= message.expires_at:
            status = RecipientStatus.FAILED
            reply = Reply(reply.code, "4.4.7", f"Message expired in queue: {reply.text}")
        else:
            status = RecipientStatus.QUEUED
            next_at = now + min(MAX_BACKOFF, self.retry * 2 ** r.attempts)
        text = f"{reply.code} {reply.enhanced} {reply.text}"
        await self.queue.record(r.id, Outcome(status, reply.code, reply.enhanced, text, host,
                                              next_at))
        self.log.record("attempt", message.queue_id, recipient=r.address, local=r.local,
                        host=host, code=reply.code, status=reply.enhanced, result=status.value,
                        attempts=r.attempts + 1, next_attempt=next_at)

    # --- notices -------------------------------------------------------------------------

    async def send_notices(self) -> None:
        cutoff = datetime.now(UTC) - self.delay_notice
        for message in await self.queue.needing_notice(delayed_before=cutoff):
            failed = [r for r in message.recipients
                      if r.status is RecipientStatus.FAILED and not r.notified]
            delayed = [r for r in message.recipients
                       if r.status in (RecipientStatus.QUEUED, RecipientStatus.SENDING)
                       and not r.delay_notified and message.created_at < cutoff]
            if failed:
                await self._notify(message, failed, "failed", "FAILURE")
                await self.queue.mark_notified([r.id for r in failed])
            if delayed:
                await self._notify(message, delayed, "delayed", "DELAY")
                await self.queue.mark_notified([r.id for r in delayed], delay=True)

    async def _notify(self, message: QueuedMessage, recipients: Sequence[QueuedRecipient],
                      action: str, keyword: str) -> None:
        wanted = [r for r in recipients if _wants(r.notify, keyword)]
        if not wanted or message.account_id is None or not message.mail_from:
            return  # inbound mail, forwards and DSNs are never bounced
        original = await self.queue.read_blob(message)
        dsn = build_dsn(
            hostname=self.hostname, to=message.mail_from, queue_id=message.queue_id,
            original=original, arrival=message.created_at, envid=message.envid,
            full=message.ret == "FULL",
            recipients=[DsnRecipient(r.address, action, r.last_status or (
                "5.0.0" if action == "failed" else "4.0.0"), r.remote_host,
                r.last_response, r.orcpt, r.last_attempt_at) for r in wanted])
        result = await self.submitter.submit(None, "", [message.mail_from], dsn,
                                             save_sent=False)
        self.log.record("dsn", message.queue_id, action=action, to=message.mail_from,
                        recipients=[r.address for r in wanted], dsn_queue_id=result.queue_id)

    async def _purge_daily(self) -> None:
        now = datetime.now(UTC)
        if self._last_purge is not None and now - self._last_purge < timedelta(hours=24):
            return
        self._last_purge = now
        await self.log.purge()
        await self.queue.purge_counters(now - timedelta(days=2))


def _wants(notify: str | None, keyword: str) -> bool:
    """RFC 3461 4.1: without NOTIFY, failures are reported and delays may be."""
    if not notify:
        return True
    words = notify.upper().split(",")
    return "NEVER" not in words and keyword in words
