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

from sqlalchemy.ext.asyncio import AsyncConnection

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
        async with self.db.read() as conn:
            throttles = await self._throttles(conn, ip, address)
        return self._delay(throttles)

    async def _throttles(self, conn: AsyncConnection, ip: str | None,
                         address: str | None) -> dict[str, Throttle]:
        found = {}
        for key in _keys(ip, address):
            t = await directory.get_throttle(conn, key)
            if t is not None:
                found[key] = t
        return found

    def _delay(self, throttles: dict[str, Throttle]) -> float:
        now = datetime.now(UTC)
        worst = 0.0
        for t in throttles.values():
            if now - t.last_failure > self.policy.forget_after:
                continue
            if t.blocked_until is not None and t.blocked_until > now:
                raise Throttled()
            worst = max(worst, self.policy.delay(t.failures))
        return worst

    async def login(self, address: str, password: str, *, ip: str | None = None) -> Account:
        """The account for these credentials, or AuthenticationFailed / Throttled.

        Sleeps the throttle delay first, so every front end slows guessing alike. One
        read transaction looks up the throttles and the account; a success writes only
        when there is a failure count to clear.
        """
        try:
            canonical: str | None = canonical_address(address)
        except Invalid:
            canonical = None
        async with self.db.read() as conn:
            throttles = await self._throttles(conn, ip, address)
            account = None if canonical is None else await directory.find_account(conn, canonical)
        await asyncio.sleep(self._delay(throttles))
        if account is None:
            ok = await self.passwords.verify_dummy(password)
        else:
            ok = await self.passwords.verify(account.password_hash, password)
        if not ok or account is None or account.status is not AccountStatus.ACTIVE:
            await self._record_failure(ip, address)
            raise AuthenticationFailed()
        key = f"acct:{account.address}"
        if key in throttles:
            async with self.db.write() as conn:
                await directory.clear_throttle(conn, key)
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

    async def purge_throttles(self, now: datetime | None = None) -> int:
        """Forget failures older than the policy remembers them (and ended blocks)."""
        before = (now or datetime.now(UTC)) - max(self.policy.forget_after,
                                                  self.policy.block_for)
        async with self.db.write() as conn:
            return await directory.purge_throttles(conn, before)

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
