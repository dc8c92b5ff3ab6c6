"""Checking what a clinician typed against the schema, reporting every problem by field."""

from __future__ import annotations

import math
from collections.abc import Mapping
from numbers import Real

from clinic.identity import Identity, clean_name, name_problem, national_id_problem
from model_store.schema import FIELDS, Field, describe_range

FULL_NAME = "full_name"
NATIONAL_ID = "national_id"
IDENTITY_LABELS = {FULL_NAME: "Full name", NATIONAL_ID: "National ID"}


class InvalidInput(ValueError):
    """One or more fields are wrong; `problems` maps each field code to a specific message."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        self.problems = dict(problems)
        super().__init__("; ".join(self.problems.values()))


def _number(raw: object) -> float | None:
    """The numeric value of a form or CSV entry, or None when it is not a number at all."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, Real):
        return float(raw)
    if isinstance(raw, str):
        try:
            return float(raw.strip().replace(",", "."))
        except ValueError:
            return None
    return None


def measurement_problem(f: Field, raw: object) -> tuple[float | int | None, str | None]:
    """(value, None) when `raw` is acceptable for field `f`, else (None, message)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, f"{f.label} is required."
    value = _number(raw)
    if value is None or not math.isfinite(value):
        return None, f"{f.label} must be a number."
    if f.choices is not None:
        if value not in f.choices:
            options = ", ".join(f.choices.values())
            return None, f"{f.label} must be one of: {options}."
        return int(value), None
    lo, hi = f.valid_range
    if not lo <= value <= hi:
        return None, f"{f.label} must be between {describe_range(f, f.valid_range)}; got {value:g}."
    if f.integer:
        if value != int(value):
            return None, f"{f.label} must be a whole number of {f.unit}."
        return int(value), None
    return value, None


def validate(
    full_name: object, national_id: object, measurements: Mapping[str, object]
) -> tuple[Identity, dict[str, float | int]]:
    """The identity and the measurements, clean; or InvalidInput listing every bad field."""
    problems: dict[str, str] = {}
    name = clean_name(full_name) if isinstance(full_name, str) else ""
    nid = national_id.strip() if isinstance(national_id, str) else ""
    if problem := name_problem(name):
        problems[FULL_NAME] = problem
    if problem := national_id_problem(nid):
        problems[NATIONAL_ID] = problem
    values: dict[str, float | int] = {}
    for f in FIELDS:
        value, problem = measurement_problem(f, measurements.get(f.code))
        if problem:
            problems[f.code] = problem
        else:
            values[f.code] = value
    if problems:
        raise InvalidInput(problems)
    return Identity(name, nid), values


def extrapolations(values: Mapping[str, float]) -> dict[str, str]:
    """Values outside what the model saw in training: field code -> a note for the clinician."""
    notes = {}
    for f in FIELDS:
        lo, hi = f.training_range
        if f.choices is None and not lo <= values[f.code] <= hi:
            notes[f.code] = (
                f"{f.label} {values[f.code]:g} {f.unit} is outside the training data "
                f"({describe_range(f, f.training_range)}): the model is extrapolating."
            )
    return notes
