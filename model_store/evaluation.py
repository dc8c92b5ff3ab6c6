"""Scoring a set of probabilities: the decision threshold, the metrics, the curves.

Pure functions of (labels, probabilities) so that a test can recompute what training logged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import plotly.graph_objects as go
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    confusion_matrix,
    f1_score,
    precision_recall_curve,
    precision_score,
    recall_score,
    roc_auc_score,
    roc_curve,
)

from model_store.texts import N_

METRICS: tuple[str, ...] = ("accuracy", "f1", "precision", "recall", "roc_auc", "brier")
"""Logged twice, as cv_<name> and test_<name>."""


def f1_optimal_threshold(y: np.ndarray, proba: np.ndarray) -> float:
    """The probability cut-off (positive when proba >= it) that maximises F1; lowest on ties."""
    precision, recall, thresholds = precision_recall_curve(y, proba)
    precision, recall = precision[:-1], recall[:-1]
    denominator = precision + recall
    f1 = np.divide(
        2 * precision * recall, denominator, out=np.zeros_like(denominator), where=denominator > 0
    )
    return float(thresholds[int(np.argmax(f1))])


def scores(y: np.ndarray, proba: np.ndarray, threshold: float) -> dict[str, float]:
    """The METRICS for probabilities `proba` read at `threshold`."""
    predicted = (proba >= threshold).astype(int)
    return {
        "accuracy": float(accuracy_score(y, predicted)),
        "f1": float(f1_score(y, predicted, zero_division=0)),
        "precision": float(precision_score(y, predicted, zero_division=0)),
        "recall": float(recall_score(y, predicted, zero_division=0)),
        "roc_auc": float(roc_auc_score(y, proba)),
        "brier": float(brier_score_loss(y, proba)),
    }


def confusion(y: np.ndarray, proba: np.ndarray, threshold: float) -> dict[str, Any]:
    """A JSON-ready confusion matrix: rows are the truth, columns the prediction."""
    matrix = confusion_matrix(y, (proba >= threshold).astype(int), labels=[0, 1])
    return {"labels": [0, 1], "threshold": threshold, "matrix": matrix.tolist()}


def roc_points(y: np.ndarray, proba: np.ndarray) -> dict[str, Any]:
    """A JSON-ready ROC curve (thresholds left out: the first one is +inf, not valid JSON)."""
    fpr, tpr, _ = roc_curve(y, proba)
    return {"fpr": fpr.tolist(), "tpr": tpr.tolist(), "roc_auc": float(roc_auc_score(y, proba))}


def roc_figure(
    curves: Mapping[str, Mapping[str, Any]],
    text: Callable[[str], str] = str,
    number: Callable[[float], str] = "{:.3f}".format,
) -> go.Figure:
    """One plotly figure with a line per named ROC curve: in English for the run's artifacts;
    the model card passes its translation (`text`) and number style (`number`)."""
    fig = go.Figure()
    for name, curve in curves.items():
        fig.add_trace(
            go.Scatter(
                x=curve["fpr"],
                y=curve["tpr"],
                mode="lines",
                name=text(N_("{name} (AUC {auc})")).format(name=name, auc=number(curve["roc_auc"])),
            )
        )
    fig.add_trace(
        go.Scatter(
            x=[0, 1],
            y=[0, 1],
            mode="lines",
            name=text(N_("chance")),
            line={"dash": "dash", "color": "grey"},
        )
    )
    fig.update_layout(
        title=text(N_("ROC curve")),
        xaxis_title=text(N_("False positive rate")),
        yaxis_title=text(N_("True positive rate")),
    )
    return fig
