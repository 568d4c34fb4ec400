"""Message lists: pages in a stable order, sorting, search criteria, scoping."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from postroom.app import Services
from postroom.errors import NotFound
from postroom.store.listing import Criteria, Listing, SortKey
from postroom.store.records import Target
from tests.factories import make_account, make_message, make_org


async def _setup(services: Services, count: int) -> tuple[int, int]:
    await make_org(services)
    ann = await make_account(services)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    for i in range(count):
        raw = make_message(f"m{i:02d}", body=f"word{i} common\n",
                           sender=f"P{i % 3} <p{i % 3}@example.net>",
                           attachment=b"z" if i == 4 else None)
        # Two messages per hour: equal dates are ordered by UID.
        await services.mail.deliver(raw, [Target(ann.id)],
                                    internal_date=start + timedelta(hours=i // 2))
    return ann.id, (await services.mail.get_folder(ann.id, "INBOX")).id


async def test_pages_cover_the_folder_once_in_order(services: Services) -> None:
    ann, inbox = await _setup(services, 11)
    listing = Listing(services.db)
    seen = []
    for offset in range(0, 11, 4):
        page = await listing.folder_page(ann, inbox, offset=offset, limit=4)
        assert page.total == 11
        seen += [i.subject for i in page.items]
    assert seen == [f"m{i:02d}" for i in range(10, -1, -1)]
    ascending = await listing.folder_page(ann, inbox, descending=False, limit=3)
    assert [i.subject for i in ascending.items] == ["m00", "m01", "m02"]
    by_sender = await listing.folder_page(ann, inbox, sort=SortKey.SENDER, descending=False)
    assert by_sender.items[0].from_text.startswith("P0")


async def test_search_criteria_combine(services: Services) -> None:
    ann, inbox = await _setup(services, 9)
    listing = Listing(services.db)
    page = await listing.search(ann, [inbox], Criteria(text="common", sender="p1@"))
    assert sorted(i.subject for i in page.items) == ["m01", "m04", "m07"]
    assert (await listing.search(ann, [inbox], Criteria(has_attachment=True))).total == 1
    day = await listing.search(ann, [inbox], Criteria(date_from=date(2026, 3, 1),
                                                      date_to=date(2026, 3, 1)))
    assert day.total == 9
    none = await listing.search(ann, [inbox], Criteria(text="word5", subject="m06"))
    assert none.total == 0
    like = await listing.search(ann, [inbox], Criteria(subject="%"))
    assert like.total == 0  # LIKE characters in user text are literal


async def test_other_accounts_folders_are_not_found(services: Services) -> None:
    ann, inbox = await _setup(services, 1)
    bob = await make_account(services, "bob@example.org")
    listing = Listing(services.db)
    with pytest.raises(NotFound):
        await listing.folder_page(bob.id, inbox)
    with pytest.raises(NotFound):
        await listing.search(bob.id, [inbox], Criteria(text="common"))
    assert await listing.neighbours(ann, inbox, 1) == (None, None)
