"""Authentication: one answer for every failure, statuses, throttling per IP and account."""

from __future__ import annotations

import pytest

from postroom.app import Services
from postroom.errors import AuthenticationFailed, Throttled
from postroom.store.records import AccountStatus
from postroom.tenancy.auth import Authenticator, ThrottlePolicy
from postroom.tenancy.passwords import Passwords
from tests.factories import PASSWORD, make_account, make_org


@pytest.fixture
async def auth(services: Services) -> Authenticator:
    await make_org(services)
    await make_account(services)
    return services.tenancy.auth


async def test_login_with_address_in_any_case(auth: Authenticator) -> None:
    account = await auth.login("ANN@example.org", PASSWORD, ip="192.0.2.1")
    assert account.address == "ann@example.org"


async def test_unknown_user_and_wrong_password_fail_alike(auth: Authenticator) -> None:
    errors = []
    for address, password in (("nobody@example.org", PASSWORD), ("ann@example.org", "wrong pw!"),
                              ("not-an-address", "x")):
        with pytest.raises(AuthenticationFailed) as info:
            await auth.login(address, password, ip=None)
        errors.append(str(info.value))
    assert len(set(errors)) == 1


async def test_suspended_account_cannot_log_in(services: Services, auth: Authenticator) -> None:
    await services.tenancy.accounts.set_status("ann@example.org", AccountStatus.SUSPENDED)
    with pytest.raises(AuthenticationFailed):
        await auth.login("ann@example.org", PASSWORD)


async def test_delay_grows_then_blocks_account(services: Services, auth: Authenticator) -> None:
    auth.policy = ThrottlePolicy(free_failures=2, block_account_after=4, block_ip_after=100)
    delays = []
    for _ in range(3):
        with pytest.raises(AuthenticationFailed):
            await auth.login("ann@example.org", "wrong password", ip="192.0.2.9")
        delays.append(await auth.delay_for("192.0.2.99", "ann@example.org"))
    assert delays[0] == 0 and 0 < delays[1] < delays[2]
    with pytest.raises(AuthenticationFailed):
        await auth.login("ann@example.org", "wrong password", ip="192.0.2.9")
    # Blocked now, even with the right password, from anywhere.
    with pytest.raises(Throttled):
        await auth.login("ann@example.org", PASSWORD, ip="198.51.100.7")


async def test_ip_block_covers_every_address(auth: Authenticator) -> None:
    auth.policy = ThrottlePolicy(block_account_after=100, block_ip_after=3)
    for n in range(3):
        with pytest.raises(AuthenticationFailed):
            await auth.login(f"user{n}@example.org", "guess", ip="203.0.113.5")
    with pytest.raises(Throttled):
        await auth.login("ann@example.org", PASSWORD, ip="203.0.113.5")
    assert (await auth.login("ann@example.org", PASSWORD, ip="203.0.113.6")).address


async def test_success_clears_the_account_count(auth: Authenticator) -> None:
    auth.policy = ThrottlePolicy(free_failures=1, block_account_after=100, block_ip_after=100)
    with pytest.raises(AuthenticationFailed):
        await auth.login("ann@example.org", "nope nope", ip="192.0.2.1")
    await auth.login("ann@example.org", PASSWORD, ip="192.0.2.2")
    assert await auth.delay_for(None, "ann@example.org") == 0


async def test_operator_login(services: Services) -> None:
    password = await services.tenancy.operators.ensure_first()
    assert password and await services.tenancy.operators.ensure_first() is None
    assert (await services.tenancy.auth.operator_login("operator", password)).login == "operator"
    with pytest.raises(AuthenticationFailed):
        await services.tenancy.auth.operator_login("operator", "wrong password")


def test_default_hash_is_argon2id_with_the_tuned_parameters() -> None:
    stored = Passwords()._hasher.hash("a password")  # production defaults
    # bench/argon2_cost.py measures that these verify in about 30 ms.
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
