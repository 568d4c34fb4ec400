"""Local delivery: one message into the mailboxes of accounts hosted here.

Both the MX (``delivery.inbound``) and the submission path (``delivery.submission``)
store mail for local accounts through ``LocalDelivery.deliver``:

1. each account's rules decide its copy (``delivery.personal``: filter folder, ``\\Seen``,
   no copy for "delete" or forwarding without a copy);
2. the copies, plus any extra target (the sender's Sent copy), go into the store with
   one blob and one transaction (``MailStore.deliver``; a filter's folder that no longer
   exists falls back to INBOX);
3. a copy that cannot be stored now (quota) is queued as a *local* recipient and
   retried by the queue: accepted mail is never lost and never bounced at once;
4. forwards go to the queue (hosted addresses as local recipients);
5. vacation replies are sent last, through ``send_reply``.

``source()`` gives the message afresh each time it is needed (bytes, or a new blob
writer for a large spooled message), because a blob writer is consumed by one store.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from postroom.delivery.ids import new_queue_id
from postroom.delivery.personal import MessageFacts, PersonalRules, SendReply
from postroom.store.mailboxes import MailStore, Message
from postroom.store.queue import NewRecipient, QueueStore
from postroom.store.records import Account, Target

Source = Callable[[], Awaitable[Message]]


@dataclass
class LocalResult:
    delivered: list[str] = field(default_factory=list)  # accounts' addresses
    retried: list[str] = field(default_factory=list)  # queued for a later try
    forwarded: list[str] = field(default_factory=list)
    extra_stored: list[bool] = field(default_factory=list)  # per extra target
    errors: list[Exception] = field(default_factory=list)


class LocalDelivery:
    """Stores, forwards and answers for local accounts; shared by MX and submission."""

    def __init__(self, *, mail: MailStore, queue: QueueStore, rules: PersonalRules,
                 send_reply: SendReply, queue_lifetime: timedelta) -> None:
        self.mail = mail
        self.queue = queue
        self.rules = rules
        self.send_reply = send_reply
        self.queue_lifetime = queue_lifetime

    async def deliver(self, source: Source, accounts: Sequence[Account], *, head: bytes,
                      mail_from: str, extra: Sequence[Target] = (),
                      sender_id: int | None = None) -> LocalResult:
        """Deliver to ``accounts`` (and ``extra`` targets, which no rules apply to)."""
        facts = MessageFacts.of(head)
        plan = await self.rules.plan(list(accounts), facts)
        targets = [*plan.targets, *extra]
        result = LocalResult()
        outcomes = await self.mail.deliver(await source(), targets) if targets else []
        failed: list[Account] = []
        for i, outcome in enumerate(outcomes):
            if outcome.error is not None:
                result.errors.append(outcome.error)
            if i < len(plan.target_accounts):
                if outcome.error is not None:
                    failed.append(plan.target_accounts[i])
            else:
                result.extra_stored.append(outcome.error is None)
        failed_ids = {a.id for a in failed}
        result.delivered = [a.address for a in accounts if a.id not in failed_ids]
        result.retried = [a.address for a in failed]
        if failed:
            await self._enqueue(source, [NewRecipient(a.address, local=True) for a in failed],
                                mail_from, sender_id)
        if plan.forwards:
            local, remote = await self.rules.split_forwards(plan)
            if local or remote:
                await self._enqueue(source, [*(NewRecipient(a, local=True) for a in local),
                                             *(NewRecipient(a) for a in remote)],
                                    mail_from, sender_id)
                result.forwarded = [*local, *remote]
        stored = {a.id for a in accounts} - failed_ids
        await self.rules.send_vacation_replies(plan, facts, mail_from, stored, self.send_reply)
        return result

    async def _enqueue(self, source: Source, recipients: list[NewRecipient], mail_from: str,
                       sender_id: int | None) -> None:
        await self.queue.enqueue(await source(), queue_id=new_queue_id(), mail_from=mail_from,
                                 recipients=recipients, lifetime=self.queue_lifetime,
                                 account_id=sender_id)
