"""The prioritised list of a scored batch as people read it: highest risk first, identifiers
masked, headers and words in the reader's language (clinic.i18n)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from clinic.batch import Result
from clinic.i18n import N_, _
from clinic.risk import class_label

TABLE_COLUMNS = (
    N_("Line"),
    N_("Patient"),
    N_("National ID"),
    N_("Risk"),
    N_("Band"),
    N_("Class"),
    N_("Record"),
)
"""The prioritised list's headers, in English: `masked_table` translates them."""


def masked_table(results: Iterable[Result]) -> list[dict[str, object]]:
    """The prioritised list as the clinician sees and downloads it: identifiers masked, headers
    and words in the reader's language (English for the command line)."""
    line, patient, national_id, risk, band, label, record = (_(c) for c in TABLE_COLUMNS)
    return [
        {
            line: r.line,
            patient: r.name_masked,
            national_id: r.national_id_masked,
            risk: round(r.probability, 3),
            band: r.risk_band.word,
            label: class_label(r.infected),
            record: r.id,
        }
        for r in results
    ]


def masked_csv(results: Sequence[Result]) -> str:
    """The prioritised list as CSV, exactly as on screen."""
    table = masked_table(results)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(table[0]) if table else [_(TABLE_COLUMNS[0])])
    writer.writeheader()
    writer.writerows(table)
    return out.getvalue()
