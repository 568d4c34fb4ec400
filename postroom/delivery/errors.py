"""Delivery's refinements of ``postroom.errors``: still protocol-neutral, with fixed,
user-safe messages. Each protocol maps them once (SMTP: ``replies.for_error``); callers
that only know the base classes (``NotPermitted``) still get a sensible answer."""

from __future__ import annotations

from postroom.errors import NotPermitted


class RelayDenied(NotPermitted):
    """The MX was asked to pass mail to a domain it does not host."""

    default_message = "relaying denied"


class SenderNotOwned(NotPermitted):
    """The envelope sender or the From: address is not the account's own or its alias."""

    default_message = "you can only send as your own address or one of your aliases"


class SendingSuspended(NotPermitted):
    """The account's outbound mail is held (sending limits); the operator was told."""

    default_message = ("sending from this account is suspended; "
                       "please contact your organisation's administrator")


class SmtpAccessDisabled(NotPermitted):
    """The account's organisation did not apply for SMTP access."""

    default_message = "sending by SMTP is not enabled for your organisation"
