"""The history at scale: its first page with charts, and a patient lookup, over N predictions.

Runs on its own data dir (`build/bench-history`: database, keys, MLflow store with a trained
champion), filled once with `clinic.demo` and reused by later runs.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from benchmarks.home import use_home
from benchmarks.report import RESULTS, Figure, measure
from clinic import accounts, config, db, demo, patients, runtime, sessions
from clinic.accounts import User
from clinic.history import Filters, Order, find_patient, page, summary
from clinic.runtime import Clinic
from clinic.tables import predictions

HOME = RESULTS.parent / "bench-history"
APP = Path(__file__).resolve().parents[1] / "app.py"
CLINICIAN = "bench.clinician"
SUPERVISOR = "bench.supervisor"
DEFAULT_N = 1_000_000
CLINICIANS = [CLINICIAN, *(f"demo.clinician{i:02d}" for i in range(2, 11))]
PAGE_GOAL_MS = 150.0
LOOKUP_GOAL_MS = 20.0


def prepare(n: int, database_url: str | None) -> Clinic:
    """A clinic on the benchmark's data dir holding at least `n` predictions."""
    model = use_home(HOME, database_url)
    clinic = runtime.start(config.load())
    with db.writing(clinic.engine) as connection:
        for username, role in [(CLINICIAN, "clinician"), (SUPERVISOR, "supervisor")]:
            if accounts.by_username(connection, username) is None:
                accounts.add(
                    connection,
                    "bench",
                    username,
                    username,
                    role,
                    _password(),
                    temporary=False,
                    now=datetime.now(UTC),
                )
    with clinic.engine.connect() as connection:
        stored = connection.execute(select(func.count(predictions.c.id))).scalar_one()
    if stored < n:
        print(f"Storing {n - stored:,} demo predictions (once; later runs reuse them)…")
        plan = demo.Plan(n=n - stored, clinicians=CLINICIANS, now=datetime.now(UTC), seed=stored)
        demo.generate(
            clinic.engine,
            clinic.vault,
            model,
            plan,
            actor="bench",
            progress=lambda done: print(f"  {done:,}/{plan.n:,}", end="\r", flush=True),
        )
        print()
    return clinic


def _password() -> str:
    return "bench " + os.urandom(12).hex()


def _account(clinic: Clinic, username: str) -> User:
    with clinic.engine.connect() as connection:
        account = accounts.by_username(connection, username)
    assert account is not None  # created by prepare()
    return account


def _sample_ids(clinic: Clinic, k: int) -> list[str]:
    """Plain national IDs of `k` random stored patients, as a clinician would type them."""
    with clinic.engine.connect() as connection:
        top = connection.execute(select(func.max(predictions.c.id))).scalar_one()
        ids = []
        for record in random.Random(1).sample(range(1, top + 1), k):
            patient_id = connection.execute(
                select(predictions.c.patient_id).where(predictions.c.id == record)
            ).scalar_one()
            ids.append(patients.decrypt_identity(connection, clinic.vault, patient_id).national_id)
    return ids


def _rendered(clinic: Clinic, viewer: User, page: str):
    """An AppTest of the real app on `page`, signed in as `viewer`; each .run() is one rerun."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=120)
    at.session_state["auth.token"] = sessions.start(
        clinic.engine, viewer.id, True, datetime.now(UTC)
    )
    at.run()
    at.switch_page(page).run()
    return at


def figures(clinic: Clinic, repeat: int, command: str) -> list[Figure]:
    supervisor, clinician = _account(clinic, SUPERVISOR), _account(clinic, CLINICIAN)
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    recent = Filters(since=today - timedelta(days=90), until=today + timedelta(days=1))
    engine, vault = clinic.engine, clinic.vault

    def first_page(viewer: User, filters: Filters, order: Order = Order.NEWEST):
        return lambda: (
            summary(engine, viewer, filters),
            page(engine, viewer, filters, order=order),
        )

    national_ids = iter(_sample_ids(clinic, 10_000 if repeat > 1000 else repeat + 10))

    def lookup() -> None:
        found = find_patient(engine, vault, supervisor, next(national_ids))
        assert found is not None  # sampled from stored patients
        page(engine, supervisor, Filters(patient_id=found))

    history = _rendered(clinic, supervisor, "views/history.py")
    history_all_time = _rendered(clinic, supervisor, "views/history.py")
    dates = next(d for d in history_all_time.date_input if d.label == "Dates")
    dates.set_value((today.date() - timedelta(days=4 * 365), today.date())).run()
    history_clinician = _rendered(clinic, clinician, "views/history.py")
    history_lookup = _rendered(clinic, supervisor, "views/history.py")
    box = next(t for t in history_lookup.text_input if t.label.startswith("Find a patient"))
    box.input(_sample_ids(clinic, 1)[0]).run()

    cases: list[tuple[str, Callable[[], object], float | None]] = [
        (
            "first page + charts, last 90 days (queries)",
            first_page(supervisor, recent),
            PAGE_GOAL_MS,
        ),
        ("first page + charts, last 90 days (rendered)", history.run, PAGE_GOAL_MS),
        (
            "first page + charts, all time (queries)",
            first_page(supervisor, Filters()),
            PAGE_GOAL_MS,
        ),
        ("first page + charts, all time (rendered)", history_all_time.run, PAGE_GOAL_MS),
        ("clinician's first page + charts (rendered)", history_clinician.run, PAGE_GOAL_MS),
        (
            "first page, highest risk first (queries)",
            first_page(supervisor, recent, Order.RISK),
            None,
        ),
        (
            "page 1,000 of all time (queries, OFFSET)",
            lambda: page(engine, supervisor, Filters(), offset=999 * 50),
            None,
        ),
        ("patient lookup: blind index + records (queries)", lookup, LOOKUP_GOAL_MS),
        ("patient lookup with timeline (rendered)", history_lookup.run, None),
    ]
    results = []
    for name, call, goal in cases:
        p50, p95 = measure(call, repeat=repeat)
        results.append(Figure(name, round(p50, 1), round(p95, 1), goal, command))
        print(f"  {name}: p50 {p50:.1f} ms, p95 {p95:.1f} ms", flush=True)
    return results
