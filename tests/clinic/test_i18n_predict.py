"""The prediction and batch texts, once made translatable, still read exactly as before in
English (the default language): the screens' own wording matches the model's and the README's."""

from __future__ import annotations

from datetime import UTC, datetime

from clinic import batch, i18n, prioritised_list
from clinic.i18n import _
from clinic.risk import RiskBand
from clinic.validation import extrapolations, shown_number, shown_range
from components.explanation_chart import sentence
from model_store.schema import FIELDS, describe_range, markdown_table
from tests.support import MEASUREMENTS


def test_explanations_speak_clinically_in_either_language() -> None:
    values = {**MEASUREMENTS, "cd40": 120, "cd420": 90, "wtkg": 72.5, "karnof": 80, "drugs": 1}
    assert sentence("cd40", values, 0.03) == "CD4 count at baseline 120 cells/mm³: raises risk"
    assert sentence("cd420", values, -0.01) == (
        "CD4 count at 20 weeks 90 cells/mm³ (change -30): lowers risk"
    )
    assert sentence("karnof", values, 0.02) == "Karnofsky performance score (80): raises risk"
    assert sentence("drugs", values, -0.01) == "History of IV drug use (Yes): lowers risk"
    i18n.use("es")
    try:
        assert sentence("wtkg", values, 0.01) == "Peso 72,5 kg: aumenta el riesgo"
        assert sentence("drugs", values, -0.01) == (
            "Antecedente de uso de drogas intravenosas (Sí): reduce el riesgo"
        )
    finally:
        i18n.use(i18n.DEFAULT)


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
    result = batch.Result(
        id=7,
        new=True,
        patient_id="p",
        created_at=datetime(2026, 11, 30, tzinfo=UTC),
        name_masked="A. B.",
        national_id_masked="••••5678",
        probability=0.61234,
        infected=True,
        risk_band=RiskBand.HIGH,
        model_version="3",
        explanation=None,
        line=2,
    )
    assert prioritised_list.masked_table([result]) == [
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
    assert prioritised_list.masked_csv([]) == "Line\r\n"
