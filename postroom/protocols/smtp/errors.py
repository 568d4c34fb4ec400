"""The SMTP reply for any error a handler raises: the one place errors are mapped.

`postroom.delivery.errors` refine `NotPermitted` (relay denied, sender not owned,
sending suspended, no SMTP access) and get their own replies; everything else goes
through `replies.for_error`, which keeps the parser layer free of delivery imports.
"""

from __future__ import annotations

from postroom import errors
from postroom.delivery import errors as delivery_errors
from postroom.protocols.smtp import replies
from postroom.protocols.smtp.replies import Reply

_DELIVERY: dict[type[errors.PostroomError], Reply] = {
    delivery_errors.RelayDenied: replies.RELAY_DENIED,
    delivery_errors.SenderNotOwned: replies.SENDER_NOT_OWNED,
    delivery_errors.SendingSuspended: replies.SENDING_SUSPENDED,
    delivery_errors.SmtpAccessDisabled: replies.SMTP_ACCESS_DISABLED,
}


def reply_for(error: errors.PostroomError) -> Reply:
    for kind in type(error).__mro__:
        reply = _DELIVERY.get(kind)
        if reply is not None:
            return reply
    return replies.for_error(error)
