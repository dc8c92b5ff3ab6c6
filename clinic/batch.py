"""Batch scoring: a CSV of patients in, a prioritised list out (highest risk first).

The whole file is read and every row validated before anything is stored: a file that cannot be
read as the template's table is refused whole (`MalformedFile`), and a bad row is reported with
its line, field and reason while the good rows go on. Good rows are scored, encrypted and stored
in transactions of `CHUNK`, each audited in its own transaction. Every row carries a keyed
fingerprint of its uploader, patient and measurements, unique in the database, so uploading the
same file again (or a corrected copy, or after an interruption) stores only what that person has
not stored yet, and never shows them another's records.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, func, select

from clinic import audit, counts, db, i18n, shadow
from clinic import patients as patient_store
from clinic.i18n import N_, _, ngettext
from clinic.identity import Identity
from clinic.predictions import Versioned, new_row
from clinic.risk import RiskBand, class_label
from clinic.tables import patient_names, patients, predictions
from clinic.validation import FULL_NAME, NATIONAL_ID, InvalidInput, validate
from clinic.vault import Vault
from model_store.explain import Explanation
from model_store.registry import Scored
from model_store.schema import CODES

SOURCE = "batch"
COLUMNS = (FULL_NAME, NATIONAL_ID, *CODES)
"""The template's header: identity first, then the schema's field codes in the data
dictionary's order."""
MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
CHUNK = 2_500
"""Predictions per transaction: big enough to be fast, small enough to show progress."""
DELIMITERS = ",;\t"
"""Comma, or semicolon and tab as spreadsheets in Spanish-speaking locales save CSV."""


WHOLE_ROW = N_("row")
"""A BadRow's `field` when the problem is the line itself rather than one of its columns."""


class MalformedFile(ValueError):
    """The file as a whole cannot be read as the template's table; nothing is stored. The
    message, like a BadRow's reason, is in the reader's language (clinic.i18n)."""


class BatchModel(Versioned, Protocol):
    """What scoring many rows needs (model_store.registry.LoadedModel provides it)."""

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray: ...

    def explain_many(self, frame: pd.DataFrame) -> list[Explanation]: ...


@dataclass(frozen=True)
class BadRow:
    """One problem with one row: the file's line number (the header is line 1), the column's
    code and why. Never the value itself, which may be an identifier."""

    line: int
    field: str
    reason: str


@dataclass(frozen=True)
class GoodRow:
    line: int
    identity: Identity
    measurements: Mapping[str, float | int]


@dataclass(frozen=True)
class Checked:
    """A readable file, validated: what can be scored and what must be corrected."""

    good: Sequence[GoodRow]
    bad: Sequence[BadRow]
    ignored_columns: Sequence[str] = ()

    @property
    def rejected_lines(self) -> int:
        return len({problem.line for problem in self.bad})


@dataclass(frozen=True)
class Result:
    """One scored row as the clinician sees it: masked identity, the score, the stored record."""

    line: int
    prediction_id: int
    name_masked: str
    national_id_masked: str
    probability: float
    infected: bool
    risk_band: RiskBand
    model_version: str
    new: bool
    """False when the same uploader had stored this exact row before (an earlier upload)."""


@dataclass(frozen=True)
class Outcome:
    batch_id: str
    results: Sequence[Result]
    """Highest risk first."""

    @property
    def stored(self) -> int:
        return len({r.prediction_id for r in self.results if r.new})

    @property
    def already_stored(self) -> int:
        return len({r.prediction_id for r in self.results if not r.new})


def template() -> str:
    """The CSV header a clinic fills in, one patient per line."""
    return ",".join(COLUMNS) + "\n"


def read(data: bytes) -> Checked:
    """Parse and validate the whole file; MalformedFile if it is not the template's table."""
    if len(data) > MAX_BYTES:
        raise MalformedFile(
            _("The file is larger than {size} MB.").format(
                size=i18n.number(MAX_BYTES // (1024 * 1024))
            )
        )
    text = _decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = max(DELIMITERS, key=first_line.count)  # the header's cells are plain codes
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(rows, None)
        if header is None:
            raise MalformedFile(_("The file is empty; download the template to start from."))
        columns = [cell.strip().lower() for cell in header]
        positions = _positions(columns)
        good: list[GoodRow] = []
        bad: list[BadRow] = []
        for number, cells in enumerate(rows, start=2):
            if not any(cell.strip() for cell in cells):
                continue  # blank lines, as spreadsheets leave at the end
            if number - 1 > MAX_ROWS:
                raise MalformedFile(
                    _("The file has more than {n} patients; split it.").format(
                        n=i18n.number(MAX_ROWS)
                    )
                )
            if len(cells) != len(columns):
                reason = ngettext(
                    "has {cells} cells; the header has {columns}.",
                    "has {cells} cells; the header has {columns}.",
                    len(cells),
                ).format(cells=len(cells), columns=len(columns))  # counts, as the file has them
                bad.append(BadRow(number, WHOLE_ROW, reason))
                continue
            values = {code: cells[i] for code, i in positions.items()}
            try:
                identity, measurements = validate(
                    values.pop(FULL_NAME), values.pop(NATIONAL_ID), values
                )
            except InvalidInput as exc:
                bad.extend(BadRow(number, code, msg) for code, msg in exc.problems.items())
            else:
                good.append(GoodRow(number, identity, measurements))
    except csv.Error as exc:
        raise MalformedFile(
            _("The file is not a readable CSV table (line {line}).").format(line=rows.line_num)
        ) from exc
    if not good and not bad:
        raise MalformedFile(_("The file has a header but no patients."))
    ignored = list(dict.fromkeys(c for c in columns if c not in positions))
    return Checked(good, bad, ignored)


def _decode(data: bytes) -> str:
    """UTF-8 (with or without the BOM spreadsheets add), else Windows-1252 as older Excel
    saves; binary files are refused rather than read as gibberish."""
    if b"\x00" in data[:4096]:
        raise MalformedFile(_("This is not a CSV text file (it contains binary data)."))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            raise MalformedFile(
                _("The file's text encoding is not UTF-8; save it as CSV UTF-8.")
            ) from None


def _positions(columns: list[str]) -> dict[str, int]:
    """Where each template column is in this file's header; MalformedFile if one is missing
    or repeated (the order may differ and extra columns are ignored)."""
    seen = Counter(columns)  # linear: a header of 80,000 cells is read in milliseconds
    repeated = sorted(c for c in COLUMNS if seen[c] > 1)
    if repeated:
        raise MalformedFile(_("The header repeats: {columns}.").format(columns=", ".join(repeated)))
    missing = [c for c in COLUMNS if c not in seen]
    if missing:
        raise MalformedFile(
            ngettext(
                "The header lacks the column(s) {columns}; start from the template.",
                "The header lacks the column(s) {columns}; start from the template.",
                len(missing),
            ).format(columns=", ".join(missing))
        )
    return {code: columns.index(code) for code in COLUMNS}


def score_and_store(
    engine: Engine,
    vault: Vault,
    model: BatchModel,
    checked: Checked,
    *,
    actor: str,
    challenger: BatchModel | None = None,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> Outcome:
    """Score every good row and store those not stored before; raises db.StorageUnavailable if
    the database cannot take a chunk (chunks already stored stay: uploading again resumes)."""
    batch_id = str(uuid.uuid4())
    good = list(checked.good)
    frame = pd.DataFrame([row.measurements for row in good], columns=list(CODES))
    probabilities = model.predict_proba(frame) if good else np.array([])
    explanations = model.explain_many(frame) if good else []
    shadowing = challenger is not None and challenger.version != model.version
    challenged = challenger.predict_proba(frame) if shadowing and good else None
    results: list[Result] = []
    for start in range(0, len(good), CHUNK):
        stop = min(start + CHUNK, len(good))
        now = datetime.now(UTC)
        with db.writing(engine) as connection:
            filed = patient_store.upsert_many(
                connection, vault, [row.identity for row in good[start:stop]], now, actor=actor
            )
            rows = []
            for i, patient in zip(range(start, stop), filed, strict=True):
                extra = {}
                if challenged is not None:
                    verdict = Scored.at(float(challenged[i]), challenger.threshold)
                    extra = shadow.columns(challenger, verdict)
                rows.append(
                    new_row(
                        model,
                        Scored.at(float(probabilities[i]), model.threshold),
                        patient_id=patient.patient_id,
                        name_id=patient.name_id,
                        created_at=now,
                        created_by=actor,
                        measurements=good[i].measurements,
                        explanation=explanations[i].to_json(),
                        source=SOURCE,
                        batch_id=batch_id,
                        batch_key=_fingerprint(vault, actor, good[i]),
                        **extra,
                    )
                )
            results += _store(connection, rows, [row.line for row in good[start:stop]])
            audit.record(
                connection,
                actor,
                "batch",
                target=batch_id,
                details={
                    "rows": stop - start,
                    "stored": len({r.prediction_id for r in results[start:stop] if r.new}),
                    "model_version": model.version,
                },
                at=now,
            )
        progress(stop, len(good))
    results.sort(key=lambda r: (-r.probability, r.line))
    return Outcome(batch_id, results)


def _fingerprint(vault: Vault, uploader: str, row: GoodRow) -> str:
    """Keyed digest of who uploaded, for whom and what was measured: the same row uploaded twice
    by the same person matches, never another uploader's (whose records they may not see), and
    without the index key nobody can test a guess of an ID against it."""
    canonical = json.dumps(
        [uploader, row.identity.national_id_normalised, [row.measurements[c] for c in CODES]],
        separators=(",", ":"),
    )
    return vault.fingerprint("batch-row", canonical)


def _store(connection: Connection, rows: list[dict], lines: list[int]) -> list[Result]:
    """Insert the rows not stored before, count them, and read every row's stored record back
    (new, or from the same uploader's earlier upload) by its fingerprint, with the name typed
    with that record."""
    connection.execute(
        db.insert_or_merge(connection, predictions).on_conflict_do_nothing(
            index_elements=["batch_key"]
        ),
        rows,  # no RETURNING: executemany stays a prepared statement (fast on PostgreSQL)
    )
    stored = {
        r.batch_key: r
        for r in connection.execute(
            select(
                predictions.c.batch_key,
                predictions.c.batch_id,
                predictions.c.id,
                predictions.c.probability,
                predictions.c.infected,
                predictions.c.risk_band,
                predictions.c.model_version,
                func.coalesce(patient_names.c.name_masked, patients.c.name_masked).label(
                    "name_masked"
                ),
                patients.c.national_id_masked,
            )
            .join(patients, patients.c.id == predictions.c.patient_id)
            .outerjoin(patient_names, patient_names.c.id == predictions.c.name_id)
            .where(
                predictions.c.batch_key.in_({row["batch_key"] for row in rows}),
                predictions.c.created_by == rows[0]["created_by"],  # the uploader's own only
            )
        )
    }
    upload = rows[0]["batch_id"]
    counts.add(connection, [row for row in rows if stored[row["batch_key"]].batch_id == upload])
    return [
        Result(
            line=line,
            prediction_id=found.id,
            name_masked=found.name_masked,
            national_id_masked=found.national_id_masked,
            probability=found.probability,
            infected=found.infected,
            risk_band=RiskBand(found.risk_band),
            model_version=found.model_version,
            new=found.batch_id == upload,
        )
        for line, found in zip(lines, (stored[row["batch_key"]] for row in rows), strict=True)
    ]


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
            record: r.prediction_id,
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
