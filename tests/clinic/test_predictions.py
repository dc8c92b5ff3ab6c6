"""The prediction use case on a real database, with the real registered model and real crypto."""

from __future__ import annotations

import math

import pytest
from sqlalchemy import func, select

from clinic import db, patients, runtime
from clinic.db import StorageUnavailable
from clinic.predictions import predict_and_store
from clinic.risk import RiskBand
from clinic.tables import patients as patients_table
from clinic.tables import predictions as predictions_table
from clinic.validation import InvalidInput
from model_store.schema import FIELDS
from tests.support import MEASUREMENTS, files_containing

NAME = "María José Ñúñez"
NATIONAL_ID = "1.234.567-8"


def _count(clinic, table) -> int:
    with clinic.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar_one()


@pytest.fixture
def clinic(config):
    return runtime.start(config)


def _store(clinic, model, **overrides):
    arguments = dict(
        actor="dr.house", full_name=NAME, national_id=NATIONAL_ID, measurements=MEASUREMENTS
    )
    arguments.update(overrides)
    return predict_and_store(clinic.engine, clinic.vault, model, **arguments)


def test_a_valid_patient_is_scored_stored_and_linked(clinic, small_model) -> None:
    result = _store(clinic, small_model)
    expected = small_model.predict(MEASUREMENTS)
    assert result.probability == pytest.approx(expected.probability, abs=1e-12)
    assert result.infected == (expected.probability >= small_model.threshold)
    assert result.model_version == small_model.version and result.model_name == "final_model"
    assert result.name_masked == "M. J. Ñ." and result.national_id_masked == "••••5678"
    with clinic.engine.connect() as connection:
        row = connection.execute(select(predictions_table)).one()
        assert row.probability == pytest.approx(result.probability, abs=1e-12)
        assert row.measurements == MEASUREMENTS
        assert row.created_by == "dr.house"
        assert row.risk_band == result.risk_band.value
        identity = patients.decrypt_identity(connection, clinic.vault, row.patient_id)
    assert identity.full_name == NAME and identity.national_id == NATIONAL_ID


def test_the_same_id_however_punctuated_is_the_same_patient(clinic, small_model) -> None:
    first = _store(clinic, small_model)
    second = _store(clinic, small_model, national_id="12345678", full_name="María José Ñúñez Gil")
    assert first.patient_id == second.patient_id
    assert _count(clinic, patients_table) == 1
    assert _count(clinic, predictions_table) == 2
    with clinic.engine.connect() as connection:
        assert patients.find(connection, clinic.vault, "12345678") == first.patient_id
        latest = patients.decrypt_identity(connection, clinic.vault, first.patient_id)
    assert latest.full_name == "María José Ñúñez Gil"


def test_out_of_range_value_names_the_field_and_stores_nothing(clinic, small_model) -> None:
    with pytest.raises(InvalidInput) as caught:
        _store(clinic, small_model, measurements={**MEASUREMENTS, "age": 130})
    assert list(caught.value.problems) == ["age"]
    assert caught.value.problems["age"] == "Age must be between 0–120 years; got 130."
    assert _count(clinic, predictions_table) == 0 and _count(clinic, patients_table) == 0


@pytest.mark.parametrize(
    ("code", "value", "message"),
    [
        ("cd40", float("nan"), "CD4 count at baseline must be a number."),
        ("cd40", math.inf, "CD4 count at baseline must be a number."),
        ("cd40", "lots", "CD4 count at baseline must be a number."),
        ("cd40", True, "CD4 count at baseline must be a number."),
        ("cd40", None, "CD4 count at baseline is required."),
        ("cd40", 120.5, "CD4 count at baseline must be a whole number of cells/mm³."),
        ("karnof", 75, "Karnofsky performance score must be one of: 70 – cares for self"),
        ("gender", 2, "Sex must be one of: Female, Male."),
    ],
)
def test_each_kind_of_bad_value_gets_a_specific_message(
    clinic, small_model, code, value, message
) -> None:
    with pytest.raises(InvalidInput) as caught:
        _store(clinic, small_model, measurements={**MEASUREMENTS, code: value})
    assert caught.value.problems[code].startswith(message)
    assert _count(clinic, predictions_table) == 0


def test_every_problem_is_reported_at_once(clinic, small_model) -> None:
    with pytest.raises(InvalidInput) as caught:
        _store(clinic, small_model, full_name="<script>", national_id="12", measurements={})
    assert set(caught.value.problems) == {"full_name", "national_id", *(f.code for f in FIELDS)}
    assert "letters" in caught.value.problems["full_name"]
    assert "5 to 20" in caught.value.problems["national_id"]


@pytest.mark.parametrize(
    "name", ["Robert'); DROP TABLE patients;--", "<b>Ana</b>", "Ana\x00", "A" * 121, "   "]
)
def test_hostile_names_are_refused(clinic, small_model, name) -> None:
    with pytest.raises(InvalidInput) as caught:
        _store(clinic, small_model, full_name=name)
    assert "full_name" in caught.value.problems
    assert _count(clinic, patients_table) == 0


def test_values_outside_training_data_are_flagged_not_refused(clinic, small_model) -> None:
    result = _store(clinic, small_model, measurements={**MEASUREMENTS, "age": 85})
    assert set(result.extrapolations) == {"age"}
    assert "extrapolating" in result.extrapolations["age"]


def test_risk_band_follows_the_threshold(clinic, small_model) -> None:
    result = _store(clinic, small_model)
    if result.probability >= result.threshold:
        assert result.risk_band is RiskBand.HIGH
    elif result.probability >= result.threshold / 2:
        assert result.risk_band is RiskBand.MODERATE
    else:
        assert result.risk_band is RiskBand.LOW


def test_database_outage_is_a_clear_error(clinic, small_model, tmp_path) -> None:
    if clinic.engine.dialect.name == "sqlite":
        unreachable = f"sqlite:///{tmp_path / 'missing-dir' / 'clinic.db'}"
    else:
        unreachable = clinic.engine.url.set(port=1).render_as_string(hide_password=False)
    with pytest.raises(StorageUnavailable, match="nothing was stored"):
        predict_and_store(
            db.make_engine(unreachable),
            clinic.vault,
            small_model,
            actor="dr.house",
            full_name=NAME,
            national_id=NATIONAL_ID,
            measurements=MEASUREMENTS,
        )
    assert _count(clinic, predictions_table) == 0


def test_no_identifier_reaches_any_file_under_the_data_dir(clinic, small_model, config) -> None:
    people = [("Zacarías Quiñónez", "9.876.543-2"), ("Eloísa Barragán", "CC 1020304050")]
    for name, national_id in people:
        _store(clinic, small_model, full_name=name, national_id=national_id)
    clinic.engine.dispose()
    secrets = [s for person in people for s in person]
    secrets += ["98765432", "CC1020304050", "1020304050", "Quiñónez", "Barragán"]
    assert files_containing(config.data_dir, secrets) == {}
    assert _count(clinic, predictions_table) == 2
