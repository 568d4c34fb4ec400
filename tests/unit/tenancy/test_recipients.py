"""Recipient resolution: accounts, aliases, sub-addressing, case rules, external targets."""

from __future__ import annotations

import pytest

from postroom.app import Services
from postroom.errors import AlreadyExists, Invalid, NotFound
from postroom.store.records import AccountStatus
from tests.factories import make_account, make_org


@pytest.fixture
async def setup(services: Services) -> Services:
    await make_org(services)
    await make_account(services, "ann@example.org")
    await make_account(services, "bea@example.org")
    return services


async def addresses(services: Services, address: str) -> list[str]:
    return [a.address for a in (await services.tenancy.recipients.resolve(address)).accounts]


async def test_account_case_insensitive_and_subaddress(setup: Services) -> None:
    assert await addresses(setup, "ann@example.org") == ["ann@example.org"]
    assert await addresses(setup, "ANN@Example.Org") == ["ann@example.org"]
    assert await addresses(setup, "ann+lists@example.org") == ["ann@example.org"]
    assert await addresses(setup, "nobody@example.org") == []


async def test_unhosted_domain_is_not_ours(setup: Services) -> None:
    result = await setup.tenancy.recipients.resolve("ann@example.net")
    assert not result.hosted and not result.deliverable
    assert not (await setup.tenancy.recipients.resolve("not an address")).hosted


async def test_alias_with_several_targets_nested_and_external(setup: Services) -> None:
    r = setup.tenancy.recipients
    await r.add_alias("team@example.org", ["ann@example.org", "bea@example.org"])
    await r.add_alias("all@example.org", ["team@example.org", "friend@example.net",
                                          "ann@example.org"])
    result = await r.resolve("All+x@EXAMPLE.org")
    assert sorted(a.address for a in result.accounts) == ["ann@example.org", "bea@example.org"]
    assert result.external == ["friend@example.net"]


async def test_alias_loops_end(setup: Services) -> None:
    r = setup.tenancy.recipients
    await r.add_alias("a@example.org", ["b@example.org", "ann@example.org"])
    await r.add_alias("b@example.org", ["a@example.org"])
    assert await addresses(setup, "b@example.org") == ["ann@example.org"]


async def test_alias_rules(setup: Services) -> None:
    r = setup.tenancy.recipients
    with pytest.raises(AlreadyExists):
        await r.add_alias("ann@example.org", ["bea@example.org"])
    with pytest.raises(Invalid):
        await r.add_alias("x@example.org", [])
    with pytest.raises(Invalid):
        await r.add_alias("x@example.org", ["x@example.org"])
    with pytest.raises(NotFound):
        await r.add_alias("x@example.net", ["ann@example.org"])
    await r.add_alias("x@example.org", ["ann@example.org"])
    with pytest.raises(AlreadyExists):
        await make_account(setup, "x@example.org")


async def test_terminated_accounts_receive_nothing_suspended_still_do(setup: Services) -> None:
    await setup.tenancy.accounts.set_status("ann@example.org", AccountStatus.SUSPENDED)
    assert await addresses(setup, "ann@example.org") == ["ann@example.org"]
    await setup.tenancy.accounts.set_status("ann@example.org", AccountStatus.TERMINATED)
    assert await addresses(setup, "ann@example.org") == []
