"""Checking what a clinician typed against the schema, reporting every problem by field.

The messages are in the reader's language (clinic.i18n), written when the check runs; the
helpers below also show a field's label, unit, choices and ranges in that language.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from numbers import Real

from clinic import i18n
from clinic.i18n import N_, _
from clinic.identity import Identity, clean_name, name_problem, national_id_problem
from model_store.schema import FIELDS, Field, describe_range, number_text

FULL_NAME = "full_name"
NATIONAL_ID = "national_id"
IDENTITY_LABELS = {FULL_NAME: N_("Full name"), NATIONAL_ID: N_("National ID")}
"""Column code -> its label, in English: translate where shown (`_(IDENTITY_LABELS[code])`)."""


class InvalidInput(ValueError):
    """One or more fields are wrong; `problems` maps each field code to a specific message."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        self.problems = dict(problems)
        super().__init__("; ".join(self.problems.values()))


def shown_number(value: float) -> str:
    """12, 72.5 / 72,5: `schema.number_text` in the reader's language."""
    return i18n.decimal_mark(number_text(value))


def label(f: Field) -> str:
    return _(f.label)


def unit(f: Field) -> str:
    return _(f.unit) if f.unit else ""


def choice(f: Field, value: int) -> str:
    """The text of one of a categorical field's choices."""
    return _(f.choices[value]) if f.choices is not None else str(value)


def shown_range(f: Field, bounds: tuple[float, float]) -> str:
    """'0–120 years' / '0–120 años': `schema.describe_range` in the reader's language."""
    return describe_range(f, bounds, text=_, number=shown_number)


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
        return None, _("{label} is required.").format(label=label(f))
    value = _number(raw)
    if value is None or not math.isfinite(value):
        return None, _("{label} must be a number.").format(label=label(f))
    if f.choices is not None:
        if value not in f.choices:
            options = ", ".join(choice(f, k) for k in f.choices)
            return None, _("{label} must be one of: {options}.").format(
                label=label(f), options=options
            )
        return int(value), None
    lo, hi = f.valid_range
    if not lo <= value <= hi:
        return None, _("{label} must be between {range}; got {value}.").format(
            label=label(f),
            range=shown_range(f, f.valid_range),
            value=i18n.decimal_mark(f"{value:g}"),
        )
    if f.integer:
        if value != int(value):
            return None, _("{label} must be a whole number of {unit}.").format(
                label=label(f), unit=unit(f)
            )
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
            notes[f.code] = _(
                "{label} {value} {unit} is outside the training data ({range}): "
                "the model is extrapolating."
            ).format(
                label=label(f),
                value=i18n.decimal_mark(f"{values[f.code]:g}"),
                unit=unit(f),
                range=shown_range(f, f.training_range),
            )
    return notes
