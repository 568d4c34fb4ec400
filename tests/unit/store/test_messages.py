"""Messages: append, UIDs, MODSEQ, flags, copy, move, expunge, quota, delivery, changes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from postroom.app import Services, open_services
from postroom.errors import Invalid, LimitExceeded, NotFound, OverQuota
from postroom.store.changes import FlagsChanged, MessagesAdded, MessagesExpunged
from postroom.store.records import Target
from postroom.store.search import TextField
from tests.conftest import test_settings
from tests.factories import make_account, make_message, make_org


@pytest.fixture
async def ann(services: Services) -> int:
    await make_org(services)
    return (await make_account(services)).id


async def inbox(services: Services, account_id: int) -> int:
    return (await services.mail.get_folder(account_id, "INBOX")).id


async def test_append_gives_increasing_uids_and_keeps_bytes(services: Services, ann: int) -> None:
    raws = [make_message(f"m{i}", body=f"body {i}\n") for i in range(5)]
    results = [await services.mail.append(ann, "INBOX", raw) for raw in raws]
    assert [r.uid for r in results] == [1, 2, 3, 4, 5]
    assert len({r.uidvalidity for r in results}) == 1
    rows = await services.mail.messages(ann, await inbox(services, ann))
    assert [await services.mail.read_message(r) for r in rows] == raws
    folder = await services.mail.get_folder(ann, "INBOX")
    assert folder.uidnext == 6


async def test_append_keeps_flags_keywords_and_internal_date(services: Services, ann: int) -> None:
    when = datetime(2020, 5, 17, 8, 30, tzinfo=UTC)
    await services.mail.append(ann, "INBOX", make_message(), ["\\seen", "$Forwarded", "\\Recent"],
                               internal_date=when)
    row = (await services.mail.messages(ann, await inbox(services, ann)))[0]
    assert row.flags == {"\\Seen", "$Forwarded"}
    assert row.internal_date == when


async def test_bad_flags_are_refused(services: Services, ann: int) -> None:
    with pytest.raises(Invalid):
        await services.mail.append(ann, "INBOX", make_message(), ["\\Bogus"])
    with pytest.raises(NotFound):
        await services.mail.append(ann, "Nope", make_message())


async def test_uidvalidity_and_uids_survive_a_restart(tmp_path: Path, services: Services,
                                                      ann: int) -> None:
    await services.mail.append(ann, "INBOX", make_message("a"))
    before = await services.mail.get_folder(ann, "INBOX")
    await services.close()
    reopened = await open_services(test_settings(tmp_path))
    try:
        after = await reopened.mail.get_folder(ann, "INBOX")
        assert after.uidvalidity == before.uidvalidity
        result = await reopened.mail.append(ann, "INBOX", make_message("b"))
        assert result.uid == 2
    finally:
        await reopened.close()


async def test_modseq_grows_on_every_change(services: Services, ann: int) -> None:
    seen = [(await services.mail.get_folder(ann, "INBOX")).highestmodseq]

    async def note() -> None:
        seen.append((await services.mail.get_folder(ann, "INBOX")).highestmodseq)

    folder_id = await inbox(services, ann)
    r1 = await services.mail.append(ann, "INBOX", make_message("a"))
    await note()
    await services.mail.append(ann, "INBOX", make_message("b"))
    await note()
    update = await services.mail.set_flags(ann, folder_id, [r1.uid], "add", ["\\Deleted"])
    await note()
    assert update.changed[0].modseq == seen[-1]
    await services.mail.expunge(ann, folder_id)
    await note()
    assert seen == sorted(seen) and len(set(seen)) == len(seen)


async def test_set_flags_modes_and_unchangedsince(services: Services, ann: int) -> None:
    folder_id = await inbox(services, ann)
    a = await services.mail.append(ann, "INBOX", make_message("a"), ["\\Seen"])
    b = await services.mail.append(ann, "INBOX", make_message("b"))
    await services.mail.set_flags(ann, folder_id, [a.uid, b.uid], "add", ["\\Flagged", "$Work"])
    await services.mail.set_flags(ann, folder_id, [a.uid], "remove", ["\\Seen", "$work"])
    rows = {r.uid: r for r in await services.mail.messages(ann, folder_id)}
    assert rows[a.uid].flags == {"\\Flagged"}
    assert rows[b.uid].flags == {"\\Flagged", "$Work"}
    # RFC 7162 3.1.3: a message changed after UNCHANGEDSINCE is refused, the rest done.
    old = rows[b.uid].modseq
    await services.mail.set_flags(ann, folder_id, [a.uid], "add", ["\\Answered"])
    update = await services.mail.set_flags(ann, folder_id, [a.uid, b.uid], "replace", ["\\Draft"],
                                           unchanged_since=old)
    assert update.modified == (a.uid,)
    assert [r.uid for r in update.changed] == [b.uid]
    # No change, no new MODSEQ.
    same = await services.mail.set_flags(ann, folder_id, [b.uid], "add", ["\\Draft"])
    assert same.changed == ()


async def test_copy_and_move_keep_flags_and_dates(services: Services, ann: int) -> None:
    folder_id = await inbox(services, ann)
    when = datetime(2021, 1, 2, 3, 4, 5, tzinfo=UTC)
    a = await services.mail.append(ann, "INBOX", make_message("a"), ["\\Flagged", "$X"],
                                   internal_date=when)
    b = await services.mail.append(ann, "INBOX", make_message("b"), ["\\Seen"])
    copied = await services.mail.copy(ann, folder_id, [a.uid, b.uid], "Archive")
    archive = await services.mail.get_folder(ann, "Archive")
    assert copied.source_uids == (a.uid, b.uid) and copied.dest_uids == (1, 2)
    assert copied.uidvalidity == archive.uidvalidity
    arch_rows = await services.mail.messages(ann, archive.id)
    assert [r.flags for r in arch_rows] == [frozenset({"\\Flagged", "$X"}),
                                            frozenset({"\\Seen"})]
    assert arch_rows[0].internal_date == when
    moved = await services.mail.move(ann, folder_id, [a.uid], "Trash")
    trash = await services.mail.get_folder(ann, "Trash")
    assert moved.dest_uids == (1,)
    assert [r.uid for r in await services.mail.messages(ann, folder_id)] == [b.uid]
    assert (await services.mail.messages(ann, trash.id))[0].flags == {"\\Flagged", "$X"}
    account = await services.tenancy.accounts.get_by_id(ann)
    all_rows = [*await services.mail.messages(ann, folder_id), *arch_rows,
                *await services.mail.messages(ann, trash.id)]
    assert account.usage == sum(r.size for r in all_rows)


async def test_expunge_removes_only_deleted_and_records_vanished(services: Services,
                                                                 ann: int) -> None:
    folder_id = await inbox(services, ann)
    uids = [(await services.mail.append(ann, "INBOX", make_message(f"m{i}"))).uid
            for i in range(4)]
    start = (await services.mail.get_folder(ann, "INBOX")).highestmodseq
    await services.mail.set_flags(ann, folder_id, uids[1:3], "add", ["\\Deleted"])
    gone = await services.mail.expunge(ann, folder_id)
    assert gone == uids[1:3]
    changes = await services.mail.changes_since(ann, folder_id, start)
    assert changes.vanished == tuple(uids[1:3])
    assert changes.changed == ()
    # UIDs are never reused.
    assert (await services.mail.append(ann, "INBOX", make_message("new"))).uid == uids[-1] + 1


async def test_quota_refuses_append_and_expunge_frees_it(services: Services) -> None:
    await make_org(services)
    small = await make_account(services, "tiny@example.org", quota=1024 * 1024)
    big = make_message(body="x" * 700_000)
    await services.mail.append(small.id, "INBOX", big)
    with pytest.raises(OverQuota):
        await services.mail.append(small.id, "INBOX", make_message("again", body="y" * 700_000))
    folder_id = await inbox(services, small.id)
    assert len(await services.mail.messages(small.id, folder_id)) == 1
    await services.mail.delete_messages(small.id, folder_id, [1])
    assert (await services.tenancy.accounts.get_by_id(small.id)).usage == 0
    await services.mail.append(small.id, "INBOX", make_message("again", body="y" * 700_000))


async def test_copy_over_quota_is_refused_whole(services: Services) -> None:
    await make_org(services)
    small = await make_account(services, "tiny@example.org", quota=1024 * 1024)
    await services.mail.append(small.id, "INBOX", make_message(body="x" * 600_000))
    with pytest.raises(OverQuota):
        await services.mail.copy(small.id, await inbox(services, small.id), [1], "Archive")
    archive = await services.mail.get_folder(small.id, "Archive")
    assert await services.mail.messages(small.id, archive.id) == []


async def test_delivery_shares_one_blob_and_reports_per_target(services: Services) -> None:
    await make_org(services)
    ann = await make_account(services, "ann@example.org")
    bea = await make_account(services, "bea@example.org")
    tiny = await make_account(services, "tiny@example.org", quota=1024 * 1024)
    await services.mail.append(tiny.id, "INBOX", make_message(body="z" * 900_000))
    raw = make_message("to all", body="w" * 200_000)
    outcomes = await services.mail.deliver(raw, [Target(ann.id), Target(bea.id, "Missing"),
                                                 Target(tiny.id)])
    assert [o.error is None for o in outcomes] == [True, True, False]
    assert isinstance(outcomes[2].error, OverQuota)
    rows = [(await services.mail.messages(a, await inbox(services, a)))[-1]
            for a in (ann.id, bea.id)]
    assert rows[0].blob_hash == rows[1].blob_hash  # one blob, two messages
    assert sum(1 for _ in services.blobs.iter_hashes()) == 2


async def test_streamed_message_and_size_limit(services: Services, ann: int) -> None:
    writer = services.mail.new_writer()
    raw = make_message(body="line of text\n" * 20_000)
    for i in range(0, len(raw), 4096):
        writer.write(raw[i:i + 4096])
    result = await services.mail.append(ann, "INBOX", writer)
    row = (await services.mail.messages(ann, await inbox(services, ann)))[0]
    assert row.uid == result.uid and await services.mail.read_message(row) == raw
    services.mail.max_message_size = 1000
    with pytest.raises(LimitExceeded):
        await services.mail.append(ann, "INBOX", raw)


async def test_summary_is_kept(services: Services, ann: int) -> None:
    await services.mail.append(ann, "INBOX", make_message("Report", body="See attached.\n",
                                                          attachment=b"\x00\x01" * 100))
    folder_id = await inbox(services, ann)
    detail = (await services.mail.details(ann, folder_id, [1]))[0]
    assert detail.subject == "Report"
    assert detail.has_attachments
    assert detail.from_text == "Bob <bob@example.net>"
    assert detail.preview.startswith("See attached.")
    assert detail.summary["structure"]


async def test_change_feed_sees_committed_changes(services: Services, ann: int) -> None:
    folder_id = await inbox(services, ann)
    sub = services.feed.subscribe(ann)
    try:
        r = await services.mail.append(ann, "INBOX", make_message())
        await services.mail.set_flags(ann, folder_id, [r.uid], "add", ["\\Deleted"])
        await services.mail.expunge(ann, folder_id)
        events = sub.drain()
    finally:
        sub.close()
    assert [type(e) for e in events] == [MessagesAdded, FlagsChanged, MessagesExpunged]
    assert all(e.folder_id == folder_id and e.uids == (r.uid,) for e in events)  # type: ignore[union-attr]


async def test_full_text_search_finds_substrings_from_word_starts(services: Services,
                                                                  ann: int) -> None:
    folder_id = await inbox(services, ann)
    await services.mail.append(ann, "INBOX", make_message("Budget", body="The quarterly "
                                                                         "forecast is ready.\n"))
    await services.mail.append(ann, "INBOX", make_message("Lunch", body="Pizza at noon?\n"))
    hits = await services.mail.search_text(ann, [folder_id], "FORECAST", TextField.BODY)
    assert hits == {(folder_id, 1)}
    assert await services.mail.search_text(ann, [folder_id], "forecast IS r", TextField.BODY) == {
        (folder_id, 1)}
    assert await services.mail.search_text(ann, [folder_id], "fore", TextField.BODY) == {
        (folder_id, 1)}
    # Substrings are matched from the start of a word (see postroom.store.search).
    assert await services.mail.search_text(ann, [folder_id], "recast", TextField.BODY) == set()
    assert await services.mail.search_text(ann, [folder_id], "forecast ready",
                                           TextField.BODY) == set()
    assert await services.mail.search_text(ann, [folder_id], "lunch", TextField.TEXT) == {
        (folder_id, 2)}
    assert await services.mail.search_text(ann, [folder_id], "lunch", TextField.BODY) == set()
    # Expunged messages leave the index (their blob is gone).
    await services.mail.delete_messages(ann, folder_id, [1])
    assert await services.mail.search_text(ann, [folder_id], "forecast", TextField.BODY) == set()
