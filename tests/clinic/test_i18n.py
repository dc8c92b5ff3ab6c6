"""The catalogues against the code, and the formats each language writes numbers and dates in."""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from clinic import accounts, i18n

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("app.py", "views", "components", "clinic", "model_store")


@pytest.fixture
def spanish() -> Iterator[None]:
    i18n.use("es")
    yield
    i18n.use(i18n.DEFAULT)


def _extracted() -> dict[str, str]:
    """Every message id in the code (what `make messages` extracts) -> where it is."""
    found: dict[str, str] = {}
    for source in SOURCES:
        path = ROOT / source
        if path.is_file():
            from babel.messages.extract import extract_from_file

            messages = ((path.name, *m) for m in extract_from_file("python", path))
        else:
            messages = extract_from_dir(path, method_map=[("**.py", "python")])
        for filename, line, message, *_ in messages:
            found[message if isinstance(message, str) else message[0]] = f"{filename}:{line}"
            if not isinstance(message, str):
                found[message[1]] = f"{filename}:{line}"
    return found


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _catalogue():
    with (ROOT / "locales" / "es" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale="es")


def test_every_text_in_the_code_has_a_spanish_translation() -> None:
    catalogue = _catalogue()
    translated: dict[str, str] = {}
    for message in catalogue:
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        if message.fuzzy or not all(strings):
            continue
        for msgid in ids:
            translated[msgid] = strings[-1] if msgid != ids[0] else strings[0]
    missing = {m: where for m, where in _extracted().items() if m not in translated}
    assert missing == {}, "run `make messages` and translate these in locales/es"


def test_translations_keep_every_placeholder_and_no_stale_entry_remains() -> None:
    catalogue = _catalogue()
    code = _extracted()
    for message in catalogue:
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        for text in strings:
            assert _placeholders(text) <= _placeholders(ids[-1]) | _placeholders(ids[0]), ids
        assert _placeholders(strings[-1]) == _placeholders(ids[-1]), ids
        assert ids[0] in code, f"{ids[0]!r} is no longer in the code: run `make messages`"
    assert not catalogue.obsolete


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["12,345.5", "72.5", "73.5%", "2026-01-02", "2026-01-02 03:04"]),
        ("es", ["12.345,5", "72,5", "73,5%", "02/01/2026", "02/01/2026 03:04"]),
    ],
)
def test_numbers_and_dates_are_written_the_local_way(language: str, expected: list[str]) -> None:
    i18n.use(language)
    try:
        written = [
            i18n.number(12345.5),
            i18n.number(72.5, 1),
            i18n.percent(0.7345),
            i18n.day(date(2026, 1, 2)),
            i18n.moment(datetime(2026, 1, 2, 3, 4, tzinfo=UTC)),
        ]
    finally:
        i18n.use(i18n.DEFAULT)
    assert written == expected


def test_a_spanish_run_speaks_spanish_and_english_is_untouched(spanish) -> None:
    assert i18n.gettext("Log out") == "Cerrar sesión"
    i18n.use("en")
    assert i18n.gettext("Log out") == "Log out"


@pytest.mark.parametrize(
    ("raw", "code"), [("es", "es"), ("es_CO", "es"), ("ES-co", "es"), ("en", "en")]
)
def test_language_codes_are_read_loosely(raw: str, code: str) -> None:
    assert i18n.checked(raw) == code


def test_an_unknown_language_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match=re.escape("choose one of: en, es")):
        i18n.checked("fr")


def test_a_users_language_is_remembered_and_can_be_forgotten(config) -> None:
    from clinic import db, runtime

    engine = runtime.start(config).engine  # binds the audit key that accounts.add records under
    now = datetime.now(UTC)
    with db.writing(engine) as connection:
        user = accounts.add(
            connection,
            "test",
            "lucia",
            "Lucía",
            "clinician",
            "seven blue doors on a wet street",
            temporary=False,
            now=now,
        )
    assert user.language is None
    accounts.set_language(engine, user.id, "es_CO", now)
    with engine.connect() as connection:
        assert accounts.by_id(connection, user.id).language == "es"
    accounts.set_language(engine, user.id, None, now)
    with engine.connect() as connection:
        assert accounts.by_id(connection, user.id).language is None
    with pytest.raises(ValueError):
        accounts.set_language(engine, user.id, "klingon", now)
    engine.dispose()
