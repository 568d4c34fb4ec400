"""Per-account outbound sending limits (DESIGN section 8, abuse).

Each organisation sets ``max_messages_per_day`` and ``max_new_recipients_per_day`` (a
new recipient is an outside address the account never sent to before). Only mail that
leaves Postroom counts. When a submission takes an account over either limit, the
account is *held*: its queued outbound mail stops (``held``), later submissions are
refused with ``SendingSuspended``, and an abuse event is recorded (the hold row with its
reason, and a delivery-log line) for the operator, who releases the hold
(``postroom queue release``) or terminates the account.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from postroom.delivery.log import DeliveryLog
from postroom.store.queue import QueueStore
from postroom.store.records import Account, Organisation


@dataclass(frozen=True)
class LimitCheck:
    held: bool
    reason: str | None = None


class SendingLimits:
    def __init__(self, queue: QueueStore, log: DeliveryLog) -> None:
        self.queue = queue
        self.log = log

    async def hold_reason(self, account: Account) -> str | None:
        return await self.queue.hold_reason(account.id)

    async def count(self, account: Account, org: Organisation,
                    external: Sequence[str]) -> LimitCheck:
        """Count one outbound message; hold the account when it goes over a limit."""
        if not external:
            return LimitCheck(False)
        counted = await self.queue.count_send(account.id, sorted(set(external)))
        reason = None
        if counted.messages > org.max_messages_per_day:
            reason = f"more than {org.max_messages_per_day} messages in a day"
        elif counted.new_recipients > org.max_new_recipients_per_day:
            reason = f"more than {org.max_new_recipients_per_day} new recipients in a day"
        if reason is None:
            return LimitCheck(False)
        if await self.queue.hold_account(account.id, reason):
            self.log.record("abuse-hold", None, account=account.address,
                            organisation=org.name, reason=reason,
                            messages=counted.messages, new_recipients=counted.new_recipients)
        return LimitCheck(True, reason)
