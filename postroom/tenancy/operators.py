"""Operator logins: the service desk's own realm, separate from the accounts.

The first start of an empty data dir creates one operator with a random password and
prints it once (``ensure_first``); operators never have access to message content.
"""

from __future__ import annotations

from postroom.errors import Invalid
from postroom.store import directory
from postroom.store.db import Database
from postroom.store.records import Operator
from postroom.tenancy.passwords import Passwords, check_password_rules, generate_password


class Operators:
    def __init__(self, db: Database, passwords: Passwords) -> None:
        self.db = db
        self.passwords = passwords

    async def add(self, login: str, password: str) -> Operator:
        login = login.strip().lower()
        if not login or len(login) > 200:
            raise Invalid("an operator login must be 1 to 200 characters")
        reason = check_password_rules(password)
        if reason:
            raise Invalid(reason)
        password_hash = await self.passwords.hash(password)
        async with self.db.write() as conn:
            return await directory.create_operator(conn, login, password_hash)

    async def ensure_first(self, login: str = "operator") -> str | None:
        """Create the first operator if there is none; returns its password once."""
        async with self.db.read() as conn:
            if await directory.count_operators(conn):
                return None
        password = generate_password()
        await self.add(login, password)
        return password
