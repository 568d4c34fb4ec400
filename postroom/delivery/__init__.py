"""Moving mail: inbound delivery, the one submission path, the outbound queue.

- ``inbound``: transactional delivery for the MX (start / add_recipient / body / commit),
  with ``Received`` and ``Authentication-Results`` (``authcheck``: SPF, DKIM, DMARC).
- ``submission``: ``Submitter.submit`` — SMTP AUTH, web mail, notices and DSNs all send
  through it (cleanup, DKIM signing, local delivery, queue, Sent copy, limits).
- ``local`` + ``personal``: storing for local accounts with their filters, forwarding
  and vacation replies (RFC 3834), shared by the MX and submission.
- ``outbound`` + ``remote``: the queue worker, MX routing and aiosmtplib sending;
  ``dsn`` builds RFC 3464 reports; ``limits`` holds accounts that send too much.
- ``log``: one structured line per SMTP transaction and delivery attempt.

``build_delivery`` wires one node's ``Delivery`` from plain parts; the DNS resolver
is injectable (tests pass a ``StaticResolver``, settings may name a static file).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from postroom.config import Settings
from postroom.delivery.authcheck import AuthChecker
from postroom.delivery.dns import Resolver, resolver_for
from postroom.delivery.inbound import InboundDelivery
from postroom.delivery.log import DeliveryLog
from postroom.delivery.outbound import QueueWorker
from postroom.delivery.personal import PersonalRules
from postroom.delivery.remote import RemoteDelivery
from postroom.delivery.submission import SubmissionResult, Submitter
from postroom.store.mailboxes import MailStore
from postroom.store.queue import QueueStore
from postroom.store.userdata import UserData
from postroom.tenancy import Tenancy
from postroom.tenancy.preferences import Preferences

__all__ = ["Delivery", "SubmissionResult", "Submitter", "build_delivery"]


@dataclass
class Delivery:
    """The delivery services of one node."""

    queue: QueueStore
    log: DeliveryLog
    inbound: InboundDelivery
    submitter: Submitter
    worker: QueueWorker
    resolver: Resolver

    async def close(self) -> None:
        await self.log.close()


def build_delivery(settings: Settings, tenancy: Tenancy, mail: MailStore, *,
                   resolver: Resolver | None = None, outbound_port: int | None = None,
                   ) -> Delivery:
    resolver = resolver or resolver_for(settings.dns_static_file)
    lifetime = timedelta(days=settings.queue_lifetime_days)
    queue = QueueStore(mail.db, mail.blobs, mail.mime_limits)
    log = DeliveryLog(mail.db, settings.delivery_log_days)
    checker = AuthChecker(resolver) if settings.inbound_auth_checks else None
    rules = PersonalRules(Preferences(UserData(mail.db), tenancy.organisations),
                          tenancy.recipients, tenancy.accounts.send_as_addresses)
    submitter = Submitter(tenancy=tenancy, mail=mail, queue=queue, log=log,
                          hostname=settings.hostname,
                          max_message_size=int(settings.max_message_size),
                          rules=rules, queue_lifetime=lifetime)
    inbound = InboundDelivery(recipients=tenancy.recipients, mail=mail, queue=queue, log=log,
                              hostname=settings.hostname, local=submitter.local,
                              checker=checker, queue_lifetime=lifetime)
    remote = RemoteDelivery(resolver, helo=settings.hostname,
                            port=outbound_port or settings.outbound_port,
                            timeout=settings.outbound_timeout)
    worker = QueueWorker(queue=queue, remote=remote, mail=mail, recipients=tenancy.recipients,
                         submitter=submitter, log=log, hostname=settings.hostname,
                         retry=timedelta(minutes=settings.queue_retry_minutes),
                         delay_notice=timedelta(hours=settings.queue_delay_notice_hours),
                         poll=settings.queue_poll_seconds)
    return Delivery(queue, log, inbound, submitter, worker, resolver)
