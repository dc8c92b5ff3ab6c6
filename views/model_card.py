"""Model card (every role): what the serving model is, what it learned from, how good it is,
and where it should not be trusted. Numbers come from the version's MLflow run."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from clinic import i18n, shadow
from clinic.i18n import N_, _
from components import dataframe_format, model_charts, plots, services
from components.agreement_view import agreement_table
from components.guard import require
from model_store import card as model_card
from model_store.registry import ModelUnavailable

# The metrics the card shows: the run's metric name -> the name people read. (No bare strings
# here: Streamlit's magic would show them on the page.)
METRICS = {
    "accuracy": N_("accuracy"),
    "f1": N_("f1"),
    "precision": N_("precision"),
    "recall": N_("recall"),
    "roc_auc": N_("roc auc"),
    "brier": N_("brier"),
}

clinic, user = require("model")
st.title(_("Model card"))
model = services.current_model(clinic.config.model_uri)
if model is None:
    st.stop()
try:
    card = services.card(model, model.version)
except ModelUnavailable as exc:
    st.error(_("The model's records could not be read from MLflow. {error}").format(error=exc))
    st.stop()

aliases = ", ".join(_(model_card.ALIASES.get(a, a)) for a in card.aliases) or _("no alias")
st.caption(
    _(
        "**{name}** version **{version}** ({aliases}) · registered {date} · MLflow run `{run}`"
    ).format(
        name=card.name,
        version=card.version,
        aliases=aliases,
        date=i18n.day(card.registered_at),
        run=card.run_id,
    )
)

st.subheader(_("Intended use and limits"))
st.markdown(
    _(
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
)

st.subheader(_("Data"))
training = card.training
st.markdown(
    _(
        "ACTG 175 (AIDS Clinical Trials Group Study 175, United States, enrolled 1991-1994): "
        "adults with HIV-1 and CD4 counts of 200-500 cells/mm³, randomised to zidovudine, "
        "didanosine or combinations; distributed by the UCI Machine Learning Repository "
        "(CC BY 4.0). **{rows} patients**: {train} for training with {folds}-fold "
        "cross-validation, {test} held out. File sha256 `{sha}`; scikit-learn {sklearn}."
    ).format(
        rows=i18n.number(int(training.get("n_rows", 0))),
        train=i18n.number(int(training.get("n_train", 0))),
        folds=training.get("cv_folds", "?"),
        test=i18n.number(int(training.get("n_test", 0))),
        sha=training.get("data_sha256", _("unknown")),
        sklearn=training.get("sklearn_version", "?"),
    )
)

st.subheader(_("How good it is"))
cross_validated, hold_out = _("cross-validated"), _("hold-out")
original_project = _("original project (hold-out)")
rows = []
for name, label in METRICS.items():
    original = card.original.get(name)
    rows.append(
        {
            _("metric"): _(label),
            cross_validated: card.metrics.get(f"cv_{name}"),
            hold_out: card.metrics.get(f"test_{name}"),
            original_project: original,
        }
    )
st.dataframe(
    dataframe_format.localised(
        pd.DataFrame(rows), places=(cross_validated, hold_out, original_project)
    ),
    hide_index=True,
)
st.caption(
    _(
        "Decision threshold {threshold} (the F1-optimal cut-off on cross-validated predictions). "
        "Brier score: lower is better."
    ).format(threshold=i18n.number(card.metrics.get("threshold", 0), 3))
)
cv_matrix, test_matrix = st.columns(2)
plots.show(
    model_charts.confusion(card.confusion["cv"], _("Confusion matrix, cross-validated")), cv_matrix
)
plots.show(
    model_charts.confusion(card.confusion["test"], _("Confusion matrix, hold-out")), test_matrix
)
roc, calibration = st.columns(2)
plots.show(model_charts.roc(card.roc), roc)
plots.show(
    model_charts.calibration(card.calibration["predicted"], card.calibration["observed"]),
    calibration,
)

st.subheader(_("What it looks at"))
plots.show(model_charts.importances(card.importances))

st.subheader(_("Hyper-parameters"))
st.dataframe(
    pd.DataFrame(sorted(card.hyper_params.items()), columns=[_("parameter"), _("value")]),
    hide_index=True,
)

agreement_table(shadow.agreement(clinic.engine))
