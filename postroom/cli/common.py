"""Shared pieces of the ``postroom`` commands: the settings option and error handling.

Every command reports a failure as one clear line on stderr and exits non-zero; a
traceback means a bug.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Coroutine
from functools import wraps
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from postroom.app import open_services
from postroom.config import Settings, load_settings
from postroom.errors import PostroomError

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

config_option = click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="TOML settings file (POSTROOM_* environment variables override it).",
)


def settings_from(config_file: Path | None) -> Settings:
    try:
        return load_settings(config_file)
    except PostroomError as exc:
        fail(f"settings: {exc.message}")


def fail(message: str) -> NoReturn:
    click.echo(f"postroom: error: {message}", err=True)
    sys.exit(1)


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro``; turn Postroom errors into one line and exit status 1."""
    try:
        return asyncio.run(coro)
    except PostroomError as exc:
        fail(exc.message)
    except OSError as exc:
        fail(str(exc))
    raise AssertionError("unreachable")


def with_services(fn: Callable[..., Awaitable[T]]) -> Callable[..., T]:
    """Decorate an async command body taking ``services`` first; opens and closes them."""

    @config_option
    @wraps(fn)
    def command(config_file: Path | None, **kwargs: Any) -> T:
        settings = settings_from(config_file)

        async def body() -> T:
            services = await open_services(settings)
            try:
                return await fn(services, **kwargs)
            finally:
                await services.close()

        return run(body())

    return command


def read_password(from_stdin: bool, prompt: str = "Password") -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            fail("no password on standard input")
        return line.rstrip("\r\n")
    return str(click.prompt(prompt, hide_input=True, confirmation_prompt=True))


def table(rows: list[tuple[Any, ...]], header: tuple[str, ...]) -> None:
    """Print rows as aligned columns."""
    cells = [tuple(str(c) for c in header)] + [tuple(str(c) for c in r) for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    for r in cells:
        click.echo("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
