"""Templates with gettext: every word the web mail shows goes through ``_()``.

Purpose: one Jinja2 environment for the web mail, with the i18n extension installed on a
``gettext`` translations object (message catalogues in ``postroom/web/locale/<lang>/
LC_MESSAGES/postroom.mo``; with none installed, the English text is shown as written).

Invariants: autoescaping is on for every template (``.html``); the environment is built
once per application by ``create_translations``/``create_environment`` (no module-level
state); the same ``gettext`` callable serves templates and Python code.
"""

from __future__ import annotations

import gettext
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "postroom"


def create_translations(language: str = "en") -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, localedir=str(LOCALE_DIR), languages=[language],
                               fallback=True)


def create_environment(template_dir: Path,
                       translations: gettext.NullTranslations) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(template_dir)),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    return env
