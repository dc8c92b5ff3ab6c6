"""`mlflow models serve` takes what a clinician types and agrees with the app's in-process model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import requests

from benchmarks.rest_server import mlflow_serve
from model_store import registry
from model_store.schema import CODES, FIELDS


def _typed(row: pd.Series) -> dict[str, int | float]:
    """A patient as a clinician types it: whole numbers for integer fields, raw units."""
    return {f.code: int(row[f.code]) if f.integer else float(row[f.code]) for f in FIELDS}


def test_served_model_matches_loaded_model(
    trained_store: Path, data: pd.DataFrame, tmp_path: Path
) -> None:
    tracking_uri = f"sqlite:///{trained_store / 'mlflow.db'}"
    with mlflow_serve(tracking_uri, tmp_path, "models:/final_model@champion") as url:
        rows = data.sample(25, random_state=0)
        patients = [_typed(row) for _, row in rows.iterrows()]
        response = requests.post(
            f"{url}/invocations", json={"dataframe_records": patients}, timeout=30
        )
        assert response.status_code == 200, response.text
        served = np.asarray(response.json()["predictions"])
        assert served.shape == (25, 2)
        np.testing.assert_allclose(served.sum(axis=1), 1.0, atol=1e-12)

        model = registry.load()
        local = np.array([model.predict(p).probability for p in patients])
        np.testing.assert_allclose(served[:, 1], local, rtol=0, atol=1e-9)
        np.testing.assert_allclose(
            served[:, 1], model.predict_proba(rows[list(CODES)]), rtol=0, atol=1e-9
        )

        bad = requests.post(
            f"{url}/invocations",
            json={"dataframe_records": [{**patients[0], "karnof": 85}]},
            timeout=30,
        )
        assert bad.status_code >= 400
        assert "Karnofsky" in bad.text
