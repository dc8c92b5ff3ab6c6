"""The model card page through AppTest: every role reads it, and its numbers are the run's."""

from __future__ import annotations

import pytest

from model_store.tracking import connect
from tests.pages.support import signed_in_app


@pytest.mark.parametrize("role", ["clinician", "supervisor", "admin"])
def test_every_role_reads_the_champions_card(
    tmp_path, monkeypatch, champion, trained_store, role
) -> None:
    at = signed_in_app(tmp_path, monkeypatch, role=role)
    at.switch_page("views/model_card.py").run()
    assert not at.exception and not at.error
    caption = " ".join(c.value for c in at.caption)
    assert f"version **{champion.version}** (champion)" in caption
    assert champion.run_id in caption
    metrics = connect().get_run(champion.run_id).data.metrics
    table = at.dataframe[0].value.set_index("metric")
    assert table.loc["f1", "hold-out"] == metrics["test_f1"]
    assert table.loc["roc auc", "cross-validated"] == metrics["cv_roc_auc"]
    assert table.loc["accuracy", "original project (hold-out)"] == 0.871
    assert len(at.get("plotly_chart")) == 5  # two confusion matrices, ROC, calibration, importances
    text = " ".join(m.value for m in at.markdown)
    assert "not a diagnosis" in text and "2,139 patients" in text
