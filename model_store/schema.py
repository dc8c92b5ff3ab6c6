"""The one list of clinical fields the model takes.

The form, validation, training, the MLflow signature, the README's table and the tests all read
`FIELDS`; nothing else may spell out a field's code, label, unit or range.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

TARGET = "infected"
"""The label column of the training data (ACTG 175's `cid`: AIDS-defining event or death)."""

NO_YES = MappingProxyType({0: "No", 1: "Yes"})


@dataclass(frozen=True)
class Field:
    """One clinical input: how it is asked for, what values are possible, what the model saw."""

    code: str
    label: str
    unit: str
    valid_range: tuple[float, float]
    training_range: tuple[float, float]
    help: str
    choices: Mapping[int, str] | None = None
    integer: bool = True
    group: str = "Clinical history"
    step: float = 1.0

    @property
    def categorical(self) -> bool:
        return self.choices is not None


def _choice(code: str, label: str, help_text: str, choices: Mapping[int, str], **kw) -> Field:
    values = sorted(choices)
    span = (float(values[0]), float(values[-1]))
    return Field(code, label, "", span, span, help_text, MappingProxyType(dict(choices)), **kw)


FIELDS: tuple[Field, ...] = (
    Field(
        "time",
        "Follow-up time",
        "days",
        (0, 3650),
        (14, 1231),
        "Days of follow-up (ACTG 175: days until an event or censoring). The model leans on it "
        "heavily; see the model card.",
        group="Follow-up and demographics",
    ),
    Field(
        "age",
        "Age",
        "years",
        (0, 120),
        (12, 70),
        "Age in years at baseline.",
        group="Follow-up and demographics",
    ),
    Field(
        "wtkg",
        "Weight",
        "kg",
        (1, 350),
        (31, 159.94),
        "Body weight in kilograms at baseline.",
        integer=False,
        step=0.1,
        group="Follow-up and demographics",
    ),
    Field(
        "preanti",
        "Prior antiretroviral therapy",
        "days",
        (0, 15000),
        (0, 2851),
        "Days of antiretroviral therapy before baseline (0 if none).",
        group="Follow-up and demographics",
    ),
    Field(
        "cd40",
        "CD4 count at baseline",
        "cells/mm³",
        (0, 5000),
        (0, 1199),
        "CD4+ T-cell count at baseline.",
        group="Laboratory",
    ),
    Field(
        "cd420",
        "CD4 count at 20 weeks",
        "cells/mm³",
        (0, 5000),
        (49, 1119),
        "CD4+ T-cell count at 20 ± 5 weeks.",
        group="Laboratory",
    ),
    Field(
        "cd80",
        "CD8 count at baseline",
        "cells/mm³",
        (0, 10000),
        (40, 5011),
        "CD8+ T-cell count at baseline.",
        group="Laboratory",
    ),
    Field(
        "cd820",
        "CD8 count at 20 weeks",
        "cells/mm³",
        (0, 10000),
        (124, 6035),
        "CD8+ T-cell count at 20 ± 5 weeks.",
        group="Laboratory",
    ),
    _choice(
        "karnof",
        "Karnofsky performance score",
        "Functional status on the Karnofsky scale; the trial enrolled scores of 70 to 100.",
        {
            70: "70 – cares for self, unable to carry on normal activity",
            80: "80 – normal activity with effort, some symptoms",
            90: "90 – able to carry on normal activity, minor symptoms",
            100: "100 – normal, no complaints",
        },
    ),
    _choice("hemo", "Hemophilia", "Does the patient have hemophilia?", NO_YES),
    _choice("drugs", "History of IV drug use", "Any history of intravenous drug use.", NO_YES),
    _choice("race", "Race", "As recorded in ACTG 175.", {0: "White", 1: "Non-white"}),
    _choice("gender", "Sex", "Sex as recorded in ACTG 175.", {0: "Female", 1: "Male"}),
    _choice(
        "symptom",
        "Symptomatic",
        "Symptomatic HIV infection at baseline.",
        {0: "Asymptomatic", 1: "Symptomatic"},
    ),
    _choice(
        "treat",
        "Treatment",
        "Antiretroviral regimen.",
        {0: "ZDV only", 1: "Other regimen"},
    ),
    _choice(
        "offtrt",
        "Off treatment before 96 weeks",
        "Stopped treatment before 96 ± 5 weeks.",
        NO_YES,
    ),
)

BY_CODE: Mapping[str, Field] = MappingProxyType({f.code: f for f in FIELDS})
CODES: tuple[str, ...] = tuple(f.code for f in FIELDS)
GROUPS: tuple[str, ...] = tuple(dict.fromkeys(f.group for f in FIELDS))


def describe_range(f: Field, bounds: tuple[float, float]) -> str:
    """'0–120 years': a range as people read it, in the field's unit."""
    lo, hi = (number_text(v) for v in bounds)
    return f"{lo}–{hi} {f.unit}".strip()


def number_text(value: float) -> str:
    """A number as people write it: 12, 72.5 (no trailing .0)."""
    return f"{value:g}" if value != int(value) else str(int(value))


def markdown_table() -> str:
    """The README's table of fields, rendered from FIELDS (a test keeps the README in step)."""
    rows = [
        "| code | label | unit | accepted | seen in training | values |",
        "|---|---|---|---|---|---|",
    ]
    for f in FIELDS:
        values = "; ".join(f"{k} = {v}" for k, v in f.choices.items()) if f.choices else ""
        rows.append(
            f"| `{f.code}` | {f.label} | {f.unit} | {describe_range(f, f.valid_range)} "
            f"| {describe_range(f, f.training_range)} | {values} |"
        )
    return "\n".join(rows)
