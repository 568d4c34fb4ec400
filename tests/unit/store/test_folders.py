"""Folders: defaults, creation with parents, rename with children, INBOX rules, delete."""

from __future__ import annotations

import pytest

from postroom.app import Services
from postroom.errors import AlreadyExists, Invalid, NotFound, NotPermitted
from postroom.store.records import SpecialUse
from tests.factories import make_account, make_message, make_org


@pytest.fixture
async def account_id(services: Services) -> int:
    await make_org(services)
    return (await make_account(services)).id


async def names(services: Services, account_id: int) -> list[str]:
    return [f.name for f in await services.mail.list_folders(account_id)]


async def test_new_account_has_the_default_folders(services: Services, account_id: int) -> None:
    folders = {f.name: f.special_use for f in await services.mail.list_folders(account_id)}
    assert folders == {
        "INBOX": SpecialUse.INBOX, "Sent": SpecialUse.SENT, "Drafts": SpecialUse.DRAFTS,
        "Trash": SpecialUse.TRASH, "Junk": SpecialUse.JUNK, "Archive": SpecialUse.ARCHIVE,
    }
    assert (await services.mail.special_folder(account_id, SpecialUse.SENT)).name == "Sent"


async def test_create_makes_missing_parents(services: Services, account_id: int) -> None:
    await services.mail.create_folder(account_id, "Projects/2026/Grants")
    assert {"Projects", "Projects/2026", "Projects/2026/Grants"} <= set(
        await names(services, account_id))
    with pytest.raises(AlreadyExists):
        await services.mail.create_folder(account_id, "Projects/2026")


async def test_non_ascii_names(services: Services, account_id: int) -> None:
    await services.mail.create_folder(account_id, "Entwürfe/Übersicht")
    assert "Entwürfe/Übersicht" in await names(services, account_id)


@pytest.mark.parametrize("bad", ["", "a//b", "/a", "a/", "tab\there", "star*", "per%cent"])
async def test_bad_names_are_refused(services: Services, account_id: int, bad: str) -> None:
    with pytest.raises(Invalid):
        await services.mail.create_folder(account_id, bad)


async def test_inbox_is_case_insensitive(services: Services, account_id: int) -> None:
    assert (await services.mail.get_folder(account_id, "inbox")).name == "INBOX"
    with pytest.raises(AlreadyExists):
        await services.mail.create_folder(account_id, "Inbox")


async def test_rename_moves_children_and_keeps_uidvalidity(services: Services,
                                                           account_id: int) -> None:
    await services.mail.create_folder(account_id, "A/B/C")
    before = await services.mail.get_folder(account_id, "A/B")
    await services.mail.rename_folder(account_id, "A", "Z/A2")
    current = await names(services, account_id)
    assert {"Z", "Z/A2", "Z/A2/B", "Z/A2/B/C"} <= set(current)
    assert not any(n == "A" or n.startswith("A/") for n in current)
    after = await services.mail.get_folder(account_id, "Z/A2/B")
    assert after.uidvalidity == before.uidvalidity


async def test_rename_refuses_existing_target_and_self_nesting(services: Services,
                                                               account_id: int) -> None:
    await services.mail.create_folder(account_id, "A")
    with pytest.raises(AlreadyExists):
        await services.mail.rename_folder(account_id, "A", "Sent")
    with pytest.raises(Invalid):
        await services.mail.rename_folder(account_id, "A", "A/inner")
    with pytest.raises(NotFound):
        await services.mail.rename_folder(account_id, "Missing", "Other")


async def test_rename_inbox_moves_messages_and_leaves_inbox_empty(services: Services,
                                                                  account_id: int) -> None:
    await services.mail.append(account_id, "INBOX", make_message("one"), ["\\Seen"])
    await services.mail.append(account_id, "INBOX", make_message("two"))
    await services.mail.rename_folder(account_id, "INBOX", "Old mail")
    inbox = await services.mail.get_folder(account_id, "INBOX")
    old = await services.mail.get_folder(account_id, "Old mail")
    assert await services.mail.messages(account_id, inbox.id) == []
    moved = await services.mail.messages(account_id, old.id)
    assert [m.uid for m in moved] == [1, 2]
    assert "\\Seen" in moved[0].flags
    account = await services.tenancy.accounts.get_by_id(account_id)
    assert account.usage == sum(m.size for m in moved)


async def test_delete_folder_frees_quota_and_refuses_inbox_and_parents(
        services: Services, account_id: int) -> None:
    await services.mail.create_folder(account_id, "Old/Sub")
    sub = await services.mail.get_folder(account_id, "Old/Sub")
    await services.mail.append(account_id, "Old/Sub", make_message("x"))
    with pytest.raises(NotPermitted):
        await services.mail.delete_folder(account_id, "INBOX")
    with pytest.raises(NotPermitted):
        await services.mail.delete_folder(account_id, "Old")
    await services.mail.delete_folder(account_id, "Old/Sub")
    await services.mail.delete_folder(account_id, "Old")
    assert "Old/Sub" not in await names(services, account_id)
    assert (await services.tenancy.accounts.get_by_id(account_id)).usage == 0
    # A re-created folder of the same name gets a new UIDVALIDITY.
    again = await services.mail.create_folder(account_id, "Old/Sub")
    assert again.uidvalidity != sub.uidvalidity


async def test_subscribe(services: Services, account_id: int) -> None:
    await services.mail.create_folder(account_id, "News")
    await services.mail.subscribe(account_id, "News", False)
    assert not (await services.mail.get_folder(account_id, "News")).subscribed
    await services.mail.subscribe(account_id, "News", True)
    assert (await services.mail.get_folder(account_id, "News")).subscribed


async def test_special_use_is_unique_per_account(services: Services, account_id: int) -> None:
    await services.mail.create_folder(account_id, "Sent Items")
    await services.mail.set_special_use(account_id, "Sent Items", SpecialUse.SENT)
    assert (await services.mail.special_folder(account_id, SpecialUse.SENT)).name == "Sent Items"
    assert (await services.mail.get_folder(account_id, "Sent")).special_use is None


async def test_accounts_cannot_see_each_others_folders(services: Services,
                                                       account_id: int) -> None:
    other = await make_account(services, "bea@example.org")
    inbox = await services.mail.get_folder(account_id, "INBOX")
    with pytest.raises(NotFound):
        await services.mail.messages(other.id, inbox.id)
