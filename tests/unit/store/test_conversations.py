"""Conversations: the id each stored message gets (In-Reply-To/References and the same
subject), kept by copy and move, the per-folder conversation list with its counts, the
conversation across folders, scoping to the account, and the migration's backfill."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import select

from postroom.app import Services
from postroom.errors import NotFound
from postroom.mail.conversations import conversation_subject, message_id_key, parent_ids
from postroom.store import schema as s
from postroom.store.listing import Listing, _participants
from postroom.store.records import Account, SpecialUse, Target
from tests.factories import make_account, make_org

START = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


def mail(message_id: str, subject: str, *, in_reply_to: str = "", references: str = "",
         sender: str = "Bob <bob@example.net>", body: str = "text\n") -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "ann@example.org"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{message_id}@example.net>"
    if in_reply_to:
        msg["In-Reply-To"] = f"<{in_reply_to}@example.net>"
    if references:
        msg["References"] = " ".join(f"<{r}@example.net>" for r in references.split())
    msg.set_content(body + message_id + "\n")
    return msg.as_bytes()


async def store(services: Services, account: Account, raw: bytes, minutes: int = 0,
                folder: str = "INBOX", flags: frozenset[str] = frozenset()) -> int:
    """Deliver ``raw`` to ``folder``; returns its conversation id."""
    outcome = (await services.mail.deliver(raw, [Target(account.id, folder, flags)],
                                           internal_date=START + timedelta(minutes=minutes)))[0]
    assert outcome.result is not None, outcome.error
    info = await services.mail.get_folder(account.id, folder)
    row = (await services.mail.messages(account.id, info.id, [outcome.result.uid]))[0]
    return row.conversation_id


async def _ann(services: Services) -> Account:
    await make_org(services)
    return await make_account(services)


def test_subject_and_reference_helpers() -> None:
    assert conversation_subject("AW: Re: [team] Budget") == "budget"
    assert conversation_subject("SV: Antw: Re[2]: Budget (fwd)") == "budget"
    assert conversation_subject("Re:") == "re:"  # nothing left: the subject stays
    assert parent_ids("<b>", ["<a>", "<b>", "<c>"]) == ("<b>", "<c>", "<a>")
    assert message_id_key("<a@x>") == message_id_key("<a@x>") != message_id_key("<b@x>")
    assert message_id_key("") is None
    # Senders' names from the stored From texts: once per address, first mailbox only.
    assert _participants(["Doe, Jo <j@x.org>", "a@x.org, Bob <b@x.org>", "JO <J@X.ORG>"]) \
        == ("Doe, Jo", "a@x.org")


async def test_a_reply_joins_its_parents_conversation(services: Services) -> None:
    ann = await _ann(services)
    first = await store(services, ann, mail("m1", "Budget"))
    by_in_reply_to = await store(services, ann, mail("m2", "Re: Budget", in_reply_to="m1"), 1)
    by_references = await store(services, ann,
                                mail("m3", "AW: Re: Budget", references="m1 m2"), 2)
    unrelated = await store(services, ann, mail("m4", "Lunch"), 3)
    assert first == by_in_reply_to == by_references
    assert unrelated != first


async def test_a_reply_with_another_subject_starts_a_conversation(services: Services) -> None:
    ann = await _ann(services)
    first = await store(services, ann, mail("m1", "Budget"))
    hijack = await store(services, ann, mail("m2", "Something else", in_reply_to="m1"), 1)
    assert hijack != first
    # Its own replies follow it, not the first one.
    assert await store(services, ann, mail("m3", "Re: Something else", in_reply_to="m2"),
                       2) == hijack


async def test_the_nearest_ancestor_wins_and_unknown_ones_are_skipped(
        services: Services) -> None:
    ann = await _ann(services)
    a = await store(services, ann, mail("a", "Plan"))
    b = await store(services, ann, mail("b", "Plan v2"))  # another conversation
    # References names both (and one never stored); only b has the same subject.
    assert await store(services, ann, mail("c", "Re: Plan v2",
                                           references="a missing b"), 1) == b != a


async def test_copy_and_move_keep_the_conversation(services: Services) -> None:
    ann = await _ann(services)
    conv = await store(services, ann, mail("m1", "Trip"))
    await store(services, ann, mail("m2", "Re: Trip", in_reply_to="m1"), 1)
    inbox = await services.mail.get_folder(ann.id, "INBOX")
    await services.mail.copy(ann.id, inbox.id, [1], "Archive")
    await services.mail.move(ann.id, inbox.id, [2], "Trash")
    for name in ("Archive", "Trash"):
        folder = await services.mail.get_folder(ann.id, name)
        assert [r.conversation_id for r in await services.mail.messages(ann.id, folder.id)] \
            == [conv]
    # A later reply to the moved message still finds the conversation.
    assert await store(services, ann, mail("m3", "Re: Trip", in_reply_to="m2"), 2) == conv


async def test_conversation_page_counts_and_orders(services: Services) -> None:
    ann = await _ann(services)
    seen = frozenset({"\\Seen"})
    trip = await store(services, ann, mail("t1", "Trip", sender="Ann <ann@example.org>"), 0,
                       flags=seen)
    await store(services, ann, mail("t2", "Re: Trip", in_reply_to="t1"), 5)
    await store(services, ann, mail("t3", "Re: Trip", in_reply_to="t2",
                                    sender="Cy <cy@example.net>"), 9, flags=seen)
    lunch = await store(services, ann, mail("l1", "Lunch"), 7,
                        flags=frozenset({"\\Seen", "\\Flagged"}))
    solo = await store(services, ann, mail("s1", "Solo"), 1, flags=seen)
    inbox = await services.mail.get_folder(ann.id, "INBOX")
    listing = Listing(services.db)
    page = await listing.conversation_page(ann.id, inbox.id, limit=2)
    assert page.total == 3
    assert [i.conversation_id for i in page.items] == [trip, lunch]  # newest message first
    first = page.items[0]
    assert (first.count, first.unread, first.flagged) == (3, 1, False)
    assert first.latest.subject == "Re: Trip"
    assert first.participants == ("Ann", "Bob", "Cy")
    assert page.items[1].flagged and page.items[1].seen
    rest = await listing.conversation_page(ann.id, inbox.id, offset=2, limit=2)
    assert [i.conversation_id for i in rest.items] == [solo]
    oldest_first = await listing.conversation_page(ann.id, inbox.id, descending=False)
    assert [i.conversation_id for i in oldest_first.items] == [solo, lunch, trip]
    assert sorted(await listing.conversation_uids(ann.id, inbox.id, [trip, solo])) == [1, 2,
                                                                                      3, 5]
    lunch_latest = page.items[1].latest
    assert await listing.conversation_neighbours(ann.id, inbox.id, lunch_latest) == (trip, solo)


async def test_conversation_spans_folders_but_not_trash_or_junk(services: Services) -> None:
    ann = await _ann(services)
    conv = await store(services, ann, mail("m1", "Party"))
    await store(services, ann, mail("m2", "Re: Party", in_reply_to="m1",
                                    sender="Ann <ann@example.org>"), 1, folder="Sent")
    await store(services, ann, mail("m3", "Re: Party", in_reply_to="m2"), 2, folder="Junk")
    await store(services, ann, mail("m4", "Re: Party", in_reply_to="m2"), 3, folder="Trash")
    inbox = await services.mail.get_folder(ann.id, "INBOX")
    await services.mail.copy(ann.id, inbox.id, [1], "Archive")  # the same message twice
    listing = Listing(services.db)
    shown = await listing.conversation(ann.id, conv, inbox.id)
    assert [i.subject for i in shown] == ["Party", "Re: Party"]
    assert shown[0].folder_id == inbox.id  # the copy in the folder asked about
    trash = await services.mail.special_folder(ann.id, SpecialUse.TRASH)
    from_trash = await listing.conversation(ann.id, conv, trash.id)
    assert len(from_trash) == 3  # opened from Trash: Trash's message is shown too


async def test_conversations_are_per_account(services: Services) -> None:
    ann = await _ann(services)
    bob = await make_account(services, "bob@example.org")
    ann_conv = await store(services, ann, mail("m1", "Shared"))
    # Bob receives a reply to a message only Ann has: it starts his own conversation.
    bob_conv = await store(services, bob, mail("m2", "Re: Shared", in_reply_to="m1"))
    bob_inbox = await services.mail.get_folder(bob.id, "INBOX")
    rows = await services.mail.messages(bob.id, bob_inbox.id)
    assert bob_conv == rows[0].blob_id != ann_conv
    listing = Listing(services.db)
    ann_inbox = await services.mail.get_folder(ann.id, "INBOX")
    # Bob naming Ann's conversation (or folder) reaches nothing of hers.
    assert await listing.conversation(bob.id, ann_conv, bob_inbox.id) == []
    for call in (listing.conversation_uids(bob.id, ann_inbox.id, [ann_conv]),
                 listing.conversation_page(bob.id, ann_inbox.id),
                 listing.conversation(bob.id, ann_conv, ann_inbox.id)):
        try:
            await call
        except NotFound:
            continue
        raise AssertionError("another account's folder was reachable")


async def test_one_delivery_to_two_accounts(services: Services) -> None:
    ann = await _ann(services)
    bob = await make_account(services, "bob@example.org")
    await store(services, ann, mail("m1", "Notice"))
    outcomes = await services.mail.deliver(mail("m2", "Re: Notice", in_reply_to="m1"),
                                           [Target(ann.id), Target(bob.id)])
    assert all(o.result for o in outcomes)
    ann_rows = await services.mail.messages(ann.id, (await services.mail.get_folder(
        ann.id, "INBOX")).id)
    bob_rows = await services.mail.messages(bob.id, (await services.mail.get_folder(
        bob.id, "INBOX")).id)
    assert ann_rows[0].conversation_id == ann_rows[1].conversation_id
    assert bob_rows[0].conversation_id == bob_rows[0].blob_id


async def test_blob_keeps_the_message_id_key(services: Services) -> None:
    ann = await _ann(services)
    await store(services, ann, mail("k1", "Key"))
    async with services.db.read() as conn:
        key = (await conn.execute(select(s.blob.c.message_id_hash))).scalar()
    assert key == message_id_key("<k1@example.net>")


async def test_migration_backfills_as_delivery_would(services: Services) -> None:
    """Undo 0004 and apply it again: the backfill gives every message the id it got."""
    ann = await _ann(services)
    await store(services, ann, mail("m1", "Budget"))
    await store(services, ann, mail("m2", "Re: Budget", in_reply_to="m1"), 1)
    await store(services, ann, mail("m3", "Other", in_reply_to="m1"), 2)
    await store(services, ann, mail("m4", "Re: Budget", references="m1 m2"), 3,
                folder="Archive")
    inbox = await services.mail.get_folder(ann.id, "INBOX")
    await services.mail.copy(ann.id, inbox.id, [3], "Archive")

    async def snapshot() -> list[tuple[int, int, int | None]]:
        async with services.db.read() as conn:
            return [tuple(r) for r in await conn.execute(  # type: ignore[misc]
                select(s.message.c.id, s.message.c.conversation_id, s.blob.c.message_id_hash)
                .join(s.blob, s.blob.c.id == s.message.c.blob_id).order_by(s.message.c.id))]

    before = await snapshot()
    assert len({conv for _, conv, _ in before}) == 2

    def redo(sync_conn):  # type: ignore[no-untyped-def]
        from alembic import command

        from postroom.store.db import _alembic_config

        config = _alembic_config(sync_conn)
        command.downgrade(config, "0004_conversations@-1")
        command.upgrade(config, "heads")

    async with services.db.engine.begin() as conn:
        await conn.run_sync(redo)
    assert await snapshot() == before
