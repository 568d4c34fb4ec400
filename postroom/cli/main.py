"""The ``postroom`` command: serve, migrate, check-config, verify and the directory tools."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import click

from postroom import __version__
from postroom.app import Services, configure_logging, run_server
from postroom.cli.common import config_option, fail, run, settings_from, with_services
from postroom.cli.demo import demo
from postroom.cli.directory import account, alias, domain, org
from postroom.cli.queue import queue
from postroom.config import environ_snapshot, settings_reference
from postroom.store.db import open_database
from postroom.store.verify import verify as verify_store


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="postroom")
def cli() -> None:
    """Postroom: hosted e-mail for organisations (SMTP, IMAP, POP3, web mail)."""


@cli.command()
@config_option
@click.option("--log-level", default="INFO", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]))
def serve(config_file: Path | None, log_level: str) -> None:
    """Run every listener and background worker until SIGTERM or SIGINT."""
    settings = settings_from(config_file)
    configure_logging(log_level)
    try:
        asyncio.run(run_server(settings))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        fail(f"cannot start: {exc}")


@cli.command()
@config_option
def migrate(config_file: Path | None) -> None:
    """Apply the pending database migrations."""
    settings = settings_from(config_file)

    async def body() -> None:
        db = open_database(settings.effective_database_url)
        try:
            applied = await db.migrate()
            revision = await db.current_revision()
        finally:
            await db.close()
        click.echo(f"database at revision {revision}" + (" (migrated)" if applied else ""))

    run(body())


@cli.command("check-config")
@config_option
def check_config(config_file: Path | None) -> None:
    """Load the settings, report problems, print the values in force."""
    settings = settings_from(config_file)
    shown = settings.model_dump(mode="json")
    shown["secret_key"] = "(set)" if settings.secret_key else "(generated in the data dir)"
    shown["database_url"] = settings.effective_database_url.split("@")[-1]
    shown["plaintext_auth"] = settings.effective_plaintext_auth.value
    for key, value in shown.items():
        click.echo(f"{key} = {value}")
    overridden = ", ".join(sorted(environ_snapshot())) or "none"
    click.echo(f"# environment overrides: {overridden}")
    click.echo("settings OK")


@cli.command()
@click.option("--fix", is_flag=True, help="Remove old orphan files, recompute counts and usage.")
@with_services
async def verify(services: Services, fix: bool) -> None:
    """Check blobs against rows, UID order, MODSEQs and quota sums."""
    problems = await verify_store(services.db, services.blobs, fix=fix)
    for p in problems:
        state = " [fixed]" if p.fixed else ""
        kind = "leftover" if p.leftover else "problem"
        click.echo(f"{kind}: {p.kind}: {p.detail}{state}")
    real = [p for p in problems if not p.leftover and not p.fixed]
    leftovers = [p for p in problems if p.leftover and not p.fixed]
    click.echo(f"{len(real)} problems, {len(leftovers)} leftovers")
    if real:
        raise SystemExit(2)


@cli.command("settings-doc")
def settings_doc() -> None:
    """Print the settings reference (docs/settings.md is generated from this)."""
    click.echo(settings_reference(), nl=False)


cli.add_command(org)
cli.add_command(domain)
cli.add_command(account)
cli.add_command(alias)
cli.add_command(demo)
cli.add_command(queue)


def main() -> None:
    logging.getLogger("alembic").setLevel(logging.WARNING)
    cli()
