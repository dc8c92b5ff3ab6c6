"""The one list of clinical fields the model takes.

The form, validation, training, the MLflow signature, the README's table and the tests all read
`FIELDS`; nothing else may spell out a field's code, label, unit or range.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from model_store.texts import N_

TARGET = "infected"
"""The label column of the training data (ACTG 175's `cid`: AIDS-defining event or death)."""

NO_YES = MappingProxyType({0: N_("No"), 1: N_("Yes")})


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
    group: str = N_("Clinical history")
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
        N_("Follow-up time"),
        N_("days"),
        (0, 3650),
        (14, 1231),
        N_(
            "Days of follow-up (ACTG 175: days until an event or censoring). The model leans on it "
            "heavily; see the model card."
        ),
        group=N_("Follow-up and demographics"),
    ),
    Field(
        "age",
        N_("Age"),
        N_("years"),
        (0, 120),
        (12, 70),
        N_("Age in years at baseline."),
        group=N_("Follow-up and demographics"),
    ),
    Field(
        "wtkg",
        N_("Weight"),
        N_("kg"),
        (1, 350),
        (31, 159.94),
        N_("Body weight in kilograms at baseline."),
        integer=False,
        step=0.1,
        group=N_("Follow-up and demographics"),
    ),
    Field(
        "preanti",
        N_("Prior antiretroviral therapy"),
        N_("days"),
        (0, 15000),
        (0, 2851),
        N_("Days of antiretroviral therapy before baseline (0 if none)."),
        group=N_("Follow-up and demographics"),
    ),
    Field(
        "cd40",
        N_("CD4 count at baseline"),
        N_("cells/mm³"),
        (0, 5000),
        (0, 1199),
        N_("CD4+ T-cell count at baseline."),
        group=N_("Laboratory"),
    ),
    Field(
        "cd420",
        N_("CD4 count at 20 weeks"),
        N_("cells/mm³"),
        (0, 5000),
        (49, 1119),
        N_("CD4+ T-cell count at 20 ± 5 weeks."),
        group=N_("Laboratory"),
    ),
    Field(
        "cd80",
        N_("CD8 count at baseline"),
        N_("cells/mm³"),
        (0, 10000),
        (40, 5011),
        N_("CD8+ T-cell count at baseline."),
        group=N_("Laboratory"),
    ),
    Field(
        "cd820",
        N_("CD8 count at 20 weeks"),
        N_("cells/mm³"),
        (0, 10000),
        (124, 6035),
        N_("CD8+ T-cell count at 20 ± 5 weeks."),
        group=N_("Laboratory"),
    ),
    _choice(
        "karnof",
        N_("Karnofsky performance score"),
        N_("Functional status on the Karnofsky scale; the trial enrolled scores of 70 to 100."),
        {
            70: N_("70 – cares for self, unable to carry on normal activity"),
            80: N_("80 – normal activity with effort, some symptoms"),
            90: N_("90 – able to carry on normal activity, minor symptoms"),
            100: N_("100 – normal, no complaints"),
        },
    ),
    _choice("hemo", N_("Hemophilia"), N_("Does the patient have hemophilia?"), NO_YES),
    _choice(
        "drugs", N_("History of IV drug use"), N_("Any history of intravenous drug use."), NO_YES
    ),
    _choice(
        "race", N_("Race"), N_("As recorded in ACTG 175."), {0: N_("White"), 1: N_("Non-white")}
    ),
    _choice(
        "gender", N_("Sex"), N_("Sex as recorded in ACTG 175."), {0: N_("Female"), 1: N_("Male")}
    ),
    _choice(
        "symptom",
        N_("Symptomatic"),
        N_("Symptomatic HIV infection at baseline."),
        {0: N_("Asymptomatic"), 1: N_("Symptomatic")},
    ),
    _choice(
        "treat",
        N_("Treatment"),
        N_("Antiretroviral regimen."),
        {0: N_("ZDV only"), 1: N_("Other regimen")},
    ),
    _choice(
        "offtrt",
        N_("Off treatment before 96 weeks"),
        N_("Stopped treatment before 96 ± 5 weeks."),
        NO_YES,
    ),
)

BY_CODE: Mapping[str, Field] = MappingProxyType({f.code: f for f in FIELDS})
CODES: tuple[str, ...] = tuple(f.code for f in FIELDS)
GROUPS: tuple[str, ...] = tuple(dict.fromkeys(f.group for f in FIELDS))


def describe_range(
    f: Field,
    bounds: tuple[float, float],
    *,
    text: Callable[[str], str] = str,
    number: Callable[[float], str] | None = None,
) -> str:
    """'0–120 years': a range as people read it, in the field's unit.

    English by default (the README); the screens pass `text` (a translation of the unit) and
    `number` (their language's decimal mark)."""
    lo, hi = ((number or number_text)(v) for v in bounds)
    unit = text(f.unit) if f.unit else ""
    return f"{lo}–{hi} {unit}".strip()


def number_text(value: float) -> str:
    """A number as people write it: 12, 72.5 (no trailing .0)."""
    return f"{value:g}" if value != int(value) else str(int(value))


TABLE_HEADINGS = (
    N_("code"),
    N_("label"),
    N_("unit"),
    N_("accepted"),
    N_("seen in training"),
    N_("values"),
)
"""The columns of `markdown_table`."""


def markdown_table(
    text: Callable[[str], str] = str, number: Callable[[float], str] | None = None
) -> str:
    """The README's table of fields, rendered from FIELDS (a test keeps the README in step).

    English by default; the batch page passes its translation (`text`) and decimal mark
    (`number`) to show the same table in the reader's language."""
    rows = [
        "| " + " | ".join(text(heading) for heading in TABLE_HEADINGS) + " |",
        "|---|---|---|---|---|---|",
    ]
    for f in FIELDS:
        values = "; ".join(f"{k} = {text(v)}" for k, v in f.choices.items()) if f.choices else ""
        unit = text(f.unit) if f.unit else ""
        accepted = describe_range(f, f.valid_range, text=text, number=number)
        seen = describe_range(f, f.training_range, text=text, number=number)
        rows.append(f"| `{f.code}` | {text(f.label)} | {unit} | {accepted} | {seen} | {values} |")
    return "\n".join(rows)
