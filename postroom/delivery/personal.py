"""A user's own rules at delivery: filters, forwarding and the vacation reply.

Every local delivery (``delivery.local``: inbound MX and the submission path) asks
``PersonalRules.plan`` where each account's copy goes, stores the copies, queues the
forwards (``split_forwards``) and then calls ``send_vacation_replies``. The rules
themselves (what a filter means, when forwarding is allowed) live in
``postroom.tenancy.preferences``; this module applies them to one message.

Order for one account: filters first ("delete" drops the copy; the first "move" picks
the folder; "mark read" adds ``\\Seen``; "forward" adds a forward), then forwarding
(``keep_copy`` off drops the local copy), then the vacation reply, which is sent for
every copy that was not deleted by a filter.

Vacation replies follow RFC 3834:
- never to the null reverse-path, nor to ``MAILER-DAEMON``, ``owner-*``, ``*-request``
  or ``*-bounces`` senders (section 2, and mailing list conventions);
- never to a message with ``Auto-Submitted`` other than ``no`` (5.1), a ``List-Id`` or
  other list field (RFC 2369, RFC 2919), or ``Precedence: bulk``, ``list`` or ``junk``;
- only when the account's address, or an alias that reaches it alone, is in To or Cc
  (section 2: the message was sent to the user, not to a list or group alias);
- at most once per sender per 7 days (``UserData.record_vacation_reply``, 4.1 suggests
  a few days), recorded after the copy is stored;
- sent from the null reverse-path (3.3) with ``Auto-Submitted: auto-replied`` (5.2),
  ``In-Reply-To``/``References`` to the message (3.1.4), the subject the user set or
  ``Auto: <subject>`` (3.1.5).

Forwarding keeps the original envelope sender (no SRS yet). A forward to an address
hosted here is queued as a *local* recipient, which the queue stores straight into that
INBOX without applying rules again, so two users forwarding to each other cannot loop;
a message that already carries ``MAX_HOPS`` ``Received`` fields is not forwarded.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.headerregistry import Address as HeaderAddress
from email.message import EmailMessage
from email.policy import SMTP

from postroom.mail.addresses import canonical_address, parse_address_list
from postroom.mail.headers import HeaderBlock, display_text, read_header_block, wire_text
from postroom.store.records import Account, Target
from postroom.tenancy.preferences import DeliveryRules, Preferences, evaluate_filters
from postroom.tenancy.recipients import Recipients

log = logging.getLogger(__name__)

#: Bytes of a message read to find its header fields.
HEAD_BYTES = 256 * 1024
#: RFC 5321 6.3: a message with this many Received fields is in a loop.
MAX_HOPS = 30
SEEN = "\\Seen"
_LIST_FIELDS = ("list-id", "list-post", "list-unsubscribe", "list-help", "list-owner",
                "list-subscribe", "list-archive")
_BULK_PRECEDENCE = {"bulk", "list", "junk"}


@dataclass(frozen=True)
class MessageFacts:
    """What the rules look at, read once from the message's header section."""

    sender: str = ""  # From, as display text ("Name <a@b>")
    recipients: str = ""  # To and Cc, as display text
    subject: str = ""
    message_id: str = ""
    references: str = ""
    addressed_to: frozenset[str] = frozenset()  # lowercased addresses in To and Cc
    automatic: bool = False  # auto-submitted, list or bulk mail: no vacation reply
    hops: int = 0  # Received fields

    @classmethod
    def of(cls, head: bytes) -> MessageFacts:
        block = read_header_block(head, max_bytes=HEAD_BYTES)

        def text(name: str) -> str:
            return " ".join(display_text(f.value) for f in block.fields
                            if f.name.lower() == name)

        to_cc = f"{text('to')}, {text('cc')}".strip(", ")
        addressed = {a.address.lower() for a in parse_address_list(
            ", ".join(wire_text(f.value) for f in block.fields
                      if f.name.lower() in ("to", "cc")))}
        return cls(
            sender=text("from"), recipients=to_cc, subject=text("subject"),
            message_id=_raw(block, "message-id"), references=_raw(block, "references"),
            addressed_to=frozenset(addressed), automatic=_automatic(block),
            hops=sum(1 for f in block.fields if f.name.lower() == "received"))


def _raw(block: HeaderBlock, name: str) -> str:
    value = block.get(name)
    return wire_text(value) if value is not None else ""


def _automatic(block: HeaderBlock) -> bool:
    auto = block.get("auto-submitted")
    if auto is not None and wire_text(auto).split(";")[0].strip().lower() != "no":
        return True
    if any(block.get(name) is not None for name in _LIST_FIELDS):
        return True
    precedence = block.get("precedence")
    return precedence is not None and wire_text(precedence).strip().lower() in _BULK_PRECEDENCE


def _replyable_sender(mail_from: str) -> bool:
    if not mail_from or "@" not in mail_from:
        return False
    local = mail_from.rpartition("@")[0].lower()
    return not (local in ("mailer-daemon", "postmaster") or local.startswith("owner-")
                or local.endswith(("-request", "-bounces", "-owner")))


@dataclass
class Plan:
    """Where one message goes for a set of local accounts."""

    targets: list[Target] = field(default_factory=list)
    target_accounts: list[Account] = field(default_factory=list)  # parallel to targets
    forwards: list[str] = field(default_factory=list)
    replies: list[Account] = field(default_factory=list)  # vacation replies to consider
    dropped: list[Account] = field(default_factory=list)  # no local copy, on purpose
    rules: dict[int, DeliveryRules] = field(default_factory=dict)


#: ``send_reply(to, message)``: sends an automatic message from the null reverse-path.
SendReply = Callable[[str, bytes], Awaitable[object]]


class PersonalRules:
    """Applies each account's filters, forwarding and vacation reply to a message."""

    def __init__(self, preferences: Preferences, recipients: Recipients,
                 send_as: Callable[[Account], Awaitable[list[str]]]) -> None:
        self.preferences = preferences
        self.recipients = recipients
        self.send_as = send_as

    async def plan(self, accounts: list[Account], facts: MessageFacts) -> Plan:
        plan = Plan(rules=await self.preferences.delivery_rules_for(accounts))
        for account in accounts:
            rules = plan.rules[account.id]
            outcome = evaluate_filters(rules.filters, sender=facts.sender,
                                       recipients=facts.recipients, subject=facts.subject)
            if outcome.discard:
                plan.dropped.append(account)
                continue
            forwards = list(outcome.forward_to)
            keep = True
            if rules.forwarding is not None:
                forwards.append(rules.forwarding.address)
                keep = rules.forwarding.keep_copy
            if facts.hops < MAX_HOPS:
                plan.forwards += [a for a in forwards if a not in plan.forwards]
            if keep:
                plan.targets.append(Target(account.id, outcome.folder or "INBOX",
                                           frozenset({SEEN}) if outcome.mark_read else frozenset()))
                plan.target_accounts.append(account)
            else:
                plan.dropped.append(account)
            if rules.vacation is not None:
                plan.replies.append(account)
        return plan

    async def split_forwards(self, plan: Plan) -> tuple[list[str], list[str]]:
        """(hosted, outside) forward addresses; hosted ones that reach nobody are dropped."""
        local: list[str] = []
        remote: list[str] = []
        for address in plan.forwards:
            resolution = await self.recipients.resolve(address)
            if not resolution.hosted:
                remote.append(address)
            elif resolution.deliverable:
                local.append(resolution.address)
            else:
                log.info("forward to %s dropped: no such recipient here", address)
        return local, remote

    async def personal_addresses(self, account: Account) -> set[str]:
        """The account's address and the aliases that reach it alone (a group alias
        such as ``staff@`` is not addressed to the user personally)."""
        own = {account.address.lower()}
        for alias in await self.send_as(account):
            resolution = await self.recipients.resolve(alias)
            if [a.id for a in resolution.accounts] == [account.id] and not resolution.external:
                own.add(alias.lower())
        return own

    async def send_vacation_replies(self, plan: Plan, facts: MessageFacts, mail_from: str,
                                    stored: set[int], send_reply: SendReply) -> None:
        """Answer for each account whose copy was stored (or forwarded without a copy)
        and whose vacation reply is on, where RFC 3834 allows it."""
        if not plan.replies or facts.automatic or not _replyable_sender(mail_from):
            return
        sender = mail_from.lower()
        for account in plan.replies:
            vacation = plan.rules[account.id].vacation
            if account.id not in stored or vacation is None:
                continue
            own = await self.personal_addresses(account)
            if sender in own or not (own & facts.addressed_to):
                continue
            if not await self.preferences.userdata.record_vacation_reply(account.id, sender):
                continue
            reply = vacation_reply(account, vacation.subject, vacation.body, facts, mail_from)
            try:
                await send_reply(mail_from, reply)
            except Exception:  # a reply that cannot go never costs the delivery
                log.exception("vacation reply from %s to %s failed", account.address,
                              mail_from)


def vacation_reply(account: Account, subject: str, body: str, facts: MessageFacts,
                   to: str) -> bytes:
    """The RFC 3834 reply from ``account`` to ``to`` for the message ``facts`` describes."""
    msg = EmailMessage(policy=SMTP)
    local, _, domain = account.address.partition("@")
    msg["From"] = HeaderAddress(account.display_name or "", local, domain)
    msg["To"] = canonical_address(to)
    original = " ".join(facts.subject.split())
    msg["Subject"] = subject.strip() or (f"Auto: {original}" if original else "Auto: away")
    msg["Date"] = datetime.now(UTC)
    if facts.message_id:
        msg["In-Reply-To"] = facts.message_id
        msg["References"] = " ".join(x for x in (facts.references, facts.message_id) if x)
    msg["Auto-Submitted"] = "auto-replied"
    msg["X-Auto-Response-Suppress"] = "All"  # Exchange and Outlook do not answer it
    msg.set_content(body.replace("\r\n", "\n"))
    return msg.as_bytes()
