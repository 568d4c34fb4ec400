"""``postroom org|domain|account|alias``: the operator's directory tools."""

from __future__ import annotations

import click

from postroom.app import Services
from postroom.cli.common import read_password, table, with_services
from postroom.store.records import AccountStatus, Funding, Role
from postroom.tenancy.sizes import format_size, parse_size


@click.group()
def org() -> None:
    """Organisations: allocations, SMTP access, funding."""


@org.command("create")
@click.argument("name")
@click.option("--mailboxes", type=click.IntRange(min=1), default=100, show_default=True,
              help="Mailbox allocation.")
@click.option("--storage", default="100GiB", show_default=True, help="Storage allocation.")
@click.option("--smtp-access/--no-smtp-access", default=True, show_default=True,
              help="May the organisation's users send with authenticated SMTP.")
@click.option("--funding", type=click.Choice([f.value for f in Funding]), default="charged",
              show_default=True)
@with_services
async def org_create(services: Services, name: str, mailboxes: int, storage: str,
                     smtp_access: bool, funding: str) -> None:
    """Create the organisation NAME."""
    created = await services.tenancy.organisations.create(
        name, mailboxes=mailboxes, storage=parse_size(storage), smtp_access=smtp_access,
        funding=Funding(funding))
    click.echo(f"created organisation {created.name!r} (id {created.id})")


@org.command("list")
@with_services
async def org_list(services: Services) -> None:
    """List organisations with their allocation and use."""
    rows = [
        (s.organisation.name, s.organisation.status.value,
         f"{s.usage.mailboxes}/{s.organisation.mailbox_allocation}",
         f"{format_size(s.usage.quota_total)}/{format_size(s.organisation.storage_allocation)}",
         "yes" if s.organisation.smtp_access else "no", s.organisation.funding.value,
         " ".join(s.domains))
        for s in await services.tenancy.organisations.list_all()
    ]
    table(rows, ("NAME", "STATUS", "MAILBOXES", "STORAGE", "SMTP", "FUNDING", "DOMAINS"))


@click.group()
def domain() -> None:
    """Hosted domains."""


@domain.command("add")
@click.argument("org_name", metavar="ORG")
@click.argument("domain_name", metavar="DOMAIN")
@with_services
async def domain_add(services: Services, org_name: str, domain_name: str) -> None:
    """Host DOMAIN for the organisation ORG (makes its DKIM key)."""
    created = await services.tenancy.organisations.add_domain(org_name, domain_name)
    click.echo(f"added domain {created.name} (DKIM selector {created.dkim_selector})")


@domain.command("list")
@with_services
async def domain_list(services: Services) -> None:
    """List hosted domains."""
    orgs = {s.organisation.id: s.organisation.name
            for s in await services.tenancy.organisations.list_all()}
    rows = [(d.name, orgs.get(d.organisation_id, "?"), d.status.value, d.dkim_selector)
            for d in await services.tenancy.organisations.domains()]
    table(rows, ("DOMAIN", "ORGANISATION", "STATUS", "DKIM SELECTOR"))


@click.group()
def account() -> None:
    """Accounts (mailboxes)."""


@account.command("add")
@click.argument("address")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--quota", default=None, help="Mailbox quota, e.g. 2GiB (default from settings).")
@click.option("--admin", is_flag=True, help="Make the account an organisation administrator.")
@click.option("--name", "display_name", default="", help="Display name.")
@with_services
async def account_add(services: Services, address: str, password_stdin: bool,
                      quota: str | None, admin: bool, display_name: str) -> None:
    """Create the account ADDRESS in its domain's organisation."""
    password = read_password(password_stdin)
    created = await services.tenancy.accounts.add(
        address, password, quota=parse_size(quota) if quota else None,
        role=Role.ORG_ADMIN if admin else Role.USER, display_name=display_name)
    click.echo(f"created account {created.address} ({created.role.value}, quota "
               f"{format_size(created.quota)})")


@account.command("list")
@click.option("--org", "org_name", default=None, help="Only this organisation's accounts.")
@with_services
async def account_list(services: Services, org_name: str | None) -> None:
    """List accounts."""
    org_id = None
    if org_name:
        org_id = (await services.tenancy.organisations.get(org_name)).id
    rows = [(a.address, a.display_name or "-", a.status.value, a.role.value,
             f"{format_size(a.usage)}/{format_size(a.quota)}")
            for a in await services.tenancy.accounts.list_all(org_id)]
    table(rows, ("ADDRESS", "NAME", "STATUS", "ROLE", "USAGE"))


@account.command("passwd")
@click.argument("address")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_services
async def account_passwd(services: Services, address: str, password_stdin: bool) -> None:
    """Set the password of ADDRESS."""
    await services.tenancy.accounts.set_password(address, read_password(password_stdin))
    click.echo(f"password of {address} changed")


@account.command("suspend")
@click.argument("address")
@with_services
async def account_suspend(services: Services, address: str) -> None:
    """Suspend ADDRESS: no logins and no sending; mail still arrives."""
    await services.tenancy.accounts.set_status(address, AccountStatus.SUSPENDED)
    click.echo(f"suspended {address}")


@account.command("activate")
@click.argument("address")
@with_services
async def account_activate(services: Services, address: str) -> None:
    """Make a suspended ADDRESS active again."""
    await services.tenancy.accounts.set_status(address, AccountStatus.ACTIVE)
    click.echo(f"activated {address}")


@account.command("delete")
@click.argument("address")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_services
async def account_delete(services: Services, address: str, yes: bool) -> None:
    """Delete ADDRESS and all its mail (cannot be undone)."""
    if not yes and not click.confirm(f"Delete {address} and all its mail?"):
        raise click.Abort()
    await services.tenancy.accounts.delete(address)
    click.echo(f"deleted {address}")


@click.group()
def alias() -> None:
    """Aliases: an address that delivers to one or more others."""


@alias.command("add")
@click.argument("address")
@click.argument("targets", nargs=-1, required=True)
@with_services
async def alias_add(services: Services, address: str, targets: tuple[str, ...]) -> None:
    """Make ADDRESS deliver to each TARGET."""
    created = await services.tenancy.recipients.add_alias(address, list(targets))
    click.echo(f"alias {created.address} -> {', '.join(created.targets)}")


@alias.command("list")
@with_services
async def alias_list(services: Services) -> None:
    """List aliases."""
    table([(a.address, ", ".join(a.targets)) for a in await services.tenancy.recipients.aliases()],
          ("ALIAS", "TARGETS"))


@alias.command("delete")
@click.argument("address")
@with_services
async def alias_delete(services: Services, address: str) -> None:
    """Remove the alias ADDRESS."""
    await services.tenancy.recipients.remove_alias(address)
    click.echo(f"removed alias {address}")
