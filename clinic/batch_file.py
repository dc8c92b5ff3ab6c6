"""The batch file: the template a clinic fills in, and reading it. The whole file is read and
every row validated before anything is stored: a file that cannot be read as the template's
table is refused whole (`MalformedFile`), and a bad row is reported with its line, field and
reason while the good rows go on (clinic.batch scores them).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from clinic import i18n
from clinic.i18n import N_, _, ngettext
from clinic.identity import Identity
from clinic.validation import FULL_NAME, NATIONAL_ID, InvalidInput, validate
from model_store.schema import CODES

COLUMNS = (FULL_NAME, NATIONAL_ID, *CODES)
"""The template's header: identity first, then the schema's field codes in the data
dictionary's order."""
MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
DELIMITERS = ",;\t"
"""Comma, or semicolon and tab as spreadsheets in Spanish-speaking locales save CSV."""


WHOLE_ROW = N_("row")
"""A BadRow's `field` when the problem is the line itself rather than one of its columns."""


class MalformedFile(ValueError):
    """The file as a whole cannot be read as the template's table; nothing is stored. The
    message, like a BadRow's reason, is in the reader's language (clinic.i18n)."""


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
