"""The form's use case: one patient validated, then scored and stored (clinic.scoring)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine

from clinic import scoring
from clinic.validation import extrapolations, validate
from clinic.vault import Vault
from model_store.ports import Model

SOURCE = "form"


@dataclass(frozen=True)
class StoredPrediction(scoring.Stored):
    """A prediction as it was stored, with what the clinician typed and the model's threshold:
    what the result screen shows, with masked identity only."""

    created_by: str
    measurements: Mapping[str, float | int]
    threshold: float
    model_name: str

    @property
    def extrapolations(self) -> dict[str, str]:
        """Field code -> a note for each value outside the training data, worded when read so
        that it is in the reader's current language."""
        return extrapolations(self.measurements)


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
    [stored] = scoring.store(
        engine,
        model,
        [values],
        scoring.Intake(
            source=SOURCE,
            file=scoring.filed_as_typed(vault, [identity], actor),
            action="prediction",
            audited=_audited,
            chunk=1,
            insert=scoring.Insert.EACH,
        ),
        actor=actor,
        challenger=challenger,
    )
    assert stored.explanation is not None  # every new prediction from the form is explained
    return StoredPrediction(
        **vars(stored),
        created_by=actor,
        measurements=values,
        threshold=model.threshold,
        model_name=model.name,
    )


def _audited(_: range, stored: Sequence[scoring.Stored]) -> tuple[int, dict]:
    """The form's event names the record and its patient."""
    [prediction] = stored
    return prediction.id, {"patient_id": prediction.patient_id}
