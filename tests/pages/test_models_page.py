"""Model versions through AppTest: an admin compares and promotes; a running app serves the new
champion after the refresh; the challenger is scored but never shown; a registry outage keeps
the last model serving."""

from __future__ import annotations

from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from clinic import audit, config, runtime, shadow
from clinic.tables import predictions
from components import services
from model_store import tracking
from model_store.tracking import connect
from tests.pages.support import fill_form, press_predict, signed_in_app
from tests.support import MEASUREMENTS


def _apply(at: AppTest, change: str, version: str, reason: str) -> AppTest:
    at.radio[0].set_value(change)
    next(s for s in at.selectbox if s.label == "Version").set_value(version)
    next(t for t in at.text_input if t.label == "Reason").input(reason)
    next(b for b in at.button if b.label == "Apply").click()
    return at.run()


def _rows(tmp_path) -> list:
    clinic = runtime.start(config.load())
    with clinic.engine.connect() as connection:
        return connection.execute(select(predictions).order_by(predictions.c.id)).all()


def test_admin_compares_versions_and_promotes_with_a_reason(tmp_path, monkeypatch, versions):
    at = signed_in_app(tmp_path, monkeypatch, role="admin")
    at.switch_page("views/models.py").run()
    table = at.dataframe[0].value
    assert table["version"].tolist() == ["2", "1"]
    assert table["aliases"].tolist() == ["", "champion"]
    metrics = connect().get_run(connect().get_model_version("final_model", "1").run_id)
    assert table.set_index("version").loc["1", "cv_f1"] == metrics.data.metrics["cv_f1"]

    _apply(at, "promote", "2", "")
    assert "reason" in at.error[0].value and tracking.champion_version() == "1"
    _apply(at, "promote", "2", "Try the smaller forest")
    assert "@champion: 1 → 2" in at.success[0].value
    assert at.dataframe[0].value["aliases"].tolist() == ["champion", "previous"]
    events = audit.search(runtime.start(config.load()).engine)
    [event] = [e for e in events if e["action"] == "model.promote"]
    assert event["details"]["reason"] == "Try the smaller forest"


def test_a_running_app_serves_the_new_champion_after_the_refresh(tmp_path, monkeypatch, versions):
    at = signed_in_app(tmp_path, monkeypatch, role="clinician")
    fill_form(at, MEASUREMENTS)
    press_predict(at)
    assert "version 1" in " ".join(c.value for c in at.caption)
    from model_store import aliases

    aliases.promote("2")  # by an admin elsewhere: another replica, or the command line
    services._current_version.clear()  # the refresh window (60 s) has passed
    fill_form(at, {**MEASUREMENTS, "age": MEASUREMENTS["age"] + 1})
    press_predict(at)
    assert "version 2" in " ".join(c.value for c in at.caption)
    assert [r.model_version for r in _rows(tmp_path)] == ["1", "2"]


def test_the_challenger_is_stored_but_never_shown(tmp_path, monkeypatch, versions):
    from model_store import aliases, registry

    aliases.set_challenger("2")
    at = signed_in_app(tmp_path, monkeypatch, role="clinician")
    fill_form(at, MEASUREMENTS)
    press_predict(at)
    shadow.drain()
    [row] = _rows(tmp_path)
    assert row.challenger_version == "2" and row.model_version == "1"
    challenger = registry.load("models:/final_model/2").predict(MEASUREMENTS).probability
    assert row.challenger_probability == challenger
    assert f"{challenger:.1%}" != f"{row.probability:.1%}"  # the two models disagree here
    shown = " ".join(str(e.value) for e in [*at.metric, *at.markdown, *at.caption])
    shown += " ".join(chart.proto.spec for chart in at.get("plotly_chart"))
    assert f"{row.probability:.1%}" in shown
    assert f"{challenger:.1%}" not in shown and f"{challenger * 100:.1f}" not in shown


def test_registry_outage_keeps_the_last_model_serving(tmp_path, monkeypatch, versions):
    at = signed_in_app(tmp_path, monkeypatch, role="clinician")
    fill_form(at, MEASUREMENTS)
    press_predict(at)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'missing' / 'x' / 'db'}")
    services._current_version.clear()
    fill_form(at, {**MEASUREMENTS, "age": 40})
    press_predict(at)
    assert "still serving version 1" in at.warning[0].value
    assert [r.model_version for r in _rows(tmp_path)] == ["1", "1"]


def test_model_card_compares_champion_and_challenger_on_live_traffic(
    tmp_path, monkeypatch, versions
):
    from model_store import aliases

    aliases.set_challenger("2")
    at = signed_in_app(tmp_path, monkeypatch, role="supervisor")
    for age in (30, 50):
        fill_form(at, {**MEASUREMENTS, "age": age})
        press_predict(at)
    shadow.drain()
    at.switch_page("views/model_card.py").run()
    rows = _rows(tmp_path)
    table = at.dataframe[-1].value
    assert table["predictions scored by both"].tolist() == [2]
    same = sum(r.infected == r.challenger_infected for r in rows) / 2
    assert table["same class"].tolist() == [same]
    assert "(champion)" in " ".join(c.value for c in at.caption)
