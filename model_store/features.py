"""Feature engineering: raw clinical fields in, the original project's 16 model inputs out.

The transformer lives inside the saved pipeline so that the model's signature is what a clinician
types (the raw schema fields), not pre-computed or standardised features.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import Pipeline

from model_store.schema import BY_CODE, CODES

RANDOM_STATE = 42
"""One seed for every random choice in training, so a re-run gives the same model."""

DIFFERENCES: dict[str, tuple[str, str]] = {
    "cd420": ("dif_cd4", "cd40"),
    "cd820": ("dif_cd8", "cd80"),
}
"""Follow-up count -> (feature name, baseline count): the model sees the change, not the level."""

_ORDINAL = "karnof"
_KARNOF_LEVELS = np.array(sorted(BY_CODE[_ORDINAL].choices or ()), dtype=float)

_INDEX = {code: i for i, code in enumerate(CODES)}
_DIFF_COLUMNS = [(_INDEX[late], _INDEX[base]) for late, (_, base) in DIFFERENCES.items()]
_ORDINAL_COLUMN = _INDEX[_ORDINAL]

FEATURE_NAMES: tuple[str, ...] = tuple(DIFFERENCES.get(c, (c,))[0] for c in CODES)
"""The model's inputs in the original project's order: schema order, 20-week counts -> changes."""


def raw_matrix(X: pd.DataFrame | np.ndarray) -> np.ndarray:
    """The raw fields as a float matrix in schema order; a clear error beats a silent NaN."""
    if isinstance(X, pd.DataFrame):
        missing = [c for c in CODES if c not in X.columns]
        if missing:
            raise ValueError(f"Missing clinical fields: {', '.join(missing)}")
        X = X[list(CODES)] if tuple(X.columns) != CODES else X
    values = np.asarray(X, dtype=float)
    if values.ndim != 2 or values.shape[1] != len(CODES):
        raise ValueError(
            f"Expected {len(CODES)} clinical fields in schema order, got shape {values.shape}"
        )
    if not np.isfinite(values).all():
        raise ValueError("Clinical fields must be finite numbers (no missing values)")
    return values


def raw_rows(rows: Sequence[Mapping[str, float]]) -> np.ndarray:
    """Patients' raw schema values (each keyed by field code, extra keys ignored) as a matrix in
    schema order, one row each."""
    try:
        return np.array([[float(row[code]) for code in CODES] for row in rows])
    except KeyError:
        missing = sorted({c for row in rows for c in CODES if c not in row}, key=CODES.index)
        raise ValueError(f"Missing clinical fields: {', '.join(missing)}") from None


def final_step_inputs(pipeline: Pipeline, raw: np.ndarray) -> tuple[np.ndarray, Any]:
    """What the pipeline's last step sees for raw rows (every earlier step applied), and that
    step: for the single-row fast path and the explanations, which both bypass predict_proba."""
    features = raw
    for _, step in pipeline.steps[:-1]:
        features = step.transform(features)
    return features, pipeline.steps[-1][1]


class ClinicalFeatures(TransformerMixin, BaseEstimator):
    """Stateless: derives CD4/CD8 changes and encodes the Karnofsky score as 0..3."""

    def fit(self, X: pd.DataFrame | np.ndarray, y: Any = None) -> ClinicalFeatures:
        raw_matrix(X)
        self.n_features_in_ = len(CODES)
        return self

    def transform(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        raw = raw_matrix(X)
        out = raw.copy()
        for late, base in _DIFF_COLUMNS:
            out[:, late] = raw[:, late] - raw[:, base]
        out[:, _ORDINAL_COLUMN] = _encode_karnof(raw[:, _ORDINAL_COLUMN])
        return out

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.asarray(FEATURE_NAMES, dtype=object)

    def __sklearn_is_fitted__(self) -> bool:
        return True


def _encode_karnof(scores: np.ndarray) -> np.ndarray:
    """70, 80, 90, 100 -> 0, 1, 2, 3 (the levels come from the schema's choices)."""
    pos = np.minimum(np.searchsorted(_KARNOF_LEVELS, scores), len(_KARNOF_LEVELS) - 1)
    known = _KARNOF_LEVELS[pos] == scores
    if not known.all():
        bad = sorted(set(scores[~known].tolist()))
        raise ValueError(f"Karnofsky score must be one of {_KARNOF_LEVELS.tolist()}, got {bad}")
    return pos.astype(float)


def build_pipeline(**rf_params: Any) -> Pipeline:
    """Features + random forest; n_jobs=1 because the app scores one patient at a time."""
    params = {"random_state": RANDOM_STATE, "n_jobs": 1, **rf_params}
    return Pipeline(
        [
            ("features", ClinicalFeatures()),
            ("forest", RandomForestClassifier(**params)),
        ]
    )
