"""The one submission path: SMTP AUTH, the web mail's send button, notices and DSNs.

Call signature::

    result = await submitter.submit(account, mail_from, recipients, message_bytes,
                                     save_sent=True, queue_id=None, envid=None, ret=None,
                                     notify=None)

- ``account``: the ``Account`` sending (its own addresses and aliases are checked, its
  sending limits counted, and a copy goes to its Sent folder when ``save_sent``), or
  ``None`` for mail Postroom itself sends (notices, DSNs: no send-as check, no limits).
- ``mail_from``: the envelope sender ("" for the null sender of a DSN).
- ``recipients``: envelope recipient addresses (at least one).
- ``message_bytes``: the RFC 5322 message; any line endings.

Returns ``SubmissionResult(queue_id, message_id, delivered, queued, held)``: local
recipients already in their INBOX, addresses handed to the outbound queue, and whether
the account's outbound mail is held by its sending limits (the message is kept, not
sent, until the operator releases it).

Raises (``postroom.errors``, messages safe to show to the sender):
``SenderNotOwned`` (a ``NotPermitted``) when ``mail_from`` or a From: address is not the
account's; ``SendingSuspended`` (``NotPermitted``) when the account is held;
``NotFound`` for a recipient in a hosted domain that does not exist; ``Invalid`` for no
recipients or a malformed address; ``LimitExceeded`` for a message over the size limit;
``TemporaryFailure`` when storage is unavailable (nothing was sent; try again).

Steps, in order: checks; cleanup (line endings, Date, Message-ID, From); DKIM signature
with the From: domain's key when hosted (in a worker thread); outside recipients into
the queue (one transaction, held if a limit was crossed); local recipients and the Sent
copy stored with one blob, each recipient's filters, forwarding and vacation reply
applied (``delivery.local``); a local copy that cannot be stored now (quota) is queued
for retry, so once the queue has the message the submission succeeds.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from postroom.delivery import cleanup
from postroom.delivery.errors import SenderNotOwned, SendingSuspended
from postroom.delivery.ids import new_queue_id
from postroom.delivery.limits import SendingLimits
from postroom.delivery.local import LocalDelivery
from postroom.delivery.log import DeliveryLog
from postroom.delivery.personal import HEAD_BYTES, PersonalRules
from postroom.errors import Invalid, LimitExceeded, NotFound
from postroom.mail.addresses import canonical_address
from postroom.store.mailboxes import MailStore
from postroom.store.queue import NewRecipient, QueueStore
from postroom.store.records import Account, Target
from postroom.tenancy import Tenancy


@dataclass(frozen=True)
class SubmissionResult:
    queue_id: str
    message_id: str
    delivered: tuple[str, ...]
    queued: tuple[str, ...]
    held: bool = False


@dataclass
class _Routes:
    local: dict[int, Account]
    local_addresses: list[str]
    external: list[str]


class Submitter:
    """Cleanup -> sign -> queue / deliver, for every sender Postroom has."""

    def __init__(self, *, tenancy: Tenancy, mail: MailStore, queue: QueueStore,
                 log: DeliveryLog, hostname: str, max_message_size: int, rules: PersonalRules,
                 queue_lifetime: timedelta = timedelta(days=5)) -> None:
        self.tenancy = tenancy
        self.mail = mail
        self.queue = queue
        self.log = log
        self.hostname = hostname
        self.max_message_size = max_message_size
        self.queue_lifetime = queue_lifetime
        self.limits = SendingLimits(queue, log)
        self.local = LocalDelivery(mail=mail, queue=queue, rules=rules,
                                   send_reply=self.auto_reply, queue_lifetime=queue_lifetime)

    # --- checks a protocol may run early (SMTP MAIL / RCPT) ---------------------------

    async def check_sender(self, account: Account, mail_from: str) -> None:
        """SenderNotOwned unless ``mail_from`` is the account's address or alias."""
        allowed = {a.lower() for a in await self.tenancy.accounts.send_as_addresses(account)}
        try:
            wanted = canonical_address(mail_from)
        except Invalid:
            raise SenderNotOwned() from None
        if wanted not in allowed:
            raise SenderNotOwned()

    async def check_not_held(self, account: Account) -> None:
        if await self.limits.hold_reason(account) is not None:
            raise SendingSuspended()

    async def check_recipient(self, address: str, size_hint: int = 0) -> None:
        """NotFound for an address in a hosted domain that reaches nobody."""
        resolution = await self.tenancy.recipients.resolve(address)
        if not resolution.hosted:
            return
        if not resolution.deliverable:
            raise NotFound(f"no such recipient: {resolution.address}")

    # --- the path ------------------------------------------------------------------------

    async def submit(
        self,
        account: Account | None,
        mail_from: str,
        recipients: Sequence[str],
        message: bytes,
        *,
        save_sent: bool = True,
        queue_id: str | None = None,
        envid: str | None = None,
        ret: str | None = None,
        notify: Mapping[str, str] | None = None,
    ) -> SubmissionResult:
        started = time.monotonic()
        queue_id = queue_id or new_queue_id()
        if not recipients:
            raise Invalid("a message needs at least one recipient")
        if len(message) > self.max_message_size:
            raise LimitExceeded("the message is larger than the size limit")
        if account is not None:
            await self.check_not_held(account)
            await self.check_sender(account, mail_from)
        cleaned = cleanup.cleanup(message, mail_from=mail_from, hostname=self.hostname,
                                  display_name=account.display_name if account else "")
        if account is not None:
            await self._check_from_header(account, cleaned.from_addresses)
        routes = await self._route(recipients)
        signed = await self._sign(cleaned)
        held = False
        if routes.external:
            held = await self._count(account, routes.external)
            await self.queue.enqueue(
                signed, queue_id=queue_id, mail_from=mail_from,
                account_id=account.id if account else None,
                recipients=[NewRecipient(a, notify=(notify or {}).get(a))
                            for a in routes.external],
                lifetime=self.queue_lifetime, held=held, envid=envid, ret=ret)
        delivered, retried = await self._deliver_local(account, mail_from, routes, signed,
                                                       save_sent)
        result = SubmissionResult(queue_id, cleaned.message_id, tuple(delivered),
                                  tuple(routes.external + retried), held)
        self.log.record("submission", queue_id, account=account.address if account else None,
                        mail_from=mail_from, recipients=list(recipients),
                        delivered=list(delivered), queued=list(result.queued), held=held,
                        size=len(signed), ms=round((time.monotonic() - started) * 1000))
        return result

    async def _check_from_header(self, account: Account, addresses: Sequence[str]) -> None:
        allowed = {a.lower() for a in await self.tenancy.accounts.send_as_addresses(account)}
        if not addresses or any(a not in allowed for a in addresses):
            raise SenderNotOwned()

    async def _route(self, recipients: Sequence[str]) -> _Routes:
        routes = _Routes({}, [], [])
        for address in recipients:
            resolution = await self.tenancy.recipients.resolve(address)
            if not resolution.hosted:
                try:
                    canonical = canonical_address(address)
                except Invalid:
                    raise Invalid(f"not a valid address: {address[:100]}") from None
                if canonical not in routes.external:
                    routes.external.append(canonical)
                continue
            if not resolution.deliverable:
                raise NotFound(f"no such recipient: {resolution.address}")
            for a in resolution.accounts:
                if a.id not in routes.local:
                    routes.local[a.id] = a
                    routes.local_addresses.append(a.address)
            routes.external += [e for e in resolution.external if e not in routes.external]
        return routes

    async def _sign(self, cleaned: cleanup.Cleaned) -> bytes:
        if not cleaned.from_addresses:
            return cleaned.message
        domain = await self.tenancy.organisations.find_domain(
            cleaned.from_addresses[0].rpartition("@")[2])
        if domain is None or not domain.dkim_private_key:
            return cleaned.message
        return await cleanup.sign(cleaned.message, domain=domain.name,
                                  selector=domain.dkim_selector,
                                  private_key_pem=domain.dkim_private_key)

    async def _count(self, account: Account | None, external: list[str]) -> bool:
        if account is None:
            return False
        org = await self.tenancy.organisations.get_by_id(account.organisation_id)
        return (await self.limits.count(account, org, external)).held

    async def _deliver_local(self, account: Account | None, mail_from: str, routes: _Routes,
                             signed: bytes, save_sent: bool) -> tuple[list[str], list[str]]:
        extra = []
        if account is not None and save_sent:
            extra.append(Target(account.id, "Sent", frozenset({"\\Seen"})))
        if not routes.local and not extra:
            return [], []

        async def source() -> bytes:
            return signed

        done = await self.local.deliver(source, list(routes.local.values()),
                                        head=signed[:HEAD_BYTES], mail_from=mail_from,
                                        extra=extra,
                                        sender_id=account.id if account else None)
        return done.delivered, done.retried

    async def auto_reply(self, to: str, message: bytes) -> None:
        """Send an automatic message (a vacation reply) from the null reverse-path."""
        await self.submit(None, "", [to], message, save_sent=False)
