"""Accounts within the organisation's allocation; statuses; deletion."""

from __future__ import annotations

import pytest

from postroom.app import Services
from postroom.errors import AlreadyExists, Invalid, NotFound, OverAllocation
from postroom.store.records import AccountStatus, Role
from tests.factories import PASSWORD, make_account, make_message, make_org

MiB = 1024 * 1024


async def test_account_is_canonical_and_belongs_to_the_domains_org(services: Services) -> None:
    org = await make_org(services, domain="Example.ORG")
    account = await services.tenancy.accounts.add("Ann.Smith@EXAMPLE.org", PASSWORD,
                                                  quota=10 * MiB, role=Role.ORG_ADMIN,
                                                  display_name=" Ann Smith ")
    assert account.address == "ann.smith@example.org"
    assert account.organisation_id == org.id
    assert account.role is Role.ORG_ADMIN and account.display_name == "Ann Smith"
    assert (await services.tenancy.accounts.get("ANN.SMITH@example.org")).id == account.id


async def test_unhosted_domain_duplicate_and_weak_password(services: Services) -> None:
    await make_org(services)
    with pytest.raises(NotFound):
        await services.tenancy.accounts.add("ann@elsewhere.org", PASSWORD)
    await make_account(services)
    with pytest.raises(AlreadyExists):
        await make_account(services, "ANN@example.org")
    with pytest.raises(Invalid):
        await services.tenancy.accounts.add("bea@example.org", "short")


async def test_mailbox_allocation_is_enforced(services: Services) -> None:
    await make_org(services, mailboxes=2)
    await make_account(services, "a@example.org")
    await make_account(services, "b@example.org")
    with pytest.raises(OverAllocation, match="all 2 mailboxes"):
        await make_account(services, "c@example.org")
    # A terminated account frees its place.
    await services.tenancy.accounts.set_status("b@example.org", AccountStatus.TERMINATED)
    await make_account(services, "c@example.org")
    # ... and cannot come back while the allocation is full.
    with pytest.raises(OverAllocation):
        await services.tenancy.accounts.set_status("b@example.org", AccountStatus.ACTIVE)


async def test_storage_allocation_is_enforced(services: Services) -> None:
    await make_org(services, storage=100 * MiB)
    await make_account(services, "a@example.org", quota=60 * MiB)
    with pytest.raises(OverAllocation, match="storage allocation"):
        await make_account(services, "b@example.org", quota=50 * MiB)
    await make_account(services, "b@example.org", quota=40 * MiB)
    with pytest.raises(OverAllocation):
        await services.tenancy.accounts.set_quota("a@example.org", 61 * MiB)
    assert (await services.tenancy.accounts.set_quota("a@example.org", 30 * MiB)).quota == 30 * MiB


async def test_allocation_cannot_go_below_use(services: Services) -> None:
    org = await make_org(services, mailboxes=5, storage=100 * MiB)
    await make_account(services, "a@example.org", quota=60 * MiB)
    await make_account(services, "b@example.org", quota=10 * MiB)
    with pytest.raises(OverAllocation):
        await services.tenancy.organisations.set_allocation(org.id, mailboxes=1)
    with pytest.raises(OverAllocation):
        await services.tenancy.organisations.set_allocation(org.id, storage=50 * MiB)
    changed = await services.tenancy.organisations.set_allocation(org.id, mailboxes=2,
                                                                   storage=70 * MiB)
    assert (changed.mailbox_allocation, changed.storage_allocation) == (2, 70 * MiB)


async def test_delete_account_removes_its_mail(services: Services) -> None:
    await make_org(services)
    ann = await make_account(services)
    await services.mail.append(ann.id, "INBOX", make_message("only ann has this"))
    await services.tenancy.accounts.delete("ann@example.org")
    with pytest.raises(NotFound):
        await services.tenancy.accounts.get("ann@example.org")
    assert list(services.blobs.iter_hashes()) == []


async def test_send_as_addresses_include_aliases(services: Services) -> None:
    await make_org(services)
    ann = await make_account(services)
    await services.tenancy.recipients.add_alias("office@example.org", ["ann@example.org"])
    assert await services.tenancy.accounts.send_as_addresses(ann) == [
        "ann@example.org", "office@example.org"]
