"""Server-sent events: new mail and other changes show up without a reload.

Purpose: one ``text/event-stream`` per open web mail tab, fed by the store's change feed
for the signed-in account. Events carry only what changed (folder id, kind, count),
never content; the page script fetches fresh list and folder fragments.

Invariants:
- A stream subscribes to its own account only and unsubscribes when it ends.
- Every ``KEEPALIVE`` seconds the stream sends a comment and re-checks the session, so a
  signed-out or suspended user's stream ends within that time; a stream also ends after
  ``MAX_STREAM`` (the browser reconnects on its own after ``retry``), so no request
  lives forever and a server shutdown never waits long for one.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

from fastapi import APIRouter, Depends, Request
from starlette.responses import StreamingResponse

from postroom.store.changes import (
    Change,
    FlagsChanged,
    FoldersChanged,
    MessagesAdded,
    MessagesExpunged,
    Overflow,
)
from postroom.web.webmail.context import SignInRequired, User, Webmail

KEEPALIVE = 15.0
MAX_STREAM = 300.0
RETRY_MS = 2000


def describe(change: Change) -> tuple[str, dict[str, object]]:
    """The event name and data for one change (ids and counts only)."""
    if isinstance(change, MessagesAdded):
        return "added", {"folder": change.folder_id, "count": len(change.uids)}
    if isinstance(change, MessagesExpunged):
        return "removed", {"folder": change.folder_id, "count": len(change.uids)}
    if isinstance(change, FlagsChanged):
        return "flags", {"folder": change.folder_id, "count": len(change.uids)}
    if isinstance(change, FoldersChanged):
        return "folders", {}
    if isinstance(change, Overflow):
        return "resync", {}
    return "resync", {}


def frame(event: str, data: dict[str, object]) -> str:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n"


def build(webmail: Webmail) -> APIRouter:
    router = APIRouter()

    async def stream(request: Request, user: User, keepalive: float,
                     lifetime: float) -> AsyncIterator[str]:
        sub = webmail.mail.feed.subscribe(user.id)
        started = time.monotonic()
        try:
            yield f"retry: {RETRY_MS}\n" + frame("hello", {})
            while time.monotonic() - started < lifetime:
                try:
                    change = await asyncio.wait_for(sub.get(), keepalive)
                except TimeoutError:
                    if await request.is_disconnected():
                        return
                    try:
                        await webmail.current_user(request)
                    except SignInRequired:
                        yield frame("signedout", {})
                        return
                    yield ": keepalive\n\n"
                    continue
                yield frame(*describe(change))
        finally:
            sub.close()

    @router.get("/events")
    async def events(request: Request,
                     user: User = Depends(webmail.current_user)) -> StreamingResponse:
        return StreamingResponse(
            stream(request, user, KEEPALIVE, MAX_STREAM), media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    return router
