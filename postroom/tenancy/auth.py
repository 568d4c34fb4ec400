"""Authentication with throttling, shared by SMTP AUTH, IMAP, POP3 and the web.

One answer for every failure a client may learn about: an unknown address, a wrong
password and an account that may not log in all raise ``AuthenticationFailed`` after the
same argon2 work. Failures are counted per client IP and per address
(``login_throttle``); after a few failures each attempt is delayed (the caller sleeps the
``delay`` it is given), and after many the key is blocked for a while (``Throttled``).
A success clears the address's count, never the IP's.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from postroom.errors import AuthenticationFailed, Invalid, Throttled
from postroom.mail.addresses import canonical_address
from postroom.store import directory
from postroom.store.db import Database
from postroom.store.records import Account, AccountStatus, Operator, Throttle
from postroom.tenancy.passwords import Passwords


@dataclass(frozen=True)
class ThrottlePolicy:
    """Failures before delays start, the delay cap, and when a key gets blocked."""

    free_failures: int = 3
    max_delay: float = 8.0
    block_account_after: int = 10
    block_ip_after: int = 30
    block_for: timedelta = timedelta(minutes=15)
    forget_after: timedelta = timedelta(hours=1)

    def delay(self, failures: int) -> float:
        if failures < self.free_failures:
            return 0.0
        return min(self.max_delay, 0.5 * 2 ** (failures - self.free_failures))


class Authenticator:
    def __init__(self, db: Database, passwords: Passwords,
                 policy: ThrottlePolicy | None = None) -> None:
        self.db = db
        self.passwords = passwords
        self.policy = policy or ThrottlePolicy()

    async def delay_for(self, ip: str | None, address: str | None = None) -> float:
        """Seconds the caller should wait before checking a password (Throttled if blocked)."""
        now = datetime.now(UTC)
        worst = 0.0
        async with self.db.read() as conn:
            for key in _keys(ip, address):
                t = await directory.get_throttle(conn, key)
                if t is None or now - t.last_failure > self.policy.forget_after:
                    continue
                if t.blocked_until is not None and t.blocked_until > now:
                    raise Throttled()
                worst = max(worst, self.policy.delay(t.failures))
        return worst

    async def login(self, address: str, password: str, *, ip: str | None = None) -> Account:
        """The account for these credentials, or AuthenticationFailed / Throttled.

        Sleeps the throttle delay first, so every front end slows guessing alike.
        """
        await asyncio.sleep(await self.delay_for(ip, address))
        account = await self._check(address, password)
        if account is None:
            await self._record_failure(ip, address)
            raise AuthenticationFailed()
        async with self.db.write() as conn:
            await directory.clear_throttle(conn, f"acct:{account.address}")
        return account

    async def _check(self, address: str, password: str) -> Account | None:
        try:
            canonical = canonical_address(address)
        except Invalid:
            await self.passwords.verify_dummy(password)
            return None
        async with self.db.read() as conn:
            account = await directory.find_account(conn, canonical)
        if account is None:
            await self.passwords.verify_dummy(password)
            return None
        ok = await self.passwords.verify(account.password_hash, password)
        if not ok or account.status is not AccountStatus.ACTIVE:
            return None
        return account

    async def operator_login(self, login: str, password: str, *,
                             ip: str | None = None) -> Operator:
        await asyncio.sleep(await self.delay_for(ip, f"operator:{login}"))
        async with self.db.read() as conn:
            operator = await directory.find_operator(conn, login)
        if operator is None:
            await self.passwords.verify_dummy(password)
        elif await self.passwords.verify(operator.password_hash, password):
            return operator
        await self._record_failure(ip, f"operator:{login}")
        raise AuthenticationFailed()

    async def _record_failure(self, ip: str | None, address: str | None) -> None:
        now = datetime.now(UTC)
        async with self.db.write() as conn:
            for key in _keys(ip, address):
                t = await directory.get_throttle(conn, key)
                failures = 1
                if t is not None and now - t.last_failure <= self.policy.forget_after:
                    failures = t.failures + 1
                limit = (self.policy.block_ip_after if key.startswith("ip:")
                         else self.policy.block_account_after)
                blocked = now + self.policy.block_for if failures >= limit else None
                await directory.put_throttle(conn, Throttle(key, failures, now, blocked))


def _keys(ip: str | None, address: str | None) -> list[str]:
    keys = []
    if ip:
        keys.append(f"ip:{ip}")
    if address:
        try:
            keys.append(f"acct:{canonical_address(address)}")
        except Invalid:
            keys.append(f"acct:{address.strip().lower()[:300]}")
    return keys
