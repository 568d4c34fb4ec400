"""``postroom queue``: look at and act on the outbound queue (operator tools).

``list`` shows each queued message with its recipients' states (no content, no
subject); ``retry ID`` makes its waiting recipients due now; ``delete ID`` drops it
without a notice; ``holds`` and ``release ADDRESS`` show and lift the sending holds that
the per-account limits set.
"""

from __future__ import annotations

import click

from postroom.app import Services
from postroom.cli.common import table, with_services
from postroom.store.queue import QueueStore


def _queue(services: Services) -> QueueStore:
    return QueueStore(services.db, services.blobs)


@click.group()
def queue() -> None:
    """The outbound queue: list, retry, delete; sending holds."""


@queue.command("list")
@with_services
async def list_queue(services: Services) -> None:
    """Every queued message and the state of each recipient."""
    rows = []
    for message in await _queue(services).list_messages():
        for r in message.recipients:
            rows.append((message.queue_id, message.mail_from or "<>", r.address, r.status.value,
                         r.attempts, r.next_attempt_at.strftime("%Y-%m-%d %H:%M"),
                         (r.last_response or "")[:60]))
    if not rows:
        click.echo("the queue is empty")
        return
    table(rows, ("id", "from", "recipient", "state", "tries", "next", "last reply"))


@queue.command()
@click.argument("queue_id")
@with_services
async def retry(services: Services, queue_id: str) -> None:
    """Try the message's waiting recipients now."""
    count = await _queue(services).retry_now(queue_id)
    click.echo(f"{queue_id}: {count} recipient(s) due now")


@queue.command()
@click.argument("queue_id")
@with_services
async def delete(services: Services, queue_id: str) -> None:
    """Drop the message for every recipient (no notice is sent)."""
    await _queue(services).delete_message(queue_id)
    click.echo(f"{queue_id}: deleted")


@queue.command()
@with_services
async def holds(services: Services) -> None:
    """Accounts whose sending is held by the per-account limits."""
    found = await _queue(services).holds()
    if not found:
        click.echo("no sending holds")
        return
    rows = []
    for account_id, reason, since in found:
        account = await services.tenancy.accounts.get_by_id(account_id)
        rows.append((account.address, since.strftime("%Y-%m-%d %H:%M"), reason))
    table(rows, ("account", "since", "reason"))


@queue.command()
@click.argument("address")
@with_services
async def release(services: Services, address: str) -> None:
    """Lift an account's sending hold; its held mail is sent."""
    account = await services.tenancy.accounts.get(address)
    count = await _queue(services).release_account(account.id)
    click.echo(f"{account.address}: released, {count} recipient(s) due now")
