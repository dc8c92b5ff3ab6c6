"""The history page through AppTest: masked rows, scoped per role, audited reveal and export."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from streamlit.testing.v1 import AppTest

from clinic import audit, config, db, runtime, users
from clinic.predictions import predict_and_store
from tests.clinic.test_predictions import MEASUREMENTS
from tests.pages.test_predict_page import signed_in_app

PEOPLE = [("ana", "Zacarías Quiñónez", "9.876.543-2"), ("bruno", "Tomás Ñañez", "55.666.777")]


def _history(tmp_path, monkeypatch, champion, role: str) -> AppTest:
    at = signed_in_app(tmp_path, monkeypatch, role=role)
    clinic = runtime.start(config.load())
    now = datetime.now(UTC)
    with db.writing(clinic.engine) as connection:
        for name in ("ana", "bruno"):
            users.add(
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
    at.switch_page("pages/history.py").run()
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
    reveal_record = next(s for s in at.selectbox if s.label == "Record")
    reveal_record.set_value(record)
    next(t for t in at.text_input if t.label == "Reason").input("short")
    next(b for b in at.button if b.label == "Reveal identity").click()
    at.run()
    assert "at least 10" in at.error[0].value
    assert "Zacarías" not in _page_text(at)

    next(s for s in at.selectbox if s.label == "Record").set_value(record)
    next(t for t in at.text_input if t.label == "Reason").input("Arrange follow-up CD4 test")
    next(b for b in at.button if b.label == "Reveal identity").click()
    at.run()
    assert "Zacarías Quiñónez" in at.warning[0].value and "9.876.543-2" in at.warning[0].value
    clinic = runtime.start(config.load())
    reveals = [e for e in audit.search(clinic.engine) if e["action"] == "reveal"]
    assert len(reveals) == 1 and reveals[0]["target"] == str(record)
    assert "Zacarías" not in str({k: at.session_state[k] for k in at.session_state})

    at.run()  # any next interaction: the identity is gone
    assert "Zacarías" not in _page_text(at)


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
    labels = [s.label for s in at.selectbox]
    assert labels == ["Class", "Model version", "Sort", "Why this score? Pick a record"]


def test_a_records_explanation_can_be_opened_from_the_list(tmp_path, monkeypatch, champion) -> None:
    at = _history(tmp_path, monkeypatch, champion, "supervisor")
    record = int(at.dataframe[0].value["id"].iloc[0])
    next(s for s in at.selectbox if s.label.startswith("Why this score")).set_value(record).run()
    assert any(m.value == "**Why this score**" for m in at.markdown)
    assert len(at.get("plotly_chart")) == 4  # three overview charts and the explanation
