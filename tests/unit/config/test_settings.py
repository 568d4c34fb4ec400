"""Settings (``postroom.config``): defaults, sources and their order, validation, safety.

What it proves:

- the embedded default: data in ``./postroom-data`` with the SQLite database inside it,
  the unprivileged ports of DESIGN section 2 on 127.0.0.1, the limits of section 5, and
  plaintext login on loopback only in development and never by default in production;
- a TOML file sets values, ``POSTROOM_*`` variables override the file, and sizes accept
  units (``50MiB``, ``1GB``) in both;
- a bad value, an unknown key, a broken or missing file each give one ``ConfigError``
  naming the setting in plain words (no pydantic internals);
- production refuses a missing, placeholder or short secret and missing TLS files;
- ``plaintext_allowed``: loopback v4 and v6 yes in development, other addresses no, TLS
  always yes, production no without TLS, ``always``/``never`` as written;
- ``docs/settings.md`` is exactly what ``postroom settings-doc`` prints.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from postroom.config import (
    Environment,
    PlaintextAuth,
    Settings,
    load_settings,
    settings_reference,
)
from postroom.errors import ConfigError

SECRET = "k3y-" + "x" * 44  # 48 characters, not a placeholder
DOCS = Path(__file__).parents[3] / "docs" / "settings.md"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No POSTROOM_* variable of the caller leaks in; relative paths land in tmp_path."""
    for key in [k for k in os.environ if k.startswith("POSTROOM_")]:
        monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def tls_files(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_text("-----BEGIN CERTIFICATE-----\n")
    key.write_text("-----BEGIN PRIVATE KEY-----\n")
    return cert, key


def production(tls_files: tuple[Path, Path], **values: object) -> Settings:
    cert, key = tls_files
    base: dict[str, object] = {"environment": "production", "secret_key": SECRET,
                               "tls_cert_file": cert, "tls_key_file": key}
    return load_settings(None, **{**base, **values})


def write_toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "postroom.toml"
    path.write_text(text)
    return path


# --- defaults -------------------------------------------------------------------------------


def test_embedded_default_keeps_everything_in_postroom_data(tmp_path: Path) -> None:
    s = load_settings()
    assert s.environment is Environment.DEVELOPMENT
    assert s.data_dir == Path("./postroom-data")
    assert s.database_url is None
    db_file = (tmp_path / "postroom-data" / "postroom.db").resolve()
    assert s.effective_database_url == f"sqlite+aiosqlite:///{db_file}"
    assert s.blob_dir == Path("./postroom-data/blobs")
    assert s.secret_key is None


def test_default_ports_are_the_unprivileged_ones_of_design_section_2() -> None:
    s = load_settings()
    assert s.listen_address == "127.0.0.1"
    ports = (s.http_port, s.smtp_port, s.submission_port, s.submissions_port, s.imap_port,
             s.imaps_port, s.pop3_port, s.pop3s_port)
    assert ports == (8080, 2525, 2587, 2465, 1143, 1993, 1110, 1995)


def test_default_limits_are_those_of_design_section_5() -> None:
    s = load_settings()
    assert s.max_message_size == 50 * 1024**2
    assert s.max_header_size == 1024**2
    assert (s.mime_max_depth, s.mime_max_parts) == (100, 10_000)
    assert (s.smtp_line_limit, s.smtp_text_line_limit) == (512, 1000)
    assert (s.mx_max_recipients, s.submission_max_recipients) == (100, 1000)
    assert s.imap_line_limit == 64 * 1024
    assert (s.smtp_connections_per_ip, s.imap_connections_per_user_ip) == (50, 10)
    assert s.queue_lifetime_days == 5


def test_plaintext_login_defaults_to_loopback_in_development_only(
    tls_files: tuple[Path, Path],
) -> None:
    assert load_settings().effective_plaintext_auth is PlaintextAuth.LOOPBACK
    assert production(tls_files).effective_plaintext_auth is PlaintextAuth.NEVER


# --- sources --------------------------------------------------------------------------------


def test_toml_file_sets_values(tmp_path: Path) -> None:
    path = write_toml(tmp_path, 'hostname = "mail.example.org"\nhttp_port = 9080\n'
                                'max_message_size = "10MiB"\ndata_dir = "/srv/postroom"\n'
                                'plaintext_auth = "never"\n')
    s = load_settings(path)
    assert s.hostname == "mail.example.org"
    assert s.http_port == 9080
    assert s.max_message_size == 10 * 1024**2
    assert s.data_dir == Path("/srv/postroom")
    assert s.effective_database_url == "sqlite+aiosqlite:////srv/postroom/postroom.db"
    assert s.effective_plaintext_auth is PlaintextAuth.NEVER


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_toml(tmp_path, 'hostname = "file.example.org"\nhttp_port = 9080\n'
                                'max_message_size = "10MiB"\n')
    monkeypatch.setenv("POSTROOM_HTTP_PORT", "9180")
    monkeypatch.setenv("POSTROOM_MAX_MESSAGE_SIZE", "2MiB")
    monkeypatch.setenv("POSTROOM_DATABASE_URL", "postgresql+asyncpg://mail@db/postroom")
    s = load_settings(path)
    assert s.http_port == 9180
    assert s.max_message_size == 2 * 1024**2
    assert s.hostname == "file.example.org"  # not overridden: the file's value stays
    assert s.effective_database_url == "postgresql+asyncpg://mail@db/postroom"


@pytest.mark.parametrize(("text", "size"), [
    ("50MiB", 50 * 1024**2), ("1GB", 10**9), ("1GiB", 1024**3), ("512KiB", 512 * 1024),
    ("1000", 1000), (2048, 2048),
])
def test_sizes_accept_units(text: str | int, size: int) -> None:
    assert load_settings(max_message_size=text).max_message_size == size


# --- invalid values ---------------------------------------------------------------------------


def assert_readable(error: ConfigError, *fragments: str) -> None:
    message = error.message
    assert "\n" not in message
    assert "pydantic" not in message.lower() and "errors.pydantic.dev" not in message
    for fragment in fragments:
        assert fragment in message, message


@pytest.mark.parametrize(("values", "fragments"), [
    ({"max_message_size": "lots"}, ("max_message_size", "unit")),
    ({"http_port": 70000}, ("http_port", "65535")),
    ({"http_port": "eighty"}, ("http_port", "integer")),
    ({"environment": "prod"}, ("environment", "'development' or 'production'")),
    ({"plaintext_auth": "sometimes"}, ("plaintext_auth", "'never'")),
    ({"smtp_line_limit": 100}, ("smtp_line_limit", "512")),
    ({"listen_adress": "0.0.0.0"}, ("listen_adress", "not permitted")),
])
def test_invalid_values_give_a_readable_config_error(
    values: dict[str, object], fragments: tuple[str, ...]
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(None, **values)
    assert_readable(caught.value, *fragments)


def test_invalid_environment_variable_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTROOM_IMAP_PORT", "not-a-port")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert_readable(caught.value, "imap_port")


def test_unknown_key_in_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(write_toml(tmp_path, 'hostnme = "typo.example.org"\n'))
    assert_readable(caught.value, "hostnme")


def test_broken_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as broken:
        load_settings(write_toml(tmp_path, "http_port = \n"))
    assert_readable(broken.value, "not valid TOML")
    with pytest.raises(ConfigError) as missing:
        load_settings(tmp_path / "absent.toml")
    assert_readable(missing.value, "not found", "absent.toml")


# --- production safety ------------------------------------------------------------------------


@pytest.mark.parametrize("secret", [None, "", "change-me", "changeme", "secret", "postroom",
                                    " " * 40, "x" * 31])
def test_production_refuses_a_missing_placeholder_or_short_secret(
    secret: str | None, tls_files: tuple[Path, Path]
) -> None:
    with pytest.raises(ConfigError) as caught:
        production(tls_files, secret_key=secret)
    assert_readable(caught.value, "POSTROOM_SECRET_KEY", "32 characters")


def test_production_refuses_a_placeholder_secret_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tls_files: tuple[Path, Path]
) -> None:
    monkeypatch.setenv("POSTROOM_SECRET_KEY", "change-me")
    with pytest.raises(ConfigError):
        production(tls_files)


def test_production_accepts_a_long_random_secret(tls_files: tuple[Path, Path]) -> None:
    s = production(tls_files)
    assert s.environment is Environment.PRODUCTION
    assert s.secret_key is not None and s.secret_key.get_secret_value() == SECRET
    assert SECRET not in repr(s)  # a secret never shows in logs or reprs


@pytest.mark.parametrize("missing", ["tls_cert_file", "tls_key_file"])
def test_production_refuses_missing_tls_files(
    missing: str, tls_files: tuple[Path, Path]
) -> None:
    with pytest.raises(ConfigError) as caught:
        production(tls_files, **{missing: None})
    assert_readable(caught.value, "tls_cert_file", "tls_key_file")


def test_production_refuses_tls_files_that_do_not_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        production((tmp_path / "no-cert.pem", tmp_path / "no-key.pem"))


def test_development_needs_no_secret_and_no_tls() -> None:
    s = load_settings(environment="development")
    assert s.secret_key is None and s.tls_cert_file is None


def test_tls_cert_and_key_go_together(tls_files: tuple[Path, Path]) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(tls_cert_file=tls_files[0])
    assert_readable(caught.value, "together")


# --- plaintext authentication ---------------------------------------------------------------


@pytest.mark.parametrize(("peer", "allowed"), [
    ("127.0.0.1", True), ("127.3.4.5", True), ("::1", True), ("0:0:0:0:0:0:0:1", True),
    ("10.0.0.1", False), ("192.0.2.7", False), ("2001:db8::1", False), ("fe80::1%eth0", False),
    ("0.0.0.0", False), ("", False), (None, False), ("not an address", False),
])
def test_plaintext_allowed_on_loopback_in_development(peer: str | None, allowed: bool) -> None:
    assert load_settings().plaintext_allowed(peer, tls=False) is allowed


def test_plaintext_allowed_for_ipv4_mapped_loopback() -> None:
    assert load_settings().plaintext_allowed("::ffff:127.0.0.1", tls=False)


def test_tls_always_allows_a_password() -> None:
    assert load_settings().plaintext_allowed("192.0.2.7", tls=True)
    assert load_settings(plaintext_auth="never").plaintext_allowed("203.0.113.9", tls=True)


def test_production_refuses_plaintext_even_on_loopback(tls_files: tuple[Path, Path]) -> None:
    s = production(tls_files)
    assert not s.plaintext_allowed("127.0.0.1", tls=False)
    assert not s.plaintext_allowed("::1", tls=False)
    assert s.plaintext_allowed("127.0.0.1", tls=True)


@pytest.mark.parametrize("policy", ["loopback", "always"])
def test_production_refuses_an_explicit_plaintext_policy(tls_files: tuple[Path, Path],
                                                         policy: str) -> None:
    with pytest.raises(ConfigError, match="plaintext_auth"):
        production(tls_files, plaintext_auth=policy)


def test_explicit_plaintext_policies() -> None:
    never = load_settings(plaintext_auth="never")
    assert not never.plaintext_allowed("127.0.0.1", tls=False)
    always = load_settings(plaintext_auth="always")
    assert always.plaintext_allowed("192.0.2.7", tls=False)


# --- the reference document -------------------------------------------------------------------


def test_docs_settings_md_is_the_generated_reference() -> None:
    assert DOCS.read_text() == settings_reference(), (
        "docs/settings.md is out of date: run `postroom settings-doc > docs/settings.md`")


def test_reference_documents_every_setting() -> None:
    reference = settings_reference()
    for name, field in Settings.model_fields.items():
        assert f"| `{name}` | `POSTROOM_{name.upper()}` |" in reference
        assert field.description, f"{name} has no description"
