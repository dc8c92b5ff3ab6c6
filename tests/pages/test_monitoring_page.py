"""The monitoring page through AppTest: shifted patients are flagged, calm ones are not, and
only supervisors and administrators may look."""

from __future__ import annotations

from datetime import UTC, datetime

from streamlit.testing.v1 import AppTest

from clinic import config, demo, runtime
from tests.pages.support import run_directly, signed_in_app


def _history(champion, *, shifted: bool) -> None:
    clinic = runtime.start(config.load())
    plan = demo.Plan(
        n=1500, clinicians=["ana"], now=datetime.now(UTC), days=20, seed=3, shifted=shifted
    )
    demo.generate(clinic.engine, clinic.vault, champion, plan, actor="test")
    clinic.engine.dispose()


def _monitoring(tmp_path, monkeypatch, role: str = "supervisor") -> AppTest:
    return signed_in_app(tmp_path, monkeypatch, role=role).switch_page("views/monitoring.py")


def test_shifted_inputs_are_flagged(trained_store, champion, tmp_path, monkeypatch) -> None:
    at = _monitoring(tmp_path, monkeypatch)
    _history(champion, shifted=True)
    at.run()
    assert not at.exception
    assert at.metric[0].value == "1,500"
    warning = at.warning[0].value
    for label in ("Age", "CD4 count at baseline", "Weight"):
        assert label in warning
    table = at.dataframe[0].value.set_index("Input")
    assert table.loc["Age", "Shifted"] == "yes" and table.loc["Age", "PSI"] > 0.2
    assert table.loc["Sex", "Shifted"] == ""
    assert table["PSI"].tolist() == sorted(table["PSI"], reverse=True)
    overlay = at.get("plotly_chart")[0].proto.spec
    assert "Training data (ACTG 175)" in overlay and "Recent predictions" in overlay


def test_patients_like_the_trials_raise_no_flag(
    trained_store, champion, tmp_path, monkeypatch
) -> None:
    at = _monitoring(tmp_path, monkeypatch, role="admin")
    _history(champion, shifted=False)
    at.run()
    assert not at.exception and not at.warning
    assert "No input has shifted" in at.success[0].value


def test_clinicians_cannot_open_it(trained_store, tmp_path, monkeypatch) -> None:
    direct = run_directly(signed_in_app(tmp_path, monkeypatch, role="clinician"), "monitoring")
    assert "Your role does not give access" in direct.error[0].value
    assert not direct.metric
