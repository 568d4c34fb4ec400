"""Password hashing: argon2id, off the event loop.

The parameters are settings (``argon2_time_cost``, ``argon2_memory_kib``); the defaults
(2 iterations, 19 MiB: the OWASP minimum for argon2id) verify in about 30 ms on the
reference machine. Hashing and verifying run in a worker thread so a login never stalls
the other sessions of the event loop.

Invariant: an unknown user costs the same verification as a known one (``verify_dummy``),
so timing does not tell whether an address exists.
"""

from __future__ import annotations

import asyncio
import secrets

from argon2 import PasswordHasher as _Argon2
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024


class Passwords:
    """argon2id hashing with one set of parameters."""

    def __init__(self, time_cost: int = 2, memory_kib: int = 19 * 1024) -> None:
        self._hasher = _Argon2(time_cost=time_cost, memory_cost=memory_kib, parallelism=1,
                               type=Type.ID)
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, stored_hash: str, password: str) -> bool:
        return await asyncio.to_thread(self._verify, stored_hash, password)

    async def verify_dummy(self, password: str) -> bool:
        """Spend the time of a real verification, then fail."""
        await asyncio.to_thread(self._verify, self._dummy, password)
        return False

    def needs_rehash(self, stored_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(stored_hash)
        except InvalidHashError:
            return True

    def _verify(self, stored_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def check_password_rules(password: str) -> str | None:
    """A user-facing reason why ``password`` is unacceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"passwords must have at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return "that password is too long"
    if any(c in password for c in "\r\n\x00"):
        return "passwords cannot contain line breaks or NUL"
    return None


def generate_password() -> str:
    """A random password for first logins and resets (about 120 bits)."""
    return secrets.token_urlsafe(15)
