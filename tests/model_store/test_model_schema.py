"""The schema agrees with the data it claims to describe and with the logged model's signature."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model_store import tracking, train
from model_store.schema import BY_CODE, CODES, FIELDS, TARGET


def test_every_field_is_a_column_of_the_data(data: pd.DataFrame) -> None:
    assert len(CODES) == 16
    assert len(set(CODES)) == len(CODES)
    assert set(CODES) <= set(data.columns)
    assert TARGET in data.columns and TARGET not in CODES
    assert len(data) == 2139
    assert sorted(data[TARGET].unique().tolist()) == [0, 1]


@pytest.mark.parametrize("code", CODES)
def test_training_range_is_the_data_range(data: pd.DataFrame, code: str) -> None:
    field = BY_CODE[code]
    lo, hi = data[code].min(), data[code].max()
    # The schema writes ranges to two decimals (wtkg's maximum is 159.93936 -> 159.94).
    assert field.training_range == (round(lo, 2), round(hi, 2))


@pytest.mark.parametrize("code", CODES)
def test_valid_range_contains_training_range(code: str) -> None:
    field = BY_CODE[code]
    assert field.valid_range[0] <= field.training_range[0] <= field.training_range[1]
    assert field.training_range[1] <= field.valid_range[1]


@pytest.mark.parametrize("code", CODES)
def test_integer_flag_matches_the_data(data: pd.DataFrame, code: str) -> None:
    values = data[code].to_numpy(dtype=float)
    assert BY_CODE[code].integer == bool(np.all(values == np.round(values)))


@pytest.mark.parametrize("field", [f for f in FIELDS if f.categorical], ids=lambda f: f.code)
def test_choices_cover_the_values_in_the_data(data: pd.DataFrame, field) -> None:
    assert set(data[field.code].unique().tolist()) <= set(field.choices)


def test_logged_signature_is_the_raw_schema(trained_store) -> None:
    client = tracking.connect()
    version = client.get_model_version_by_alias(tracking.MODEL_NAME, tracking.CHAMPION)
    from mlflow.models import get_model_info

    signature = get_model_info(f"models:/{tracking.MODEL_NAME}/{version.version}").signature
    inputs = signature.inputs.to_dict()
    assert [c["name"] for c in inputs] == list(CODES)
    expected = ["long" if f.integer else "double" for f in FIELDS]
    assert [c["type"] for c in inputs] == expected
    assert BY_CODE["wtkg"].integer is False and inputs[CODES.index("wtkg")]["type"] == "double"
    assert signature.outputs.to_dict() == [
        {"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": (-1, 2)}}
    ]
    assert train.model_signature() == signature
