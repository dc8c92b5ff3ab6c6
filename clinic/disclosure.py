"""Disclosure of the history beyond its masked lists: a supervisor's audited reveal of one
identity, and the audited export of a filtered list (masked identifiers only).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Engine, select

from clinic import audit, db, history, patients
from clinic.access import AccessDenied, Action, may
from clinic.accounts import User
from clinic.history import Filters, Record
from clinic.i18n import N_, _
from clinic.identity import Identity, normalise_national_id
from clinic.tables import predictions

MIN_REASON = 10


class Purpose(StrEnum):
    """Why an identity is revealed (HIPAA-style purposes of use)."""

    TREATMENT = "treatment"
    EMERGENCY = "emergency treatment"
    OPERATIONS = "healthcare operations"
    PATIENT_REQUEST = "patient request"
    OTHER = "other"

    @property
    def name_shown(self) -> str:
        """The purpose in the reader's language, lower case, as in a sentence."""
        return _(_PURPOSE_NAMES[self])

    @property
    def label(self) -> str:
        """The purpose in the reader's language, as a list shows it ('Treatment')."""
        return history.sentence(self.name_shown)


_PURPOSE_NAMES = {
    Purpose.TREATMENT: N_("treatment"),
    Purpose.EMERGENCY: N_("emergency treatment"),
    Purpose.OPERATIONS: N_("healthcare operations"),
    Purpose.PATIENT_REQUEST: N_("patient request"),
    Purpose.OTHER: N_("other"),
}


@dataclass(frozen=True)
class Revealed:
    """What a reveal shows: the identity typed with the record, and whether the name on file
    for that ID (the one typed most recently) is another one, which is not shown."""

    identity: Identity
    name_on_file_differs: bool


def reveal(
    engine: Engine, vault, viewer: User, record_id: int, purpose: str, reason: str, now: datetime
) -> Revealed:
    """A supervisor's audited look at one record's identity, as typed with that record; the
    event commits before return. A reason that names the patient is refused, and that attempt
    is audited too (without the reason), so guessing names through refusals leaves a trace."""
    if not may(viewer.role, Action.REVEAL_IDENTITY):
        raise AccessDenied("Only supervisors may reveal an identity.")
    try:
        purpose = Purpose(purpose)
    except ValueError as exc:
        raise ValueError(
            _("Purpose must be one of: {purposes}.").format(
                purposes=", ".join(p.name_shown for p in Purpose)
            )
        ) from exc
    reason = " ".join(reason.split())
    if len(reason) < MIN_REASON:
        raise ValueError(_("Reason must be at least {n} characters.").format(n=MIN_REASON))
    with db.writing(engine) as connection:
        record = connection.execute(
            select(predictions.c.patient_id, predictions.c.name_id).where(
                predictions.c.id == record_id
            )
        ).first()
        if record is None:
            raise LookupError(f"No record {record_id}.")
        typed = patients.names(connection, vault, record.patient_id)
        national_id = patients.decrypt_national_id(connection, vault, record.patient_id)
        named = _mentions(reason, typed.values(), national_id)
        details = (
            {"purpose": purpose.value} if named else {"purpose": purpose.value, "reason": reason}
        )
        action = "reveal.refused" if named else "reveal"
        audit.record(connection, viewer.username, action, target=record_id, details=details, at=now)
        on_file = patients.name_on_file(connection, record.patient_id)
    if named:
        raise ValueError(
            _(
                "The reason must not contain any name typed for this patient, nor four or more "
                "characters of their ID in a row. Say why the identity is needed instead."
            )
        )
    name = typed[record.name_id]
    return Revealed(Identity(name, national_id), name_on_file_differs=typed[on_file] != name)


ID_RUN = 4
"""This many characters of the national ID in a row, in a reason, count as writing the ID."""
NAME_PART = 3
"""A word of the name this long or longer, in a reason, counts as writing the name."""


def _mentions(reason: str, names: Iterable[str], national_id: str) -> bool:
    """Whether the reason writes any name typed for the patient (whole, or any word of it of
    NAME_PART letters or more; accents and case aside) or ID_RUN characters of the ID in a row
    (punctuation aside)."""
    said = _words(reason)
    spoken = f" {' '.join(said)} "
    for name in names:
        parts = _words(name)
        if f" {' '.join(parts)} " in spoken or any(
            len(part) >= NAME_PART and part in said for part in parts
        ):
            return True
    compact = "".join(c for c in _plain(reason).upper() if c.isalnum())
    number = normalise_national_id(national_id)
    return any(number[i : i + ID_RUN] in compact for i in range(len(number) - ID_RUN + 1))


def _plain(text: str) -> str:
    """`text` without accents: 'Quiñónez' -> 'Quinonez'."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _words(text: str) -> list[str]:
    """The words of `text` (runs of letters), without accents, case folded."""
    return re.findall(r"[^\W\d_]+", _plain(text).casefold())


def export_csv(engine: Engine, viewer: User, filters: Filters, now: datetime) -> str:
    """The filtered history as CSV, masked identifiers only; the export is audited."""
    if not may(viewer.role, Action.EXPORT_HISTORY):
        raise AccessDenied("Only supervisors may export the history.")
    with db.writing(engine) as connection:
        found = history.matching(connection, viewer, filters)
        audit.record(connection, viewer.username, "export", details={"rows": len(found)}, at=now)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[f.name for f in fields(Record)])
    writer.writeheader()
    for record in found:
        row = asdict(record)
        row["created_at"] = row["created_at"].isoformat(timespec="seconds")
        writer.writerow(row)
    return out.getvalue()
