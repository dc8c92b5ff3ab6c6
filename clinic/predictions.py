"""The use case: validate -> predict -> encrypt -> store -> audit, in one transaction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import Engine, insert

from clinic import audit, counts, db, patients, shadow
from clinic.identity import mask_name, mask_national_id
from clinic.risk import RiskBand, risk_band
from clinic.tables import predictions
from clinic.validation import extrapolations, validate
from clinic.vault import Vault
from model_store.explain import Explanation
from model_store.registry import Scored


class Versioned(Protocol):
    """Which model version scored a prediction, and its decision threshold."""

    name: str
    version: str
    threshold: float


class Model(Versioned, Protocol):
    """What the use case needs of a model (model_store.registry.LoadedModel provides it)."""

    def predict(self, measurements: Mapping[str, float]) -> Scored: ...

    def explain(self, measurements: Mapping[str, float]) -> Explanation: ...


@dataclass(frozen=True)
class StoredPrediction:
    """A prediction as it was stored: what the clinician is shown, with masked identity only."""

    id: int
    patient_id: str
    created_at: datetime
    created_by: str
    name_masked: str
    national_id_masked: str
    measurements: Mapping[str, float | int]
    probability: float
    infected: bool
    threshold: float
    risk_band: RiskBand
    model_name: str
    model_version: str
    explanation: Explanation

    @property
    def extrapolations(self) -> dict[str, str]:
        """Field code -> a note for each value outside the training data, worded when read so
        that it is in the reader's current language."""
        return extrapolations(self.measurements)


def new_row(
    model: Versioned,
    scored: Scored,
    *,
    patient_id: str,
    created_at: datetime,
    created_by: str,
    measurements: Mapping[str, float | int],
    **extra: object,
) -> dict:
    """A `predictions` row: whose, when, by whom, which model version and what it said."""
    return {
        "patient_id": patient_id,
        "created_at": created_at,
        "created_by": created_by,
        "model_name": model.name,
        "model_version": model.version,
        "threshold": model.threshold,
        "probability": scored.probability,
        "infected": scored.infected,
        "risk_band": risk_band(scored.probability, model.threshold).value,
        "measurements": measurements,
        **extra,
    }


def predict_and_store(
    engine: Engine,
    vault: Vault,
    model: Model,
    *,
    actor: str,
    full_name: object,
    national_id: object,
    measurements: Mapping[str, object],
    challenger: Model | None = None,
) -> StoredPrediction:
    """Score one patient and store the result linked to them; nothing is stored on any error.

    Raises InvalidInput (per-field messages) before anything else happens, and
    db.StorageUnavailable when the database cannot take the write. A `challenger` (another
    version) scores the stored record afterwards in the background (clinic.shadow).
    """
    identity, values = validate(full_name, national_id, measurements)
    scored = model.predict(values)
    explanation = model.explain(values)
    now = datetime.now(UTC)
    with db.writing(engine) as connection:
        filed = patients.upsert(connection, vault, identity, now, actor=actor)
        patient_id = filed.patient_id
        row = new_row(
            model,
            scored,
            patient_id=patient_id,
            name_id=filed.name_id,
            created_at=now,
            created_by=actor,
            measurements=values,
            explanation=explanation.to_json(),
        )
        record_id = connection.execute(
            insert(predictions).returning(predictions.c.id), row
        ).scalar_one()
        counts.add(connection, [row])
        audit.record(
            connection,
            actor,
            "prediction",
            target=record_id,
            details={"patient_id": patient_id, "model_version": model.version},
            at=now,
        )
    if challenger is not None and challenger.version != model.version:
        shadow.submit(engine, challenger, record_id, values)
    return StoredPrediction(
        id=record_id,
        patient_id=patient_id,
        created_at=now,
        created_by=actor,
        name_masked=mask_name(identity.full_name),
        national_id_masked=mask_national_id(identity.national_id),
        measurements=values,
        probability=scored.probability,
        infected=scored.infected,
        threshold=model.threshold,
        risk_band=RiskBand(row["risk_band"]),
        model_name=model.name,
        model_version=model.version,
        explanation=explanation,
    )
