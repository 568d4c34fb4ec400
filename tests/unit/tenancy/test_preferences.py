"""Preferences: forwarding only where allowed, checked filters, and how filters apply."""

from __future__ import annotations

import pytest

from postroom.app import Services
from postroom.errors import Invalid, NotPermitted
from postroom.store import directory
from postroom.store.userdata import FilterAction, FilterField, MailFilter, UserData
from postroom.tenancy.preferences import Preferences, evaluate_filters
from tests.factories import make_account, make_org


def test_filters_apply_in_order() -> None:
    filters = [
        MailFilter(1, FilterField.FROM, "news", FilterAction.MOVE, "News"),
        MailFilter(2, FilterField.SUBJECT, "weekly", FilterAction.MARK_READ),
        MailFilter(3, FilterField.TO, "team@", FilterAction.MOVE, "Team"),
        MailFilter(4, FilterField.SUBJECT, "SPAM", FilterAction.DELETE, enabled=False),
    ]
    outcome = evaluate_filters(filters, sender="News <news@example.net>",
                               recipients="team@example.org", subject="Weekly spam")
    assert outcome.folder == "News" and outcome.mark_read and not outcome.discard
    deleting = [MailFilter(5, FilterField.SUBJECT, "spam", FilterAction.DELETE), *filters]
    assert evaluate_filters(deleting, sender="", recipients="", subject="SPAM!").discard


async def test_forwarding_follows_the_organisation(services: Services) -> None:
    org = await make_org(services)
    ann = await make_account(services)
    data = UserData(services.db)
    prefs = Preferences(data, services.tenancy.organisations)
    with pytest.raises(Invalid):
        await prefs.set_forwarding(ann, "ann@example.org", True)
    await prefs.set_forwarding(ann, "Ann@Home.Example", False)
    await prefs.add_filter(ann, "from", "boss", "forward", "me@home.example")
    rules = await prefs.delivery_rules(ann)
    assert rules.forwarding is not None and rules.forwarding.address == "ann@home.example"
    assert [f.argument for f in rules.filters] == ["me@home.example"]
    async with services.db.write() as conn:
        await directory.update_organisation(conn, org.id, allow_forwarding=False)
    rules = await prefs.delivery_rules(ann)
    assert rules.forwarding is None and rules.filters == ()
    with pytest.raises(NotPermitted):
        await prefs.set_forwarding(ann, "x@example.net", True)
    with pytest.raises(NotPermitted):
        await prefs.add_filter(ann, "from", "boss", "forward", "x@example.net")


async def test_filters_are_checked(services: Services) -> None:
    await make_org(services)
    ann = await make_account(services)
    prefs = Preferences(UserData(services.db), services.tenancy.organisations)
    with pytest.raises(Invalid):
        await prefs.add_filter(ann, "body", "x", "move", "Archive")
    with pytest.raises(Invalid):
        await prefs.add_filter(ann, "from", "  ", "delete")
    with pytest.raises(Invalid):
        await prefs.add_filter(ann, "from", "x", "move", "")
    made = await prefs.add_filter(ann, "subject", "x", "delete", "ignored")
    assert made.argument == ""
