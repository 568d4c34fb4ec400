"""Typed settings for ``postroom``: one object, loaded once, passed down as plain values.

Sources, lowest priority first: the field defaults (the *embedded default*: SQLite and
files under ``./postroom-data``, unprivileged ports on 127.0.0.1), an optional TOML file
(``--config FILE``, keys are the field names), then ``POSTROOM_<FIELD>`` environment
variables. Every field carries its documentation; ``docs/settings.md`` is generated from
the fields (``postroom settings-doc``) and a test keeps the two in agreement.

Invariants:
- In ``production`` the settings refuse to load with a missing or default secret, and
  plaintext authentication defaults to ``never``.
- Nothing else in the package reads the environment or a settings file: ``app`` builds
  the services from this object and passes plain values down (no module-level state).
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import ByteSize, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from postroom.errors import ConfigError

#: Secrets that must never reach production (placeholders from examples and docs).
KNOWN_PLACEHOLDER_SECRETS = frozenset({"", "change-me", "changeme", "secret", "dev", "postroom"})


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class PlaintextAuth(StrEnum):
    """When a client may send a password over a connection without TLS."""

    NEVER = "never"
    LOOPBACK = "loopback"
    ALWAYS = "always"


class Settings(BaseSettings):
    """All settings of one ``postroom`` node. Field docs are the reference documentation."""

    model_config = SettingsConfigDict(env_prefix="POSTROOM_", extra="forbid")

    # --- where things live --------------------------------------------------------
    environment: Environment = Field(
        Environment.DEVELOPMENT,
        description="`development` (the embedded default: generated secret, self-signed "
        "certificate, plaintext login on loopback) or `production` (secrets required, "
        "plaintext login refused).",
    )
    data_dir: Path = Field(
        Path("./postroom-data"),
        description="Directory for the SQLite database, the blob store (message files), "
        "TLS material and generated keys.",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the metadata database. Default: SQLite file "
        "`postroom.db` in the data dir. PostgreSQL: `postgresql+asyncpg://user@host/db`.",
    )
    secret_key: SecretStr | None = Field(
        None,
        description="Key for signing web sessions and CSRF tokens. Required in production; "
        "in development a random key is generated once and kept in the data dir.",
    )

    # --- names and listeners ------------------------------------------------------
    hostname: str = Field(
        "localhost",
        description="This node's host name: SMTP greeting, Received headers, Message-IDs "
        "and the TLS certificate made for development.",
    )
    postmaster_address: str = Field(
        "",
        description="Where mail to `<postmaster>` and `postmaster@<hostname>` goes (RFC "
        "5321 4.5.1): an address hosted here or outside. Empty: such mail is refused unless "
        "`hostname` is a hosted domain. `postmaster@` of a hosted domain reaches the "
        "organisation's administrators.",
    )
    listen_address: str = Field(
        "127.0.0.1", description="Address every listener binds to (`0.0.0.0` for all)."
    )
    http_port: int = Field(8080, ge=0, le=65535, description="HTTP: web mail, admin, API.")
    smtp_port: int = Field(
        2525, ge=0, le=65535, description="SMTP MX (and AUTH after STARTTLS); 25 in production."
    )
    submission_port: int = Field(
        2587, ge=0, le=65535, description="SMTP submission, STARTTLS required; 587 in production."
    )
    submissions_port: int = Field(
        2465, ge=0, le=65535, description="SMTP submission, implicit TLS; 465 in production."
    )
    imap_port: int = Field(
        1143, ge=0, le=65535, description="IMAP with STARTTLS; 143 in production."
    )
    imaps_port: int = Field(
        1993, ge=0, le=65535, description="IMAP, implicit TLS; 993 in production."
    )
    pop3_port: int = Field(1110, ge=0, le=65535, description="POP3 with STLS; 110 in production.")
    pop3s_port: int = Field(
        1995, ge=0, le=65535, description="POP3, implicit TLS; 995 in production."
    )
    plaintext_auth: PlaintextAuth | None = Field(
        None,
        description="When a password may be sent without TLS: `never`, `loopback` (clients on "
        "127.0.0.0/8 and ::1 only) or `always`. Default: `loopback` in development, `never` "
        "in production.",
    )
    tls_cert_file: Path | None = Field(
        None,
        description="PEM certificate chain for the listeners. Default: a self-signed "
        "certificate for `hostname`, made in the data dir (development only).",
    )
    tls_key_file: Path | None = Field(None, description="PEM private key for `tls_cert_file`.")

    # --- limits (DESIGN section 5) ------------------------------------------------
    max_message_size: ByteSize = Field(
        ByteSize(50 * 1024 * 1024),
        description="Largest message accepted (SMTP SIZE, IMAP APPENDLIMIT). Sizes accept "
        "units: `50MiB`.",
    )
    max_header_size: ByteSize = Field(
        ByteSize(1024 * 1024), description="Largest header section of a message."
    )
    mime_max_depth: int = Field(100, ge=1, description="Deepest MIME nesting parsed.")
    mime_max_parts: int = Field(10_000, ge=1, description="Most MIME parts parsed per message.")
    smtp_line_limit: int = Field(512, ge=512, description="SMTP command line limit in octets.")
    smtp_text_line_limit: int = Field(
        1000, ge=1000, description="SMTP text line limit in octets (RFC 5321 4.5.3.1.6)."
    )
    mx_max_recipients: int = Field(100, ge=1, description="Recipients per message on the MX.")
    submission_max_recipients: int = Field(
        1000, ge=1, description="Recipients per message on submission."
    )
    imap_line_limit: ByteSize = Field(
        ByteSize(64 * 1024), description="Longest IMAP command line, literals excluded."
    )
    smtp_connections_per_ip: int = Field(
        50, ge=1, description="Concurrent SMTP connections per IP."
    )
    imap_connections_per_user_ip: int = Field(
        10, ge=1, description="Concurrent IMAP connections per user and IP."
    )
    queue_lifetime_days: float = Field(
        5.0, gt=0, description="Days a message stays in the outbound queue before it bounces."
    )

    # --- SMTP and the outbound queue -------------------------------------------------
    smtp_timeout: float = Field(
        300.0, gt=0, description="Seconds an SMTP client may stay silent before the server "
        "closes the connection (RFC 5321 4.5.3.2.7: at least 5 minutes in production)."
    )
    inbound_auth_checks: bool = Field(
        True, description="Check SPF, DKIM and DMARC of inbound mail and record the results "
        "in an `Authentication-Results` header."
    )
    dns_static_file: Path | None = Field(
        None, description="Answer DNS look-ups (MX, A, AAAA, TXT) from this TOML file "
        "instead of the network: `[\"name\"]` tables with lists per record type. For tests "
        "and machines without DNS; never in production."
    )
    outbound_port: int = Field(
        25, ge=1, le=65535, description="TCP port of remote mail servers for outbound "
        "delivery (tests point it at a local server)."
    )
    outbound_timeout: float = Field(
        60.0, gt=0, description="Seconds to wait for a remote mail server's reply."
    )
    queue_retry_minutes: float = Field(
        5.0, gt=0, description="Minutes before the first retry of a deferred delivery; each "
        "later retry waits twice as long (up to 6 hours)."
    )
    queue_delay_notice_hours: float = Field(
        4.0, gt=0, description="Hours after which the sender is told that a message is "
        "delayed (one notice per message)."
    )
    queue_poll_seconds: float = Field(
        1.0, gt=0, description="How often the queue worker looks for due deliveries."
    )
    delivery_log_days: int = Field(
        90, ge=1, le=365, description="Days the delivery log (SMTP transactions, delivery "
        "attempts) is kept before the daily purge removes it."
    )

    # --- accounts -------------------------------------------------------------------
    default_quota: ByteSize = Field(
        ByteSize(1024**3), description="Quota of a new account when none is given."
    )
    argon2_time_cost: int = Field(
        2, ge=1, description="argon2id iterations (tuned so a verify takes about 30 ms)."
    )
    argon2_memory_kib: int = Field(
        19 * 1024, ge=8, description="argon2id memory in KiB (tuned with `argon2_time_cost`)."
    )

    # --- sources ----------------------------------------------------------------------
    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment overrides the file; the file's values arrive as init kwargs.
        return (env_settings, init_settings)

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.environment is Environment.PRODUCTION:
            secret = self.secret_key.get_secret_value() if self.secret_key else ""
            if secret.strip().lower() in KNOWN_PLACEHOLDER_SECRETS or len(secret) < 32:
                raise ValueError(
                    "production needs POSTROOM_SECRET_KEY: a random value of at least 32 "
                    "characters (for example from `python -c 'import secrets; "
                    "print(secrets.token_urlsafe(48))'`)"
                )
            if self.tls_cert_file is None or self.tls_key_file is None:
                raise ValueError("production needs tls_cert_file and tls_key_file")
            if self.plaintext_auth not in (None, PlaintextAuth.NEVER):
                # DESIGN 5: plaintext login before TLS only on loopback in development.
                raise ValueError("production refuses plaintext_auth other than `never`")
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise ValueError("tls_cert_file and tls_key_file must be given together")
        for path in (self.tls_cert_file, self.tls_key_file):
            if path is not None and not path.is_file():
                raise ValueError(f"TLS file not found: {path}")
        return self

    # --- derived values ---------------------------------------------------------------
    @property
    def effective_plaintext_auth(self) -> PlaintextAuth:
        if self.plaintext_auth is not None:
            return self.plaintext_auth
        if self.environment is Environment.PRODUCTION:
            return PlaintextAuth.NEVER
        return PlaintextAuth.LOOPBACK

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'postroom.db').resolve()}"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    def plaintext_allowed(self, peer_ip: str | None, tls: bool) -> bool:
        """May a client at ``peer_ip`` send a password on this connection?"""
        if tls:
            return True
        policy = self.effective_plaintext_auth
        if policy is PlaintextAuth.ALWAYS:
            return True
        if policy is PlaintextAuth.NEVER or not peer_ip:
            return False
        try:
            ip = ipaddress.ip_address(peer_ip.split("%")[0])
        except ValueError:
            return False
        # A v4 client on a dual-stack listener shows up as ::ffff:127.0.0.1.
        mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
        return (mapped or ip).is_loopback


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Load settings from ``config_file`` (TOML) and ``POSTROOM_*`` variables.

    Raises ``ConfigError`` with one readable line per problem.
    """
    values: dict[str, Any] = {}
    if config_file is not None:
        try:
            with open(config_file, "rb") as fh:
                values = tomllib.load(fh)
        except FileNotFoundError:
            raise ConfigError(f"settings file not found: {config_file}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"settings file {config_file} is not valid TOML: {exc}") from None
    values.update(overrides)
    try:
        return Settings(**values)
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        lines.append(f"{where}: {msg}" if where else msg)
    return "; ".join(lines)


def settings_reference() -> str:
    """The Markdown reference of every setting, generated from the fields."""
    out = [
        "# Settings",
        "",
        "Generated from `postroom/config.py` by `postroom settings-doc`; a test keeps it in",
        "agreement. Each setting can be given in the TOML file passed with `--config FILE`",
        "(key = field name) or as the environment variable shown, which wins over the file.",
        "Sizes accept units (`50MiB`, `1GB`).",
        "",
        "| setting | environment variable | default | meaning |",
        "|---|---|---|---|",
    ]
    for name, field in Settings.model_fields.items():
        default = field.default
        if isinstance(default, StrEnum):
            shown = f"`{default.value}`"
        elif default is None:
            shown = "(see meaning)"
        else:
            shown = f"`{default}`"
        env = f"`POSTROOM_{name.upper()}`"
        out.append(f"| `{name}` | {env} | {shown} | {field.description} |")
    return "\n".join(out) + "\n"


def environ_snapshot() -> dict[str, str]:
    """The ``POSTROOM_*`` variables in force (for `check-config`)."""
    return {k: v for k, v in os.environ.items() if k.startswith("POSTROOM_")}
