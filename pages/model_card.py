"""Model card (every role): what the serving model is, what it learned from, how good it is,
and where it should not be trusted. Numbers come from the version's MLflow run."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from clinic import shadow
from components import model_charts, plots, services
from components.agreement_view import agreement_table
from components.guard import require
from model_store.registry import ModelUnavailable

clinic, user = require("model")
st.title("Model card")
model = services.current_model(clinic.config.model_uri)
if model is None:
    st.stop()
try:
    card = services.card(model, model.version)
except ModelUnavailable as exc:
    st.error(f"The model's records could not be read from MLflow. {exc}")
    st.stop()

aliases = ", ".join(card.aliases) or "no alias"
st.caption(
    f"**{card.name}** version **{card.version}** ({aliases}) · registered "
    f"{card.registered_at:%Y-%m-%d} · MLflow run `{card.run_id}`"
)

st.subheader("Intended use and limits")
st.markdown(
    """
- **Use:** decision support for **prioritising follow-up** (which patients to test or see
  first). It is **not a diagnosis** and does not say whether someone has HIV: every person in
  its training data already had HIV-1.
- **What it predicts:** the ACTG 175 trial outcome `cid`: an **AIDS-defining event or death
  during follow-up** (the original project called it *infected*).
- **Where not to trust it:** people unlike the trial's (children, pregnancy, people on modern
  antiretroviral therapy, other countries and eras), values outside the training ranges (the
  form warns), and decisions about a single patient without clinical judgement.
- **Why follow-up time dominates:** `time` is the days until the event *or censoring*: people
  with an event tend to have shorter follow-up, so the model leans on it heavily (see the
  importances below; cross-validated ROC AUC falls from about 0.93 to about 0.75 without it).
  A short follow-up time raises the score for that reason, not because of biology.
"""
)

st.subheader("Data")
training = card.training
st.markdown(
    f"ACTG 175 (AIDS Clinical Trials Group Study 175, United States, enrolled 1991-1994): "
    f"adults with HIV-1 and CD4 counts of 200-500 cells/mm³, randomised to zidovudine, "
    f"didanosine or combinations; distributed by the UCI Machine Learning Repository "
    f"(CC BY 4.0). **{int(training.get('n_rows', 0)):,} patients**: "
    f"{int(training.get('n_train', 0)):,} for training with {training.get('cv_folds', '?')}-fold "
    f"cross-validation, {int(training.get('n_test', 0)):,} held out. "
    f"File sha256 `{training.get('data_sha256', 'unknown')}`; scikit-learn "
    f"{training.get('sklearn_version', '?')}."
)

st.subheader("How good it is")
rows = []
for name in ("accuracy", "f1", "precision", "recall", "roc_auc", "brier"):
    original = card.original.get(name)
    rows.append(
        {
            "metric": name.replace("_", " "),
            "cross-validated": card.metrics.get(f"cv_{name}"),
            "hold-out": card.metrics.get(f"test_{name}"),
            "original project (hold-out)": original,
        }
    )
st.dataframe(
    pd.DataFrame(rows),
    hide_index=True,
    column_config={
        c: st.column_config.NumberColumn(c, format="%.3f")
        for c in ("cross-validated", "hold-out", "original project (hold-out)")
    },
)
st.caption(
    f"Decision threshold {card.metrics.get('threshold', 0):.3f} (the F1-optimal cut-off on "
    "cross-validated predictions). Brier score: lower is better."
)
cv_matrix, test_matrix = st.columns(2)
cv_matrix.plotly_chart(
    model_charts.confusion(card.confusion["cv"], "Confusion matrix, cross-validated"),
    config=plots.CONFIG,
)
test_matrix.plotly_chart(
    model_charts.confusion(card.confusion["test"], "Confusion matrix, hold-out"),
    config=plots.CONFIG,
)
roc, calibration = st.columns(2)
roc.plotly_chart(model_charts.roc(card.roc), config=plots.CONFIG)
calibration.plotly_chart(
    model_charts.calibration(card.calibration["predicted"], card.calibration["observed"]),
    config=plots.CONFIG,
)

st.subheader("What it looks at")
st.plotly_chart(model_charts.importances(card.importances), config=plots.CONFIG)

st.subheader("Hyper-parameters")
st.dataframe(
    pd.DataFrame(sorted(card.hyper_params.items()), columns=["parameter", "value"]),
    hide_index=True,
)

agreement_table(shadow.agreement(clinic.engine))
