"""Template filters: sizes, dates, the sender column, quoting of URL parameters.

Purpose: small pure functions the templates use to show values; dates are rendered in
UTC on the server and rewritten to the reader's time zone by the page script (the
``<time datetime>`` element keeps the exact instant).
"""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment


def file_size(size: int | None) -> str:
    if size is None:
        return ""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}".replace(
                ".0 ", " ")
        value /= 1024
    return f"{size} B"


def short_date(when: datetime | None, now: datetime | None = None) -> str:
    if when is None:
        return ""
    now = now or datetime.now(UTC)
    when = when.astimezone(UTC)
    if when.date() == now.date():
        return when.strftime("%H:%M")
    if when.year == now.year:
        return when.strftime("%d %b").lstrip("0")
    return when.strftime("%d %b %Y").lstrip("0")


def long_date(when: datetime | str | None) -> str:
    if when is None:
        return ""
    if isinstance(when, str):
        try:
            when = datetime.fromisoformat(when)
        except ValueError:
            return str(when)
    return when.astimezone(UTC).strftime("%a %d %b %Y %H:%M UTC")


def iso(when: datetime | str | None) -> str:
    if when is None:
        return ""
    return when if isinstance(when, str) else when.astimezone(UTC).isoformat()


def first_person(value: str) -> str:
    """The display name (or address) of the first mailbox in an address list text."""
    pairs = email.utils.getaddresses([value or ""])
    for name, address in pairs:
        if name or address:
            return name.strip() or address.strip()
    return value.strip()


def query(base: dict[str, Any], **changes: Any) -> str:
    """``?a=1&b=2`` from ``base`` with ``changes`` (None removes a key)."""
    values = {k: v for k, v in {**base, **changes}.items() if v not in (None, "", False)}
    return "?" + urlencode(values) if values else ""


def install(env: Environment) -> None:
    env.filters["filesize"] = file_size
    env.filters["shortdate"] = short_date
    env.filters["longdate"] = long_date
    env.filters["iso"] = iso
    env.filters["person"] = first_person
    env.globals["query"] = query
