"""The history page through AppTest: masked rows, scoped per role, audited reveal and export."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from streamlit.testing.v1 import AppTest

from clinic import accounts, audit, config, db, runtime
from clinic.predictions import predict_and_store
from components.plain import unescape
from tests.pages.support import signed_in_app
from tests.support import MEASUREMENTS

PEOPLE = [("ana", "Zacarías Quiñónez", "9.876.543-2"), ("bruno", "Tomás Ñañez", "55.666.777")]


def _history(tmp_path, monkeypatch, champion, role: str) -> AppTest:
    at = signed_in_app(tmp_path, monkeypatch, role=role)
    clinic = runtime.start(config.load())
    now = datetime.now(UTC)
    with db.writing(clinic.engine) as connection:
        for name in ("ana", "bruno"):
            accounts.add(
                connection,
                "t",
                name,
                name,
                "clinician",
                "seven blue doors on a wet street",
                temporary=False,
                now=now,
            )
    for actor, full_name, national_id in PEOPLE:
        predict_and_store(
            clinic.engine,
            clinic.vault,
            champion,
            actor=actor,
            full_name=full_name,
            national_id=national_id,
            measurements=MEASUREMENTS,
        )
    at.switch_page("views/history.py").run()
    return at


def _page_text(at: AppTest) -> str:
    parts = [e.value for e in [*at.markdown, *at.caption, *at.info, *at.warning, *at.error]]
    parts += [at.dataframe[0].value.to_csv()] if at.dataframe else []
    return " ".join(str(p) for p in parts)


def test_supervisor_sees_masked_rows_and_reveals_one_with_a_reason(
    tmp_path, monkeypatch, champion
) -> None:
    at = _history(tmp_path, monkeypatch, champion, "supervisor")
    table = at.dataframe[0].value
    assert sorted(table["national_id_masked"]) == ["••••5432", "••••6777"]
    assert len(at.get("plotly_chart")) == 3  # weekly, bands, share by version
    text = _page_text(at)
    for _, full_name, national_id in PEOPLE:
        assert full_name not in text and national_id not in text

    record = int(table[table["national_id_masked"] == "••••5432"]["id"].iloc[0])
    assert _field(at, "selectbox", "Record").value is None  # nothing chosen for the supervisor
    assert _field(at, "selectbox", "Purpose").value is None
    _reveal(at)
    assert "Choose the record" in at.error[0].value
    _field(at, "selectbox", "Record").set_value(record)
    _reveal(at)
    assert "Choose the purpose" in at.error[0].value
    _field(at, "selectbox", "Purpose").set_value("treatment")
    _field(at, "text_input", "Reason").input("short")
    _reveal(at)
    assert "at least 10" in at.error[0].value
    assert "Zacarías" not in _page_text(at)
    assert not [e for e in _events() if e["action"].startswith("reveal")]

    _field(at, "text_input", "Reason").input("Call Quinonez back")
    _reveal(at)
    assert "must not contain any name" in at.error[0].value
    assert _field(at, "text_input", "Reason").value == "Call Quinonez back"  # kept, to correct
    assert (_field(at, "selectbox", "Record").value, _field(at, "selectbox", "Purpose").value) == (
        record,
        "treatment",
    )

    _field(at, "text_input", "Reason").input("Arrange follow-up CD4 test")
    _reveal(at)
    shown = unescape(at.warning[0].value)  # typed text is shown literally, not as markdown
    assert "Zacarías Quiñónez" in shown and "9.876.543-2" in shown
    assert not at.info  # the name on file is the same
    reveals = [e for e in _events() if e["action"] == "reveal"]
    assert len(reveals) == 1 and reveals[0]["target"] == str(record)
    assert "Zacarías" not in str({k: at.session_state[k] for k in at.session_state})

    at.run()  # any next interaction: the identity is gone, and the form is empty again
    assert "Zacarías" not in _page_text(at)
    assert _field(at, "text_input", "Reason").value == ""
    assert _field(at, "selectbox", "Record").value is None


def test_a_reveal_shows_the_name_typed_with_the_record_not_a_later_one(
    tmp_path, monkeypatch, champion
) -> None:
    """Issue 14.2: bruno types another name for ana's patient's ID; ana's record still shows,
    and reveals, what ana typed, and says (without showing it) that the name on file differs."""
    at = _history(tmp_path, monkeypatch, champion, "supervisor")
    clinic = runtime.start(config.load())
    later = predict_and_store(
        clinic.engine,
        clinic.vault,
        champion,
        actor="bruno",
        full_name="Mallory Overwrite",
        national_id="98765432",
        measurements=MEASUREMENTS,
    )
    at.run()
    table = at.dataframe[0].value
    named = dict(zip(table["id"], table["name_masked"], strict=True))
    assert named[later.id] == "M. O." and sorted(named.values()) == ["M. O.", "T. Ñ.", "Z. Q."]
    first = int(table[table["name_masked"] == "Z. Q."]["id"].iloc[0])
    _field(at, "selectbox", "Record").set_value(first)
    _field(at, "selectbox", "Purpose").set_value("treatment")
    _field(at, "text_input", "Reason").input("Arrange follow-up CD4 test")
    _reveal(at)
    assert "Zacarías Quiñónez" in at.warning[0].value
    assert "name on file for this national ID" in at.info[0].value
    assert "Mallory" not in _page_text(at)


def _field(at: AppTest, kind: str, label: str):
    return next(w for w in getattr(at, kind) if w.label == label)


def _reveal(at: AppTest) -> AppTest:
    return next(b for b in at.button if b.label == "Reveal identity").click().run()


def _events() -> list:
    return list(audit.search(runtime.start(config.load()).engine))


def test_clinician_sees_only_their_own_and_no_reveal(tmp_path, monkeypatch, champion) -> None:
    at = _history(tmp_path, monkeypatch, champion, "clinician")
    assert at.dataframe[0].value.empty  # carla made none of them
    assert not [b for b in at.button if b.label == "Reveal identity"]
    next(t for t in at.text_input if t.label == "Find a patient by national ID").input("98765432")
    at.run()
    assert "No patient with that national ID" in at.info[0].value


@pytest.mark.parametrize("typed", ["9.876.543-2", "98765432"])
def test_lookup_opens_the_patients_timeline(tmp_path, monkeypatch, champion, typed) -> None:
    at = _history(tmp_path, monkeypatch, champion, "supervisor")
    next(t for t in at.text_input if t.label == "Find a patient by national ID").input(typed)
    at.run()
    assert at.dataframe[0].value["national_id_masked"].tolist() == ["••••5432"]
    assert len(at.get("plotly_chart")) == 1


def test_supervisor_filters_by_clinician_class_and_sorts_by_risk(
    tmp_path, monkeypatch, champion
) -> None:
    at = _history(tmp_path, monkeypatch, champion, "supervisor")
    assert next(s for s in at.selectbox if s.label == "Clinician").options == [
        "Any",
        "ana",
        "bruno",
    ]
    next(s for s in at.selectbox if s.label == "Clinician").set_value("ana").run()
    assert at.dataframe[0].value["clinician"].tolist() == ["ana"]
    assert any(c.value.startswith("1 matching predictions") for c in at.caption)
    next(s for s in at.selectbox if s.label == "Class").set_value(
        not bool(at.dataframe[0].value["infected"].iloc[0])
    ).run()
    assert at.dataframe[0].value.empty
    sort = next(s for s in at.selectbox if s.label == "Sort")
    assert sort.options == ["Newest first", "Oldest first", "Highest risk first"]


def test_clinician_has_no_clinician_filter(tmp_path, monkeypatch, champion) -> None:
    at = _history(tmp_path, monkeypatch, champion, "clinician")
    labels = [s.label for s in at.main.selectbox]
    assert labels == ["Class", "Model version", "Sort", "Why this score? Pick a record"]


def test_a_records_explanation_can_be_opened_from_the_list(tmp_path, monkeypatch, champion) -> None:
    at = _history(tmp_path, monkeypatch, champion, "supervisor")
    record = int(at.dataframe[0].value["id"].iloc[0])
    next(s for s in at.selectbox if s.label.startswith("Why this score")).set_value(record).run()
    assert any(m.value == "**Why this score**" for m in at.markdown)
    assert len(at.get("plotly_chart")) == 4  # three overview charts and the explanation
