"""User data: settings, contacts, filters, image senders and vacation replies, per account."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from postroom.app import Services
from postroom.store.userdata import (
    FilterAction,
    FilterField,
    NewContact,
    PersonalSettings,
    SettingName,
    UserData,
    Vacation,
)
from tests.factories import make_account, make_org


async def personal(data: UserData, account_id: int, day: date | None = None) -> PersonalSettings:
    """What delivery reads for one account (``UserData.delivery_settings``)."""
    return (await data.delivery_settings([account_id], day))[account_id]


async def test_settings_and_vacation_round_trip(services: Services) -> None:
    await make_org(services)
    ann = await make_account(services)
    data = UserData(services.db)
    assert await data.signature(ann.id) == ""
    await data.set_setting(ann.id, SettingName.SIGNATURE, "Ann")
    await data.set_setting(ann.id, SettingName.SIGNATURE, "Ann E.")
    assert await data.signature(ann.id) == "Ann E."
    vacation = Vacation(True, date(2026, 7, 1), date(2026, 7, 3), "Away", "Back soon")
    await data.set_setting(ann.id, SettingName.VACATION, vacation.to_json())
    assert await data.vacation(ann.id) == vacation
    assert (await personal(data, ann.id, date(2026, 7, 3))).vacation == vacation
    assert (await personal(data, ann.id, date(2026, 6, 30))).vacation is None


async def test_vacation_reply_once_per_sender_per_week(services: Services) -> None:
    await make_org(services)
    ann = await make_account(services)
    data = UserData(services.db)
    now = datetime(2026, 7, 1, tzinfo=UTC)
    assert await data.record_vacation_reply(ann.id, "Bob@Example.net", now)
    assert not await data.record_vacation_reply(ann.id, "bob@example.net", now + timedelta(days=6))
    assert await data.record_vacation_reply(ann.id, "bob@example.net", now + timedelta(days=8))
    assert await data.record_vacation_reply(ann.id, "carl@example.net", now)


async def test_contacts_are_upserted_by_address_and_scoped(services: Services) -> None:
    await make_org(services)
    ann = await make_account(services)
    bob = await make_account(services, "bob@example.org")
    data = UserData(services.db)
    assert await data.save_contacts(ann.id, [NewContact("Carol", "Carol@Example.net"),
                                             NewContact("", "")]) == 1
    await data.save_contacts(ann.id, [NewContact("Carol Jones", "carol@example.net")])
    assert [(c.name, c.email) for c in await data.contacts(ann.id)] == [
        ("Carol Jones", "carol@example.net")]
    assert await data.contacts(bob.id) == []
    assert [c.email for c in await data.contacts(ann.id, "jon")] == ["carol@example.net"]
    assert await data.contacts(ann.id, "100%_") == []


async def test_filters_keep_their_order(services: Services) -> None:
    await make_org(services)
    ann = await make_account(services)
    data = UserData(services.db)
    first = await data.add_filter(ann.id, FilterField.FROM, "a", FilterAction.MOVE, "Archive")
    await data.add_filter(ann.id, FilterField.SUBJECT, "b", FilterAction.MARK_READ)
    await data.set_filter_enabled(ann.id, first.id, False)
    assert [f.contains for f in await data.filters(ann.id)] == ["a", "b"]
    assert [f.contains for f in list((await personal(data, ann.id)).filters)] == ["b"]


async def test_image_senders(services: Services) -> None:
    await make_org(services)
    ann = await make_account(services)
    data = UserData(services.db)
    await data.allow_images(ann.id, "News@Example.net")
    await data.allow_images(ann.id, "news@example.net")
    assert await data.images_allowed(ann.id, "NEWS@example.net")
    assert await data.image_senders(ann.id) == ["news@example.net"]
    await data.forbid_images(ann.id, "news@example.net")
    assert not await data.images_allowed(ann.id, "news@example.net")
