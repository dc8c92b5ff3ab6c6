"""The prediction and batch texts, once made translatable, still read exactly as before in
English (the default language): the screens' own wording matches the model's and the README's."""

from __future__ import annotations

import pytest

from clinic import batch
from clinic.i18n import _
from clinic.risk import RiskBand
from clinic.validation import extrapolations, shown_number, shown_range
from components.explanation_chart import sentence
from model_store.explain import describe
from model_store.schema import FIELDS, describe_range, markdown_table
from tests.clinic.test_predictions import MEASUREMENTS


@pytest.mark.parametrize("code", [f.code for f in FIELDS])
@pytest.mark.parametrize("contribution", [0.03, -0.01])
def test_the_explanation_sentences_are_the_models_own(code: str, contribution: float) -> None:
    for values in (MEASUREMENTS, {**MEASUREMENTS, "cd40": 120, "cd420": 90, "wtkg": 80.25}):
        assert sentence(code, values, contribution) == describe(code, values, contribution)


def test_the_field_table_on_the_batch_page_is_the_readmes() -> None:
    assert markdown_table(text=_, number=shown_number) == markdown_table()
    for f in FIELDS:
        for bounds in (f.valid_range, f.training_range):
            assert shown_range(f, bounds) == describe_range(f, bounds)


def test_extrapolation_notes_read_as_before() -> None:
    notes = extrapolations({**MEASUREMENTS, "age": 75, "wtkg": 172.5})
    assert notes == {
        "age": "Age 75 years is outside the training data (12–70 years): the model is "
        "extrapolating.",
        "wtkg": "Weight 172.5 kg is outside the training data (31–159.94 kg): the model is "
        "extrapolating.",
    }


def test_risk_bands_have_words_for_people() -> None:
    assert [b.label for b in RiskBand] == ["Low", "Moderate", "High"]
    assert [b.word for b in RiskBand] == [b.value for b in RiskBand]
    assert [b.phrase for b in RiskBand] == ["Low risk", "Moderate risk", "High risk"]


def test_the_masked_list_keeps_its_english_headers() -> None:
    result = batch.Result(2, 7, "A. B.", "••••5678", 0.61234, True, RiskBand.HIGH, "3", True)
    assert batch.masked_table([result]) == [
        {
            "Line": 2,
            "Patient": "A. B.",
            "National ID": "••••5678",
            "Risk": 0.612,
            "Band": "high",
            "Class": "infected",
            "Record": 7,
        }
    ]
    assert batch.masked_csv([]) == "Line\r\n"
