"""Whatever a browser, a CSV or an attacker sends, the use case never crashes, never stores an
invalid row, and names the field in every rejection (hypothesis, 10,000 generated inputs)."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from clinic import patients, runtime
from clinic.config import Config
from clinic.predictions import predict_and_store
from clinic.tables import predictions
from clinic.validation import IDENTITY_LABELS, InvalidInput, validate
from model_store.schema import BY_CODE, FIELDS
from tests.support import MEASUREMENTS

EXAMPLES = 10_000
ATTACKS = [
    "'; DROP TABLE patients; --",
    "Robert'); DELETE FROM predictions;--",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "1 OR 1=1",
    "\x00",
    "𝕏" * 300,
    "a" * 100_000,
]
VALID_NAMES = ["María José Ñúñez", "Begoña O'Connor-Ibáñez", "Zoë Lúcia Çelik", "Ñusta Huamán"]


def _number_like() -> st.SearchStrategy:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**30), max_value=10**30),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=30),
        st.sampled_from(["", " ", "1,5", "1e400", "-0", "NaN", "inf", "0x10", "٣", *ATTACKS]),
        st.lists(st.integers(), max_size=2),
    )


def _good_value(code: str) -> st.SearchStrategy:
    f = BY_CODE[code]
    if f.choices is not None:
        return st.sampled_from(sorted(f.choices))
    lo, hi = f.valid_range
    if f.integer:
        return st.one_of(st.integers(int(lo), int(hi)), st.integers(int(lo), int(hi)).map(str))
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


_good_measurements = st.fixed_dictionaries({f.code: _good_value(f.code) for f in FIELDS})


@st.composite
def _one_bad_field(draw) -> dict:
    values = draw(_good_measurements)
    values[draw(st.sampled_from([f.code for f in FIELDS]))] = draw(_number_like())
    return values


_measurements = st.one_of(
    _good_measurements,
    _one_bad_field(),
    st.fixed_dictionaries(
        {}, optional={f.code: st.one_of(_good_value(f.code), _number_like()) for f in FIELDS}
    ),
)
_names = st.one_of(
    st.sampled_from(VALID_NAMES),
    st.from_regex(
        r"[A-Za-zÁÉÍÓÚÑáéíóúñü'\-]{2,12}( [A-Za-zÁÉÍÓÚÑáéíóúñü]{2,12}){0,3}", fullmatch=True
    ),
    st.sampled_from(ATTACKS),
    st.text(max_size=150),
    st.integers(),
)
_ids = st.one_of(
    st.from_regex(r"[0-9]{1,3}(\.[0-9]{3}){1,3}(-[0-9])?", fullmatch=True),
    st.from_regex(r"[A-Z]{0,2}[0-9]{5,12}", fullmatch=True),
    st.sampled_from(["1.234.567-8", "52 345 678", "AB-123456", *ATTACKS]),
    st.text(max_size=40),
    st.none(),
)


@pytest.fixture(scope="module")
def clinic(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("properties")
    return runtime.start(
        Config(
            data_dir=data_dir,
            database_url=f"sqlite:///{data_dir / 'clinic.db'}",
            model_uri="models:/final_model@champion",
            encryption_keys=None,
            index_key=None,
        )
    )


def _stored(clinic) -> int:
    with clinic.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(predictions)).scalar_one()


def test_any_input_is_stored_valid_or_rejected_by_field(clinic, small_model) -> None:
    """Also counts what the generated inputs reached: a strategy that only ever produced
    rejections, or only valid rows, would prove little."""
    before_all = _stored(clinic)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
        derandomize=True,
    )
    @given(full_name=_names, national_id=_ids, measurements=_measurements)
    def stored_valid_or_rejected_by_field(full_name, national_id, measurements) -> None:
        before = _stored(clinic)
        try:
            result = predict_and_store(
                clinic.engine,
                clinic.vault,
                small_model,
                actor="prop",
                full_name=full_name,
                national_id=national_id,
                measurements=measurements,
            )
        except InvalidInput as exc:
            assert exc.problems, "a rejection must say what is wrong"
            for code, message in exc.problems.items():
                label = IDENTITY_LABELS.get(code) or BY_CODE[code].label
                assert message.startswith(label), (code, message)
            assert _stored(clinic) == before
            return
        assert _stored(clinic) == before + 1
        identity, values = validate(full_name, national_id, measurements)  # it was valid
        assert dict(result.measurements) == values
        assert all(math.isfinite(v) for v in values.values())
        assert 0.0 <= result.probability <= 1.0
        with clinic.engine.connect() as connection:
            row = connection.execute(select(predictions).where(predictions.c.id == result.id)).one()
            stored = patients.decrypt_identity(connection, clinic.vault, row.patient_id)
        assert row.measurements == values
        assert stored.national_id_normalised == identity.national_id_normalised

    stored_valid_or_rejected_by_field()
    stored = _stored(clinic) - before_all
    assert EXAMPLES * 0.05 < stored < EXAMPLES * 0.95, stored


@pytest.mark.parametrize("name", VALID_NAMES)
def test_accented_names_are_valid_and_round_trip_exactly(clinic, small_model, name) -> None:
    result = predict_and_store(
        clinic.engine,
        clinic.vault,
        small_model,
        actor="prop",
        full_name=f"  {name}  ",
        national_id=f"9{VALID_NAMES.index(name):08d}",
        measurements=MEASUREMENTS,
    )
    with clinic.engine.connect() as connection:
        assert patients.decrypt_identity(connection, clinic.vault, result.patient_id).full_name == (
            name
        )
