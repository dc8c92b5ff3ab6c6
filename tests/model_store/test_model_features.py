"""The feature transformer, the pipeline factory and the skops trust list."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import skops.io
from sklearn.ensemble import RandomForestClassifier

from model_store.features import FEATURE_NAMES, ClinicalFeatures, build_pipeline
from model_store.persistence import TRUSTED_TYPES, load_pipeline
from model_store.recipe import HYPER_PARAMS
from model_store.schema import CODES, TARGET

ORIGINAL_INPUTS = [
    "time",
    "age",
    "wtkg",
    "preanti",
    "cd40",
    "dif_cd4",
    "cd80",
    "dif_cd8",
    "karnof",
    "hemo",
    "drugs",
    "race",
    "gender",
    "symptom",
    "treat",
    "offtrt",
]


def test_outputs_the_original_projects_16_inputs() -> None:
    assert list(FEATURE_NAMES) == ORIGINAL_INPUTS
    assert list(ClinicalFeatures().get_feature_names_out()) == ORIGINAL_INPUTS


def test_derives_differences_and_encodes_karnofsky(data: pd.DataFrame) -> None:
    raw = data[list(CODES)].head(50)
    out = pd.DataFrame(ClinicalFeatures().fit_transform(raw), columns=FEATURE_NAMES)
    assert out.shape == (50, 16)
    np.testing.assert_array_equal(out["dif_cd4"], raw["cd420"] - raw["cd40"])
    np.testing.assert_array_equal(out["dif_cd8"], raw["cd820"] - raw["cd80"])
    np.testing.assert_array_equal(out["karnof"], raw["karnof"].map({70: 0, 80: 1, 90: 2, 100: 3}))
    for same in ("time", "age", "wtkg", "preanti", "cd40", "cd80", "hemo", "offtrt"):
        np.testing.assert_array_equal(out[same], raw[same])


def test_first_row_by_hand(data: pd.DataFrame) -> None:
    # time 948, age 48, wtkg 89.8128, cd40 422, cd420 477, cd80 566, cd820 324, karnof 100
    out = ClinicalFeatures().transform(data[list(CODES)].head(1))[0]
    assert out[FEATURE_NAMES.index("dif_cd4")] == 55
    assert out[FEATURE_NAMES.index("dif_cd8")] == -242
    assert out[FEATURE_NAMES.index("karnof")] == 3
    assert out[FEATURE_NAMES.index("wtkg")] == pytest.approx(89.8128)


def test_accepts_columns_in_any_order_and_schema_ordered_arrays(data: pd.DataFrame) -> None:
    raw = data[list(CODES)].head(20)
    expected = ClinicalFeatures().transform(raw)
    np.testing.assert_array_equal(
        ClinicalFeatures().transform(raw[list(reversed(CODES))]), expected
    )
    np.testing.assert_array_equal(ClinicalFeatures().transform(data.head(20)), expected)
    np.testing.assert_array_equal(ClinicalFeatures().transform(raw.to_numpy()), expected)


def test_refuses_unknown_karnofsky_missing_fields_and_nan(data: pd.DataFrame) -> None:
    raw = data[list(CODES)].head(3).astype(float)
    with pytest.raises(ValueError, match=r"Karnofsky score must be one of .*got \[85.0\]"):
        ClinicalFeatures().transform(raw.assign(karnof=85))
    with pytest.raises(ValueError, match="Missing clinical fields: cd420, offtrt"):
        ClinicalFeatures().transform(raw.drop(columns=["cd420", "offtrt"]))
    with pytest.raises(ValueError, match="finite"):
        ClinicalFeatures().transform(raw.assign(age=np.nan))


def test_build_pipeline_fixes_seed_and_single_job() -> None:
    pipeline = build_pipeline(n_estimators=7)
    forest = pipeline.named_steps["forest"]
    assert isinstance(pipeline.named_steps["features"], ClinicalFeatures)
    assert isinstance(forest, RandomForestClassifier)
    assert (forest.n_estimators, forest.n_jobs, forest.random_state) == (7, 1, 42)


def test_trust_list_is_exactly_what_the_fitted_pipeline_needs(data: pd.DataFrame, tmp_path) -> None:
    pipeline = build_pipeline(**{**HYPER_PARAMS, "n_estimators": 3})
    pipeline.fit(data[list(CODES)], data[TARGET])
    path = tmp_path / "model.skops"
    skops.io.dump(pipeline, path)
    assert sorted(skops.io.get_untrusted_types(file=path)) == sorted(TRUSTED_TYPES)
    loaded = load_pipeline(path)
    np.testing.assert_array_equal(
        loaded.predict_proba(data[list(CODES)]), pipeline.predict_proba(data[list(CODES)])
    )


def test_trust_list_matches_the_registered_model_file(trained_store) -> None:
    files = list(trained_store.rglob("model.skops"))
    assert len(files) == 1
    assert sorted(skops.io.get_untrusted_types(file=files[0])) == sorted(TRUSTED_TYPES)
