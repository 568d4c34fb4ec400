"""What a user may set up for their own mail, and what it means at delivery.

Purpose: the rules around ``store.userdata``: forwarding only where the organisation
allows it (``Organisation.allow_forwarding``) and never to the account itself; filters
that name a real action, a folder for "move" and an address for "forward"; vacation
periods whose end is not before their start. The web mail writes through this class;
the delivery path reads ``delivery_rules`` and applies ``evaluate_filters``.

Invariants:
- ``delivery_rules`` never returns forwarding (or a forwarding filter) for an
  organisation that does not allow forwarding, even if it was set up before the
  organisation changed its mind.
- ``evaluate_filters`` is pure: the same filters and headers give the same outcome. Filters
  apply in order; "delete" stops at once; the first "move" wins; "mark read" and
  "forward" add up.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from postroom.errors import Invalid, NotPermitted
from postroom.mail.addresses import canonical_address
from postroom.store.records import Account
from postroom.store.userdata import (
    FilterAction,
    FilterField,
    Forwarding,
    MailFilter,
    SettingName,
    UserData,
    Vacation,
)
from postroom.tenancy.organisations import Organisations

MAX_VACATION_BODY = 10_000
MAX_SIGNATURE = 5_000


@dataclass(frozen=True)
class DeliveryRules:
    """What the delivery path applies to a message for one account."""

    filters: tuple[MailFilter, ...]
    vacation: Vacation | None
    forwarding: Forwarding | None


@dataclass
class FilterOutcome:
    """What the filters decided for one message."""

    folder: str | None = None
    mark_read: bool = False
    forward_to: list[str] = field(default_factory=list)
    discard: bool = False


def evaluate_filters(filters: list[MailFilter] | tuple[MailFilter, ...], *, sender: str,
                     recipients: str, subject: str) -> FilterOutcome:
    """Apply ``filters`` to a message's From, To/Cc and Subject (display text)."""
    values = {FilterField.FROM: sender, FilterField.TO: recipients, FilterField.SUBJECT: subject}
    outcome = FilterOutcome()
    for f in filters:
        if not f.enabled or not f.contains:
            continue
        if f.contains.casefold() not in values[f.field].casefold():
            continue
        if f.action is FilterAction.DELETE:
            return FilterOutcome(discard=True)
        if f.action is FilterAction.MOVE and outcome.folder is None:
            outcome.folder = f.argument
        elif f.action is FilterAction.MARK_READ:
            outcome.mark_read = True
        elif f.action is FilterAction.FORWARD and f.argument not in outcome.forward_to:
            outcome.forward_to.append(f.argument)
    return outcome


class Preferences:
    """Checked changes to a user's settings, and the rules delivery applies."""

    def __init__(self, userdata: UserData, organisations: Organisations) -> None:
        self.userdata = userdata
        self.organisations = organisations

    async def forwarding_allowed(self, account: Account) -> bool:
        org = await self.organisations.get_by_id(account.organisation_id)
        return org.allow_forwarding

    async def set_signature(self, account: Account, text: str) -> None:
        if len(text) > MAX_SIGNATURE:
            raise Invalid(f"a signature can have at most {MAX_SIGNATURE} characters")
        await self.userdata.set_setting(account.id, SettingName.SIGNATURE,
                                        text.replace("\r\n", "\n"))

    async def set_vacation(self, account: Account, vacation: Vacation) -> None:
        if vacation.start and vacation.end and vacation.end < vacation.start:
            raise Invalid("the vacation reply cannot end before it starts")
        if len(vacation.body) > MAX_VACATION_BODY:
            raise Invalid(f"the reply can have at most {MAX_VACATION_BODY} characters")
        if vacation.enabled and not vacation.body.strip():
            raise Invalid("write the text of the vacation reply")
        vacation = replace(vacation, subject=vacation.subject.strip()[:200])
        before = await self.userdata.vacation(account.id)
        await self.userdata.set_setting(account.id, SettingName.VACATION, vacation.to_json())
        if vacation.enabled and before != vacation:
            # A new or changed period: every sender gets one reply again (RFC 3834 2).
            await self.userdata.forget_vacation_replies(account.id)

    async def set_forwarding(self, account: Account, address: str, keep_copy: bool) -> None:
        address = address.strip()
        if address:
            if not await self.forwarding_allowed(account):
                raise NotPermitted("your organisation does not allow forwarding")
            address = _forward_target(account, address)
        await self.userdata.set_setting(account.id, SettingName.FORWARDING,
                                        {"address": address, "keep_copy": keep_copy})

    async def add_filter(self, account: Account, field_: str, contains: str, action: str,
                         argument: str = "") -> MailFilter:
        try:
            f, a = FilterField(field_), FilterAction(action)
        except ValueError:
            raise Invalid("choose what to look at and what to do") from None
        contains = contains.strip()
        if not contains:
            raise Invalid("say what the filter looks for")
        argument = argument.strip()
        if a is FilterAction.MOVE and not argument:
            raise Invalid("choose the folder to move to")
        if a is FilterAction.FORWARD:
            if not await self.forwarding_allowed(account):
                raise NotPermitted("your organisation does not allow forwarding")
            argument = _forward_target(account, argument)
        if a in (FilterAction.DELETE, FilterAction.MARK_READ):
            argument = ""
        return await self.userdata.add_filter(account.id, f, contains, a, argument)

    async def delivery_rules(self, account: Account) -> DeliveryRules:
        """Filters, today's vacation reply and forwarding, as delivery should apply them."""
        return (await self.delivery_rules_for([account]))[account.id]

    async def delivery_rules_for(self, accounts: list[Account]) -> dict[int, DeliveryRules]:
        """``delivery_rules`` of several accounts with one read of their settings; the
        organisation is looked up only for accounts that forward."""
        stored = await self.userdata.delivery_settings([a.id for a in accounts])
        allowed: dict[int, bool] = {}
        out: dict[int, DeliveryRules] = {}
        for account in accounts:
            got = stored[account.id]
            filters, forwarding = got.filters, got.forwarding
            forwards = forwarding is not None or any(
                f.action is FilterAction.FORWARD for f in filters)
            if forwards:
                org_id = account.organisation_id
                if org_id not in allowed:
                    allowed[org_id] = await self.forwarding_allowed(account)
                if not allowed[org_id]:
                    forwarding = None
                    filters = tuple(f for f in filters if f.action is not FilterAction.FORWARD)
            out[account.id] = DeliveryRules(filters, got.vacation, forwarding)
        return out


def _forward_target(account: Account, address: str) -> str:
    try:
        target = canonical_address(address)
    except Invalid:
        raise Invalid("that is not a valid e-mail address") from None
    if target == account.address:
        raise Invalid("mail cannot be forwarded to the same mailbox")
    return target
