"""Demo history: fake patients (Faker), real-looking measurements, scored by the real model.

For trying the app out and for measuring it at scale. Identities are invented; measurements are
rows of the training data with a little noise, scored by the champion, so bands, classes and
charts look like a clinic's. Everything goes through the vault, the blind index and the daily
tallies exactly as a clinician's prediction does, in transactions of `CHUNK` predictions.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from faker import Faker
from sqlalchemy import Connection, Engine, select

from clinic import db, scoring
from clinic.batch_file import COLUMNS
from clinic.identity import Identity
from clinic.patients import Filed, filed_as, patient_row
from clinic.tables import patients, predictions
from clinic.validation import FULL_NAME, NATIONAL_ID
from clinic.vault import Vault
from model_store.dataset import load_data
from model_store.ports import Model
from model_store.schema import FIELDS

SOURCE = "demo"
CHUNK = 10_000
SHIFT = {"age": 15, "cd40": -120, "cd420": -120, "wtkg": 10}
"""What --shift adds to each value: older, heavier patients with fewer CD4 cells than ACTG 175
enrolled; values still within what the form accepts."""
VISITS_PER_PATIENT = 3
"""On average; each prediction picks its patient at random, so some have one, some many."""


class RealRecordsPresent(Exception):
    """The database holds predictions that did not come from demo-data."""


@dataclass(frozen=True)
class Plan:
    """How much demo history to make, over which days, for whom; the seed makes it repeatable."""

    n: int
    clinicians: Sequence[str]
    now: datetime
    days: int = 3 * 365
    seed: int = 0
    shifted: bool = False
    """Patients unlike the trial's (see SHIFT): for seeing the monitoring flag drift."""


def refuse_if_real(engine: Engine) -> None:
    """Demo data must not be mixed into a clinic's real history by accident."""
    with engine.connect() as connection:
        real = connection.execute(
            select(predictions.c.id).where(predictions.c.source != SOURCE).limit(1)
        ).first()
    if real is not None:
        raise RealRecordsPresent(
            "This database holds real predictions; demo data would be mixed into them. "
            "Use an empty database, or pass --force if that is really what you want."
        )


def generate(
    engine: Engine,
    vault: Vault,
    model: Model,
    plan: Plan,
    *,
    actor: str,
    progress: Callable[[int], None] = lambda stored: None,
) -> int:
    """Store `plan.n` demo predictions; returns how many were stored."""
    rng = np.random.default_rng(plan.seed)
    people = _People(rng, plan.seed)
    measurements = _measurements(rng, plan.n, plan.shifted)
    seconds = np.sort(rng.uniform(0, plan.days * 86_400, plan.n))[::-1]
    who = rng.integers(0, max(1, plan.n // VISITS_PER_PATIENT), plan.n)
    clinician = rng.integers(0, len(plan.clinicians), plan.n)
    filed: dict[int, Filed] = {}

    def file(connection: Connection, positions: range, now: datetime) -> list[Filed]:
        wanted = {int(who[i]) for i in positions if int(who[i]) not in filed}
        filed.update(_add_patients(connection, vault, people, sorted(wanted), now))
        return [filed[int(who[i])] for i in positions]

    def columns(position: int) -> dict:
        return {
            "created_at": plan.now - timedelta(seconds=float(seconds[position])),
            "created_by": plan.clinicians[int(clinician[position])],
        }

    scoring.store(
        engine,
        model,
        measurements.to_dict("records"),
        scoring.Intake(
            source=SOURCE,
            file=file,
            action="demo-data",
            audited=lambda rows, _: (None, {"predictions": len(rows)}),
            chunk=CHUNK,
            insert=scoring.Insert.BULK,
            columns=columns,
            explained=False,
            clock=lambda: plan.now,
        ),
        actor=actor,
        progress=lambda done, total: progress(done),
    )
    return plan.n


def patients_csv(n: int, seed: int = 0) -> bytes:
    """A batch file in the template's format holding `n` invented patients: for trying the
    batch page, and for measuring it."""
    rng = np.random.default_rng(seed)
    people = _People(rng, seed)
    frame = _measurements(rng, n)
    identities = [people.invent() for _ in range(n)]
    frame[FULL_NAME] = [who.full_name for who in identities]
    frame[NATIONAL_ID] = [who.national_id for who in identities]
    return frame[list(COLUMNS)].to_csv(index=False).encode()


def _measurements(rng: np.random.Generator, n: int, shifted: bool = False) -> pd.DataFrame:
    """Training rows drawn at random, measured values nudged (5% of their spread) within the
    training range, so no two demo patients are the same trial participant; `shifted` then
    moves some fields by SHIFT, as far as the form accepts."""
    data = load_data()
    frame = (
        data[[f.code for f in FIELDS]].iloc[rng.integers(0, len(data), n)].reset_index(drop=True)
    )
    for f in FIELDS:
        if f.categorical:
            continue
        column = frame[f.code].astype(float)
        noisy = column + rng.normal(0, 0.05 * column.std(), n)
        noisy = noisy.clip(*f.training_range)
        if shifted and f.code in SHIFT:
            noisy = (noisy + SHIFT[f.code]).clip(*f.valid_range)
        frame[f.code] = noisy.round().astype(int) if f.integer else noisy.round(1)
    return frame


class _People:
    """Invented Colombian-style identities: a first name, two surnames, a cédula number."""

    def __init__(self, rng: np.random.Generator, seed: int) -> None:
        fake = Faker("es_CO")
        fake.seed_instance(seed)
        self._rng = rng
        self._first = [fake.first_name() for _ in range(500)]
        self._last = [fake.last_name() for _ in range(800)]

    def invent(self) -> Identity:
        first = self._first[self._rng.integers(len(self._first))]
        last = self._last[self._rng.integers(len(self._last))]
        second = self._last[self._rng.integers(len(self._last))]
        number = int(self._rng.integers(1_000_000, 1_999_999_999))
        national_id = f"{number:,}".replace(",", ".") if self._rng.random() < 0.5 else str(number)
        return Identity(full_name=f"{first} {last} {second}", national_id=national_id)


def _add_patients(
    connection: Connection, vault: Vault, people: _People, wanted: list[int], now: datetime
) -> dict[int, Filed]:
    """New patients for the `wanted` slots; an invented ID that is already on file (a real
    patient's, or an earlier demo one) is replaced, never linked to."""
    found: dict[int, Filed] = {}
    while missing := [slot for slot in wanted if slot not in found]:
        candidates = {
            slot: patient_row(vault, people.invent(), str(uuid.uuid4()), now) for slot in missing
        }
        statement = (
            db.insert_or_merge(connection, patients)
            .on_conflict_do_nothing(index_elements=["national_id_index"])
            .returning(patients.c.id)
        )
        inserted = set(connection.execute(statement, list(candidates.values())).scalars())
        found.update(
            {
                slot: filed_as(row, row["id"])
                for slot, row in candidates.items()
                if row["id"] in inserted
            }
        )
    return found
