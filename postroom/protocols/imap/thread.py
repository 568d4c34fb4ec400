"""THREAD and UID THREAD: ORDEREDSUBJECT and REFERENCES (RFC 5256 3, 4).

REFERENCES follows the algorithm of RFC 5256 4 (after Jamie Zawinski): containers by
Message-ID, parents from References (or In-Reply-To), pruning of empty containers,
gathering of root threads by base subject, and ordering by sent date. Message-IDs,
subjects and dates come from the stored summary's decoded headers.

Invariants: read-only; loop checks walk parents with a visited set, so a hostile
References chain cannot make a cycle. Pruning and output recurse along the thread
depth (a chain of a few hundred replies is fine; Python's limit is 1,000).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from postroom.mail.conversations import base_subject, is_reply

from . import commands as c
from . import responses as r
from .search import search_uids
from .sort import message_date, sort_headers

if TYPE_CHECKING:
    from .session import Session

__all__ = ["handle_thread", "ordered_subject", "references"]


@dataclass(frozen=True)
class ThreadMessage:
    number: int  # what the response shows: sequence number or UID
    date: datetime
    subject: str | None
    message_id: str | None
    references: tuple[str, ...]


def ordered_subject(messages: list[ThreadMessage]) -> list[r.ThreadNode]:
    """RFC 5256 3 ORDEREDSUBJECT: by base subject, then date; the first is the parent."""
    groups: dict[str, list[ThreadMessage]] = {}
    for msg in sorted(messages, key=lambda m: (m.date, m.number)):
        groups.setdefault(base_subject(msg.subject), []).append(msg)
    threads = sorted(groups.values(), key=lambda g: (g[0].date, g[0].number))
    return [r.ThreadNode(g[0].number, tuple(r.ThreadNode(m.number) for m in g[1:]))
            for g in threads]


@dataclass(eq=False)
class _Container:
    message: ThreadMessage | None = None
    parent: _Container | None = None
    children: list[_Container] = field(default_factory=list)

    def ancestors(self) -> list[_Container]:
        out, node, seen = [], self.parent, set()
        while node is not None and id(node) not in seen:
            seen.add(id(node))
            out.append(node)
            node = node.parent
        return out

    def set_parent(self, parent: _Container | None) -> None:
        if self.parent is not None:
            self.parent.children.remove(self)
        self.parent = parent
        if parent is not None:
            parent.children.append(self)

    def first_date(self) -> tuple[datetime, int]:
        """RFC 5256 4 (4): a dummy sorts by its first child's date."""
        node = self
        while node.message is None and node.children:
            node = min(node.children, key=_Container.first_date)
        if node.message is None:
            return (datetime.min.replace(tzinfo=UTC), 0)
        return (node.message.date, node.message.number)


def _would_loop(child: _Container, parent: _Container) -> bool:
    return parent is child or child in parent.ancestors()


def _link(messages: list[ThreadMessage]) -> dict[str, _Container]:
    """RFC 5256 4 (1): the id table, with parent/child links from References."""
    table: dict[str, _Container] = {}
    for index, msg in enumerate(messages):
        key = msg.message_id or f"<dummy-{index}@postroom>"
        if key in table and table[key].message is not None:
            key = f"<duplicate-{index}@postroom>"  # (1A) a duplicate gets its own id
        container = table.setdefault(key, _Container())
        container.message = msg
        previous: _Container | None = None
        for ref in msg.references:  # (1B)
            node = table.setdefault(ref, _Container())
            if previous is not None and node.parent is None and not _would_loop(node, previous):
                node.set_parent(previous)
            previous = node
        if previous is not None and _would_loop(container, previous):
            previous = None
        container.set_parent(previous)  # (1C)
    return table


def _prune(nodes: list[_Container], at_root: bool) -> list[_Container]:
    """RFC 5256 4 (3): drop empty leaves, promote the children of empty containers."""
    out: list[_Container] = []
    for node in nodes:
        node.children = _prune(node.children, False)
        for child in node.children:
            child.parent = node
        if node.message is None and not node.children:
            continue
        if node.message is None and (not at_root or len(node.children) == 1):
            out.extend(node.children)
            continue
        out.append(node)
    return out


def _gather(roots: list[_Container]) -> list[_Container]:
    """RFC 5256 4 (5): threads whose roots share a base subject are merged."""
    subjects: dict[str, _Container] = {}
    for root in roots:
        subject = _subject_of(root)
        if not subject:
            continue
        other = subjects.get(subject)
        if other is None or (root.message is None and other.message is not None) or (
                other.message is not None and root.message is not None
                and is_reply(other.message.subject) and not is_reply(root.message.subject)):
            subjects[subject] = root
    out: list[_Container] = []
    for root in roots:
        subject = _subject_of(root)
        keeper = subjects.get(subject) if subject else None
        if keeper is None or keeper is root:
            out.append(root)
            continue
        child_of_keeper = keeper.message is None or (
            root.message is not None and is_reply(root.message.subject)
            and not is_reply(keeper.message.subject))
        if child_of_keeper:
            root.parent = keeper
            keeper.children.append(root)
        else:
            dummy = _Container(children=[keeper, root])
            keeper.parent = root.parent = dummy
            out[out.index(keeper)] = dummy
            subjects[subject] = dummy
    return out


def _subject_of(root: _Container) -> str:
    node = root if root.message is not None else (root.children[0] if root.children else root)
    return base_subject(node.message.subject) if node.message is not None else ""


def _node(container: _Container) -> r.ThreadNode:
    children = sorted(container.children, key=_Container.first_date)  # (6)
    number = container.message.number if container.message is not None else None
    return r.ThreadNode(number, tuple(_node(child) for child in children))


def references(messages: list[ThreadMessage]) -> list[r.ThreadNode]:
    """RFC 5256 4 REFERENCES."""
    table = _link(messages)
    roots = _prune([node for node in table.values() if node.parent is None], True)
    roots = _gather(sorted(roots, key=_Container.first_date))
    return [_node(root) for root in sorted(roots, key=_Container.first_date)]


def _message(number: int, headers: dict[str, Any], date: datetime) -> ThreadMessage:
    refs = list(headers.get("references") or [])
    if not refs and headers.get("in_reply_to"):
        refs = [headers["in_reply_to"]]  # RFC 5256 4 (1B): In-Reply-To when no References
    return ThreadMessage(number, date, headers.get("subject"), headers.get("message_id"),
                         tuple(refs))


async def handle_thread(session: Session, cmd: c.Thread) -> bytes:
    """Selected. THREAD and UID THREAD."""
    view = session.view
    uids, searcher = await search_uids(session, cmd.key)
    headers = await sort_headers(session, uids)
    messages = []
    for uid in uids:
        number = uid if cmd.uid else view.seq_of(uid)
        if number is None:
            continue
        row = searcher.rows[uid]
        messages.append(_message(number, headers[uid], message_date(headers[uid], row)))
    build = ordered_subject if cmd.algorithm == "ORDEREDSUBJECT" else references
    await session.send(r.thread(build(messages)))
    return r.ok(cmd.tag, "THREAD completed")
