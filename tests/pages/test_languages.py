"""Every page walked in English and in Spanish with AppTest: a text that reads the same in both
(and is not a name, number or code) or an English word on a Spanish page is a string that
escaped the catalogue. Also: the language follows the user, and switching keeps what was typed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from clinic import access, accounts, config, db, demo, i18n, runtime, sessions
from clinic.access import Role
from clinic.tables import predictions
from clinic.tables import users as users_table
from components import language
from components.navigation import PAGES
from tests.clinic.support import batch_csv, batch_row
from tests.pages.language_walk import visible_texts
from tests.pages.support import APP, NAME, NATIONAL_ID, fill_form, fresh_clinic
from tests.support import MEASUREMENTS

PASSWORD = "seven blue doors on a wet street"
PEOPLE = {"clinician": "clara", "supervisor": "sofia", "admin": "adan"}

ENGLISH_WORDS = re.compile(
    r"\b(the|and|with|is|are|was|were|for|not|this|that|of|to|from|your|you|has|have|which|"
    r"will|been|be|only|or|its|it|than|when|there|after|before|each|every|here|no longer)\b",
    re.IGNORECASE,
)
"""Words that occur in English sentences and never in Spanish ones."""

SAME_IN_BOTH = frozenset(
    {"English", "Español", "Supervisor", "supervisor", "MLflow", "PSI", "ACTG 175"}
)
"""Texts that are rightly the same in both languages: language names (each in itself), words
Spanish shares, product names."""

_NEUTRAL = re.compile(r"[^\W\d_]{3,}")


_CODE = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)+")
"""An identifier such as an audit event type (user.add) or an actor (demo-data): data."""


def _needs_words(text: str, data: set[str]) -> bool:
    """Does `text` hold a word to translate, once names, codes and numbers are set aside?"""
    if text in SAME_IN_BOTH or text in data or _CODE.fullmatch(text):
        return False
    rest = text
    for known in sorted(data | SAME_IN_BOTH, key=len, reverse=True):
        rest = rest.replace(known, " ")
    return any(not word.isupper() and word.lower() not in data for word in _NEUTRAL.findall(rest))


@pytest.fixture
def clinic_dir(trained_store, champion, tmp_path, monkeypatch) -> Path:
    """A data dir with one account per role and 120 demo predictions by the clinician."""
    clinic = fresh_clinic(tmp_path, monkeypatch)
    now = datetime.now(UTC)
    with db.writing(clinic.engine) as connection:
        for role, username in PEOPLE.items():
            accounts.add(
                connection,
                "test",
                username,
                username.title(),
                role,
                PASSWORD,
                temporary=False,
                now=now,
            )
    plan = demo.Plan(n=120, clinicians=[PEOPLE["clinician"]], now=now, days=30, seed=5)
    demo.generate(clinic.engine, clinic.vault, champion, plan, actor="test")
    clinic.engine.dispose()
    return tmp_path


def _signed_in(role: str, language: str | None) -> AppTest:
    """The app for `role`'s account, which has chosen `language` (None: never chose)."""
    clinic = runtime.start(config.load())
    now = datetime.now(UTC)
    with clinic.engine.connect() as connection:
        user = accounts.by_username(connection, PEOPLE[role])
    accounts.set_language(clinic.engine, user.id, language, now)
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.session_state["auth.token"] = sessions.start(clinic.engine, user.id, True, now)
    clinic.engine.dispose()
    return at.run()


def _submit(at: AppTest) -> AppTest:
    """Press the patient form's Predict, labelled in the language this thread speaks."""
    next(b for b in at.button if b.label == i18n.gettext("Predict")).click()
    return at.run()


@contextmanager
def _speaking(language: str) -> Iterator[None]:
    """The test's own thread in `language` too: AppTest calls a select box's format_func here
    when the test picks an option, and the label it looks for must be the one shown."""
    i18n.use(language)
    try:
        yield
    finally:
        i18n.use(i18n.DEFAULT)


def _walk(role: str, language: str) -> dict[str, set[str]]:
    with _speaking(language):
        return _walk_pages(role, language)


def _walk_pages(role: str, language: str) -> dict[str, set[str]]:
    """The texts of every page `role` may open, and of the states a user brings them to."""
    seen: dict[str, set[str]] = {}
    at = _signed_in(role, language)
    assert not at.exception, at.exception
    seen["sidebar"] = visible_texts(at)
    for key, spec in PAGES.items():
        if access.may_open(Role(role), key):
            at.switch_page(spec.path).run()
            assert not at.exception, (key, at.exception)
            seen[key] = visible_texts(at)
            if key == "predict":
                seen["predict: empty submit"] = visible_texts(_submit(at))
                fill_form(at, MEASUREMENTS)
                seen["predict: result"] = visible_texts(_submit(at))
            if key == "batch":
                data = batch_csv([batch_row(0), batch_row(1, age="-4"), batch_row(2)])
                at.file_uploader(key="batch.file").upload("list.csv", data, "text/csv")
                seen["batch: checked"] = visible_texts(at.run())
                at.main.button[-1].click()  # Score and store (the sidebar holds Log out)
                seen["batch: stored"] = visible_texts(at.run())
            assert not at.exception, (key, at.exception)
    return seen


def _data_words() -> set[str]:
    """Names, usernames and codes that appear as data on the pages: not for translating."""
    from clinic.tables import audit_events
    from model_store.card import COMPARED
    from model_store.recipe import HYPER_PARAMS
    from model_store.schema import CODES

    return {
        *HYPER_PARAMS,  # the model card's settings table: scikit-learn's names and values
        *(str(value) for value in HYPER_PARAMS.values()),
        "True",
        "False",
        *COMPARED,
        *PEOPLE.values(),
        *(p.title() for p in PEOPLE.values()),
        *CODES,
        NAME,
        NATIONAL_ID,
        "test",  # the actor of the demo data and of the accounts, in the audit trail
        *_stored(select(audit_events.c.action).distinct()),  # event types: codes, not words
    }


def _stored(query) -> list:
    clinic = runtime.start(config.load())
    with clinic.engine.connect() as connection:
        found = list(connection.execute(query).scalars())
    clinic.engine.dispose()
    return found


@pytest.mark.parametrize("role", list(PEOPLE))
def test_every_page_reads_in_spanish(clinic_dir, role: str) -> None:
    english = _walk(role, "en")
    spanish = _walk(role, "es")
    assert english.keys() == spanish.keys()
    data = _data_words()
    untranslated = {
        page: sorted(t for t in spanish[page] & english[page] if _needs_words(t, data))
        for page in spanish
    }
    mixed = {page: sorted(t for t in spanish[page] if ENGLISH_WORDS.search(t)) for page in spanish}
    assert {p: t for p, t in untranslated.items() if t} == {}
    assert {p: t for p, t in mixed.items() if t} == {}


def _sign_in_walk(data_dir: Path, language: str, monkeypatch) -> dict[str, set[str]]:
    with _speaking(language):
        return _sign_in_steps(data_dir, language, monkeypatch)


def _sign_in_steps(data_dir: Path, language: str, monkeypatch) -> dict[str, set[str]]:
    """The texts of each step of signing in, in a browser that picked `language`."""
    seen: dict[str, set[str]] = {}

    def fresh(**state) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=120)
        at.session_state["language.chosen"] = language
        for key, value in state.items():
            at.session_state[key] = value
        return at.run()

    monkeypatch.setenv("CLINIC_DATA_DIR", str(data_dir / "empty"))
    st.cache_resource.clear()
    seen["first run"] = visible_texts(fresh())
    monkeypatch.setenv("CLINIC_DATA_DIR", str(data_dir))
    st.cache_resource.clear()
    at = fresh()
    seen["password"] = visible_texts(at)
    at.text_input[0].input(PEOPLE["clinician"])
    at.text_input[1].input("not the password at all")
    at.button[0].click()
    seen["password refused"] = visible_texts(at.run())
    clinic = runtime.start(config.load())
    now = datetime.now(UTC)
    with clinic.engine.connect() as connection:
        clinician = accounts.by_username(connection, PEOPLE["clinician"])
    with db.writing(clinic.engine) as connection:
        newcomer = accounts.by_username(connection, "nuevo") or accounts.add(
            connection, "test", "nuevo", "Nuevo", "clinician", PASSWORD, temporary=True, now=now
        )
    half = sessions.start(clinic.engine, clinician.id, False, now)
    at = fresh(**{"auth.token": half})
    seen["enrol"] = visible_texts(at)
    at.text_input[0].input("000000")
    at.button[0].click()
    seen["enrol refused"] = visible_texts(at.run())
    whole = sessions.start(clinic.engine, clinician.id, True, now)
    seen["recovery codes"] = visible_texts(
        fresh(**{"auth.token": whole, "auth.recovery_codes": (clinician.id, ["ABCD-EFGH"])})
    )
    seen["new password"] = visible_texts(
        fresh(**{"auth.token": sessions.start(clinic.engine, newcomer.id, True, now)})
    )
    clinic.engine.dispose()
    return seen


def test_signing_in_reads_in_spanish(clinic_dir, monkeypatch) -> None:
    english = _sign_in_walk(clinic_dir, "en", monkeypatch)
    spanish = _sign_in_walk(clinic_dir, "es", monkeypatch)
    data = _data_words()
    untranslated = {
        p: sorted(t for t in spanish[p] & english[p] if _needs_words(t, data)) for p in spanish
    }
    mixed = {p: sorted(t for t in spanish[p] if ENGLISH_WORDS.search(t)) for p in spanish}
    assert {p: t for p, t in untranslated.items() if t} == {}
    assert {p: t for p, t in mixed.items() if t} == {}
    assert "Iniciar sesión" in spanish["password"]


def _in(language: str, message: str) -> str:
    i18n.use(language)
    try:
        return i18n.gettext(message)
    finally:
        i18n.use(i18n.DEFAULT)


def _typed(at: AppTest) -> dict[str, object]:
    widgets = [*at.text_input, *at.number_input, *at.radio, *at.selectbox]
    return {w.key: w.value for w in widgets if w.key.startswith("patient_form.")}


def test_the_picker_switches_the_page_and_remembers_the_choice(clinic_dir) -> None:
    at = _signed_in("clinician", None)
    assert at.title[0].value == "New prediction"
    at.selectbox(key="language.picker").set_value("es").run()
    assert not at.exception
    assert at.title[0].value == _in("es", "New prediction") != "New prediction"
    assert _stored(select(users_table.c.language).where(users_table.c.username == "clara")) == [
        "es"
    ]
    assert _signed_in("clinician", None).title[0].value == "New prediction"  # never chose
    assert _signed_in("clinician", "es").title[0].value == _in("es", "New prediction")


def test_switching_language_keeps_what_was_typed(clinic_dir) -> None:
    """A clinician presses Predict with one value missing, switches to Spanish to read the
    message, finds everything typed still there, completes it and stores. AppTest reruns a
    page without app.py's sidebar, so the switch is made as the picker makes it (the session's
    choice); the real picker, with values typed and not yet submitted, is driven in Chromium
    (tests/browser/test_language_browser.py)."""
    at = _signed_in("clinician", None)
    count = select(func.count()).select_from(predictions)
    [before] = _stored(count)
    fill_form(at, MEASUREMENTS)
    at.number_input(key="patient_form.cd40").set_value(None)
    _submit(at)
    assert at.error and not at.exception
    typed = _typed(at)
    assert typed["patient_form.full_name"] == NAME and typed["patient_form.cd40"] is None

    at.session_state[language.CHOSEN] = "es"
    at.run()
    assert not at.exception
    assert at.title[0].value == _in("es", "New prediction")
    assert at.text_input(key="patient_form.full_name").label == _in("es", "Full name")
    assert _typed(at) == typed

    at.number_input(key="patient_form.cd40").set_value(MEASUREMENTS["cd40"])
    with _speaking("es"):
        _submit(at)
    assert not at.exception and not at.error
    assert _stored(count) == [before + 1]


def test_the_server_default_speaks_until_a_user_chooses(clinic_dir, monkeypatch) -> None:
    monkeypatch.setenv("CLINIC_LANGUAGE", "es")
    st.cache_resource.clear()
    assert _signed_in("clinician", None).title[0].value == _in("es", "New prediction")
    assert _signed_in("clinician", "en").title[0].value == "New prediction"
