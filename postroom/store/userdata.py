"""Per-user data the web mail keeps besides mail: settings, address book, filters.

Purpose: one place for what a user sets up (signature, vacation reply, forwarding, mail
filters, senders whose remote images may load, contacts) so that the web mail writes it
and the delivery path reads it (``delivery_settings``, ``record_vacation_reply``). The
rules about what may be set (an organisation that does not allow forwarding, valid
addresses) live in ``postroom.tenancy.preferences``.

Invariants:
- Every function takes the ``account_id`` it acts for and every query is filtered by it:
  one account never reads or changes another's rows through this API.
- Settings are JSON values under fixed names (``SettingName``); an unknown or broken
  value reads as the default, never as an error.
- Contact e-mail addresses are stored lowercased and are unique per account; importing
  a contact that exists updates it.
- Vacation replies are recorded per (account, sender); ``record_vacation_reply`` is the
  one test-and-set, so two deliveries cannot both decide to reply (RFC 3834 2).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from postroom.errors import LimitExceeded, NotFound
from postroom.store import schema as s
from postroom.store.db import Database

MAX_CONTACTS = 10_000
MAX_FILTERS = 100
#: RFC 3834 4.1 suggests no more than one reply per sender per few days; Postroom uses 7.
VACATION_INTERVAL = timedelta(days=7)


class SettingName(StrEnum):
    SIGNATURE = "signature"
    VACATION = "vacation"
    FORWARDING = "forwarding"
    COMPOSE_FORMAT = "compose_format"
    PAGE_SIZE = "page_size"
    #: The web mail lists folders as conversations (JSON true/false; missing = true).
    CONVERSATIONS = "conversations"


class FilterField(StrEnum):
    FROM = "from"
    TO = "to"
    SUBJECT = "subject"


class FilterAction(StrEnum):
    MOVE = "move"
    MARK_READ = "mark_read"
    FORWARD = "forward"
    DELETE = "delete"


@dataclass(frozen=True)
class Vacation:
    """An auto-reply: active when ``enabled`` and today is within [start, end]."""

    enabled: bool = False
    start: date | None = None
    end: date | None = None
    subject: str = ""
    body: str = ""

    def active_on(self, day: date) -> bool:
        if not self.enabled:
            return False
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["start"] = self.start.isoformat() if self.start else None
        data["end"] = self.end.isoformat() if self.end else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Vacation:
        def day(value: Any) -> date | None:
            try:
                return date.fromisoformat(value) if value else None
            except (TypeError, ValueError):
                return None

        return cls(bool(data.get("enabled")), day(data.get("start")), day(data.get("end")),
                   str(data.get("subject") or ""), str(data.get("body") or ""))


@dataclass(frozen=True)
class Forwarding:
    """Forward every message to ``address``; keep a copy in INBOX when ``keep_copy``."""

    address: str = ""
    keep_copy: bool = True

    @property
    def enabled(self) -> bool:
        return bool(self.address)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Forwarding:
        return cls(str(data.get("address") or ""), bool(data.get("keep_copy", True)))


@dataclass(frozen=True)
class MailFilter:
    """If ``field`` contains ``contains`` (case-insensitive), do ``action`` (``argument``:
    the folder for MOVE, the address for FORWARD)."""

    id: int
    field: FilterField
    contains: str
    action: FilterAction
    argument: str = ""
    enabled: bool = True
    position: int = 0


@dataclass(frozen=True)
class PersonalSettings:
    """What delivery reads for one account: enabled filters, today's vacation reply
    (None when off or outside its dates) and forwarding (None when off)."""

    filters: tuple[MailFilter, ...] = ()
    vacation: Vacation | None = None
    forwarding: Forwarding | None = None


@dataclass(frozen=True)
class Contact:
    id: int
    name: str
    email: str
    phone: str = ""
    notes: str = ""


@dataclass(frozen=True)
class NewContact:
    name: str
    email: str
    phone: str = ""
    notes: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def _upsert(conn: AsyncConnection, table: Any):  # type: ignore[no-untyped-def]
    return (sqlite.insert if conn.dialect.name == "sqlite" else postgresql.insert)(table)


class UserData:
    """Settings, contacts, filters and remembered senders of each account."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # --- settings -------------------------------------------------------------------

    async def settings(self, account_id: int) -> dict[str, Any]:
        """Every setting of the account as stored JSON (missing names are absent)."""
        c = s.user_setting.c
        async with self.db.read() as conn:
            rows = await conn.execute(select(c.name, c.value).where(c.account_id == account_id))
            out: dict[str, Any] = {}
            for name, value in rows:
                try:
                    out[name] = json.loads(value)
                except ValueError:
                    continue
            return out

    async def setting(self, account_id: int, name: SettingName, default: Any = None) -> Any:
        return (await self.settings(account_id)).get(name.value, default)

    async def set_setting(self, account_id: int, name: SettingName, value: Any) -> None:
        stmt = _upsert_setting(account_id, name, value)
        async with self.db.write() as conn:
            await conn.execute(stmt(conn))

    async def signature(self, account_id: int) -> str:
        value = await self.setting(account_id, SettingName.SIGNATURE, "")
        return value if isinstance(value, str) else ""

    async def vacation(self, account_id: int) -> Vacation:
        value = await self.setting(account_id, SettingName.VACATION, {})
        return Vacation.from_json(value) if isinstance(value, dict) else Vacation()

    async def forwarding(self, account_id: int) -> Forwarding:
        value = await self.setting(account_id, SettingName.FORWARDING, {})
        return Forwarding.from_json(value) if isinstance(value, dict) else Forwarding()

    # --- for the delivery path -------------------------------------------------------

    async def delivery_settings(self, account_ids: list[int], today: date | None = None,
                                ) -> dict[int, PersonalSettings]:
        """Today's vacation, forwarding and enabled filters of each account, in one read.

        The delivery path calls this once per message; an account with nothing set up
        reads as ``PersonalSettings()``.
        """
        today = today or datetime.now(UTC).date()
        out = {i: PersonalSettings() for i in account_ids}
        if not account_ids:
            return out
        sc, fc = s.user_setting.c, s.mail_filter.c
        names = [SettingName.VACATION.value, SettingName.FORWARDING.value]
        async with self.db.read() as conn:
            settings = (await conn.execute(
                select(sc.account_id, sc.name, sc.value)
                .where(sc.account_id.in_(account_ids), sc.name.in_(names)))).all()
            filters = (await conn.execute(
                select(s.mail_filter).where(fc.account_id.in_(account_ids), fc.enabled)
                .order_by(fc.account_id, fc.position, fc.id))).all()
        for account_id, name, value in settings:
            try:
                data = json.loads(value)
            except ValueError:
                continue
            if not isinstance(data, dict):
                continue
            current = out[account_id]
            if name == SettingName.VACATION.value:
                vacation = Vacation.from_json(data)
                if vacation.active_on(today):
                    out[account_id] = replace(current, vacation=vacation)
            else:
                forwarding = Forwarding.from_json(data)
                if forwarding.enabled:
                    out[account_id] = replace(current, forwarding=forwarding)
        for row in filters:
            current = out[row.account_id]
            out[row.account_id] = replace(current, filters=(*current.filters, _filter(row)))
        return out

    async def record_vacation_reply(self, account_id: int, sender: str,
                                    now: datetime | None = None,
                                    interval: timedelta = VACATION_INTERVAL) -> bool:
        """True (and remembered) if ``sender`` got no vacation reply within ``interval``."""
        now = now or datetime.now(UTC)
        sender = sender.strip().lower()[:320]
        c = s.vacation_reply.c
        async with self.db.write() as conn:
            row = (await conn.execute(select(c.sent_at).where(
                c.account_id == account_id, c.sender == sender))).first()
            if row is not None and now - row[0] < interval:
                return False
            stmt = _upsert(conn, s.vacation_reply).values(
                account_id=account_id, sender=sender, sent_at=now)
            await conn.execute(stmt.on_conflict_do_update(
                index_elements=[c.account_id, c.sender], set_={"sent_at": now}))
            return True

    async def forget_vacation_replies(self, account_id: int) -> None:
        """A new vacation period starts afresh: everyone gets one reply again."""
        async with self.db.write() as conn:
            await conn.execute(delete(s.vacation_reply)
                               .where(s.vacation_reply.c.account_id == account_id))

    async def purge_vacation_replies(self, before: datetime) -> int:
        """Forget replies sent before ``before`` (they no longer hold a sender back)."""
        async with self.db.write() as conn:
            result = await conn.execute(delete(s.vacation_reply)
                                        .where(s.vacation_reply.c.sent_at < before))
            return int(result.rowcount or 0)

    # --- filters ----------------------------------------------------------------------

    async def filters(self, account_id: int) -> list[MailFilter]:
        c = s.mail_filter.c
        async with self.db.read() as conn:
            rows = await conn.execute(select(s.mail_filter).where(c.account_id == account_id)
                                      .order_by(c.position, c.id))
            return [_filter(r) for r in rows]

    async def add_filter(self, account_id: int, field_: FilterField, contains: str,
                         action: FilterAction, argument: str = "") -> MailFilter:
        c = s.mail_filter.c
        async with self.db.write() as conn:
            count, last = (await conn.execute(
                select(func.count(), func.coalesce(func.max(c.position), 0))
                .where(c.account_id == account_id))).one()
            if count >= MAX_FILTERS:
                raise LimitExceeded(f"at most {MAX_FILTERS} filters")
            row = (await conn.execute(insert(s.mail_filter).values(
                account_id=account_id, position=int(last) + 1, field=field_.value,
                contains=contains[:500], action=action.value, argument=argument[:1000],
                enabled=True, created_at=datetime.now(UTC)).returning(*s.mail_filter.c))).one()
            return _filter(row)

    async def delete_filter(self, account_id: int, filter_id: int) -> None:
        c = s.mail_filter.c
        async with self.db.write() as conn:
            done = await conn.execute(delete(s.mail_filter).where(
                c.account_id == account_id, c.id == filter_id))
            if not done.rowcount:
                raise NotFound("no such filter")

    async def set_filter_enabled(self, account_id: int, filter_id: int, enabled: bool) -> None:
        c = s.mail_filter.c
        async with self.db.write() as conn:
            done = await conn.execute(update(s.mail_filter).where(
                c.account_id == account_id, c.id == filter_id).values(enabled=enabled))
            if not done.rowcount:
                raise NotFound("no such filter")

    # --- remote images ----------------------------------------------------------------

    async def images_allowed(self, account_id: int, sender: str) -> bool:
        c = s.image_sender.c
        async with self.db.read() as conn:
            row = (await conn.execute(select(c.sender).where(
                c.account_id == account_id, c.sender == sender.strip().lower()))).first()
            return row is not None

    async def allow_images(self, account_id: int, sender: str) -> None:
        sender = sender.strip().lower()[:320]
        if not sender:
            return
        async with self.db.write() as conn:
            stmt = _upsert(conn, s.image_sender).values(account_id=account_id, sender=sender)
            await conn.execute(stmt.on_conflict_do_nothing())

    async def image_senders(self, account_id: int) -> list[str]:
        c = s.image_sender.c
        async with self.db.read() as conn:
            rows = await conn.execute(select(c.sender).where(c.account_id == account_id)
                                      .order_by(c.sender))
            return [r[0] for r in rows]

    async def forbid_images(self, account_id: int, sender: str) -> None:
        c = s.image_sender.c
        async with self.db.write() as conn:
            await conn.execute(delete(s.image_sender).where(
                c.account_id == account_id, c.sender == sender.strip().lower()))

    # --- address book -----------------------------------------------------------------

    async def contacts(self, account_id: int, query: str = "", limit: int = 0) -> list[Contact]:
        """Contacts by name; with ``query``, those whose name or address contains it."""
        c = s.contact.c
        q = select(s.contact).where(c.account_id == account_id)
        if query:
            pattern = "%" + _like_escape(query.lower()) + "%"
            q = q.where(or_(func.lower(c.name).like(pattern, escape="\\"),
                            c.email.like(pattern, escape="\\")))
        q = q.order_by(func.lower(c.name), c.email)
        if limit:
            q = q.limit(limit)
        async with self.db.read() as conn:
            return [_contact(r) for r in await conn.execute(q)]

    async def get_contact(self, account_id: int, contact_id: int) -> Contact:
        c = s.contact.c
        async with self.db.read() as conn:
            row = (await conn.execute(select(s.contact).where(
                c.account_id == account_id, c.id == contact_id))).first()
        if row is None:
            raise NotFound("no such contact")
        return _contact(row)

    async def save_contacts(self, account_id: int, items: list[NewContact]) -> int:
        """Add or update (by address) contacts; returns how many were saved."""
        c = s.contact.c
        now = datetime.now(UTC)
        async with self.db.write() as conn:
            count = (await conn.execute(select(func.count()).where(
                c.account_id == account_id))).scalar() or 0
            saved = 0
            for item in items:
                email = item.email.strip().lower()[:320]
                if not email:
                    continue
                values = {"name": item.name.strip()[:200], "phone": item.phone.strip()[:100],
                          "notes": item.notes[:5000]}
                done = await conn.execute(update(s.contact).where(
                    and_(c.account_id == account_id, c.email == email)).values(**values))
                if not done.rowcount:
                    if count >= MAX_CONTACTS:
                        break
                    await conn.execute(insert(s.contact).values(
                        account_id=account_id, email=email, created_at=now, **values))
                    count += 1
                saved += 1
            return saved

    async def update_contact(self, account_id: int, contact_id: int, item: NewContact) -> None:
        c = s.contact.c
        async with self.db.write() as conn:
            done = await conn.execute(update(s.contact).where(
                c.account_id == account_id, c.id == contact_id).values(
                name=item.name.strip()[:200], email=item.email.strip().lower()[:320],
                phone=item.phone.strip()[:100], notes=item.notes[:5000]))
            if not done.rowcount:
                raise NotFound("no such contact")

    async def delete_contact(self, account_id: int, contact_id: int) -> None:
        c = s.contact.c
        async with self.db.write() as conn:
            done = await conn.execute(delete(s.contact).where(
                c.account_id == account_id, c.id == contact_id))
            if not done.rowcount:
                raise NotFound("no such contact")


def _upsert_setting(account_id: int, name: SettingName, value: Any):  # type: ignore[no-untyped-def]
    text = json.dumps(value)

    def build(conn: AsyncConnection):  # type: ignore[no-untyped-def]
        stmt = _upsert(conn, s.user_setting).values(account_id=account_id, name=name.value,
                                                    value=text)
        return stmt.on_conflict_do_update(
            index_elements=[s.user_setting.c.account_id, s.user_setting.c.name],
            set_={"value": text})

    return build


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filter(row: Any) -> MailFilter:
    m = row._mapping
    try:
        field_, action = FilterField(m["field"]), FilterAction(m["action"])
    except ValueError:
        field_, action = FilterField.SUBJECT, FilterAction.MARK_READ
    return MailFilter(m["id"], field_, m["contains"], action, m["argument"], m["enabled"],
                      m["position"])


def _contact(row: Any) -> Contact:
    m = row._mapping
    return Contact(m["id"], m["name"], m["email"], m["phone"], m["notes"])
