"""Web mail sessions: server-side rows behind an opaque cookie.

Purpose: the web mail signs a user in once (through ``tenancy.auth``) and then knows the
account from a random token in a cookie. The session, its CSRF token and its expiry live
here; the cookie carries nothing else.

Invariants:
- The cookie token is 32 random bytes; the table keeps only its SHA-256, so a copy of the
  database gives no one a session.
- A session is valid while ``now < expires_at`` and ``now - last_seen < idle``; an
  expired or idle session is deleted when it is presented, never revived.
- ``last_seen`` is written at most once a minute per session, so reading mail does not
  turn every request into a write.
- Each session has its own CSRF token, made with it and never changed: a new sign-in
  (rotation) gives a new session, a new token and a new cookie.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, select, update

from postroom.store import schema as s
from postroom.store.db import Database

#: A session ends this long after sign-in, whatever happens.
MAX_LIFETIME = timedelta(days=7)
#: ... or after this long without a request.
IDLE_TIMEOUT = timedelta(hours=12)
_TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class WebSession:
    """A signed-in browser: whose it is and its CSRF token (never the cookie token)."""

    id: str
    account_id: int
    csrf_token: str
    created_at: datetime
    last_seen: datetime
    expires_at: datetime


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


class WebSessions:
    """Create, find, and end web sessions."""

    def __init__(self, db: Database, *, lifetime: timedelta = MAX_LIFETIME,
                 idle: timedelta = IDLE_TIMEOUT) -> None:
        self.db = db
        self.lifetime = lifetime
        self.idle = idle

    async def create(self, account_id: int) -> tuple[str, WebSession]:
        """A new session: returns the cookie token (shown once) and the session."""
        token = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        session = WebSession(token_digest(token), account_id, secrets.token_urlsafe(32),
                             now, now, now + self.lifetime)
        async with self.db.write() as conn:
            await conn.execute(insert(s.web_session).values(
                id=session.id, account_id=account_id, csrf_token=session.csrf_token,
                created_at=now, last_seen=now, expires_at=session.expires_at))
        return token, session

    async def find(self, token: str | None) -> WebSession | None:
        """The live session for a cookie token, or None (expired ones are removed)."""
        if not token or len(token) > 200:
            return None
        digest = token_digest(token)
        async with self.db.read() as conn:
            row = (await conn.execute(
                select(s.web_session).where(s.web_session.c.id == digest))).first()
        if row is None:
            return None
        m = row._mapping
        session = WebSession(m["id"], m["account_id"], m["csrf_token"], m["created_at"],
                             m["last_seen"], m["expires_at"])
        now = datetime.now(UTC)
        if now >= session.expires_at or now - session.last_seen >= self.idle:
            await self.delete(token)
            return None
        if now - session.last_seen >= _TOUCH_EVERY:
            async with self.db.write() as conn:
                await conn.execute(update(s.web_session)
                                   .where(s.web_session.c.id == digest).values(last_seen=now))
        return session

    async def delete(self, token: str) -> None:
        async with self.db.write() as conn:
            await conn.execute(delete(s.web_session)
                               .where(s.web_session.c.id == token_digest(token)))

    async def delete_for_account(self, account_id: int, *, keep: str | None = None) -> int:
        """End the account's sessions (password change, suspension), except ``keep``'s id."""
        c = s.web_session.c
        q = delete(s.web_session).where(c.account_id == account_id)
        if keep is not None:
            q = q.where(c.id != keep)
        async with self.db.write() as conn:
            return (await conn.execute(q)).rowcount or 0

    async def purge_expired(self, now: datetime | None = None) -> int:
        """Delete sessions past their end (for the scheduler's daily run)."""
        now = now or datetime.now(UTC)
        c = s.web_session.c
        async with self.db.write() as conn:
            result = await conn.execute(delete(s.web_session).where(
                (c.expires_at <= now) | (c.last_seen <= now - self.idle)))
            return result.rowcount or 0
