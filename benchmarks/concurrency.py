"""Concurrency: clinicians at once, each in their own Chromium context, sign in and predict.

Every result shown must be the prediction stored for that clinician and patient, with its audit
event; the figure is the time from pressing Predict to that result on the page. The browsers run
on the server's machine, so on a few cores their rendering competes with the server: the figure
is then an upper bound for clinicians at their own computers."""

from __future__ import annotations

import asyncio
import math
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from benchmarks.cold_start import APP
from benchmarks.home import use_home
from benchmarks.memory import _wait_listening
from benchmarks.person import (
    CHROMIUM,
    CHROMIUM_ARGS,
    Account,
    box,
    enrolled_account,
    idle_async,
    sign_in_async,
)
from benchmarks.report import RESULTS, Figure
from benchmarks.rest_server import free_port
from clinic import audit, config, runtime
from clinic.identity import mask_national_id
from clinic.runtime import Clinic
from clinic.tables import audit_events, patients, predictions
from model_store.schema import BY_CODE, FIELDS

HOME = RESULTS.parent / "bench-concurrency"
SCREENSHOTS = RESULTS.parent / "screenshots"
SESSIONS = 20
PREDICTIONS = 10
GOAL_MS = 1000.0
TIMEOUT_MS = 60_000
"""What a page waits for anything before the submission counts as an error."""
VARIED = "time"
"""The measurement that changes between one clinician's patients (Follow-up time: the model
leans on it, so their probabilities differ); the rest stay as the first patient's."""
REFUSED = re.compile("nothing was stored|database is unavailable", re.IGNORECASE)
"""What the app says when it stores nothing (invalid input, database unavailable)."""


@dataclass(frozen=True)
class Shown:
    """One result as its clinician saw it on the page (masked identity only)."""

    clinician: str
    caption: str
    probability: str
    typed: int
    """The varied measurement as typed."""
    ms: float
    """From pressing Predict to this patient's result on the page."""

    @property
    def record_id(self) -> int:
        return int(self.caption.rsplit("#", 1)[1])


@dataclass(frozen=True)
class Outcome:
    """What the clinicians saw, and how many predictions the database gained."""

    shown: list[Shown]
    errors: list[str]
    """Failed sessions or submissions, and every disagreement between page and database."""
    stored: int
    lost_presses: int
    """Sign-in presses that had no effect and were made again (person.press_async)."""


def run(url: str, clinic: Clinic, sessions: int, predictions_each: int) -> Outcome:
    """`sessions` new clinicians on the app at `url` at once, `predictions_each` patients each,
    checked against `clinic`'s database (the server's own)."""
    stamp = int(time.time())
    firsts = _first_patients(sessions)
    clinicians = [
        _Clinician(
            seat,
            enrolled_account(clinic, f"conc{stamp}x{seat}", "clinician"),
            _patients(seat, stamp, firsts[seat], predictions_each),
        )
        for seat in range(sessions)
    ]
    before = _count(clinic)
    # An event loop of its own, in a thread of its own: the browser tests' sync Playwright may
    # already run one in this thread.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, _all_at_once(url, clinicians)).result()
    shown = [s for c in clinicians for s in c.shown]
    stored = _count(clinic) - before
    errors = [e for c in clinicians for e in c.errors] + check(clinic, shown)
    if stored != len(shown):
        errors.append(f"{stored} predictions stored, {len(shown)} shown")
    return Outcome(shown, errors, stored, sum(c.lost_presses for c in clinicians))


@dataclass
class _Clinician:
    """One clinician's session: who, which patients, and what happened."""

    seat: int
    account: Account
    patients: list[_Patient]
    shown: list[Shown] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lost_presses: int = 0


async def _all_at_once(url: str, clinicians: Sequence[_Clinician]) -> None:
    """One browser, a context per clinician: all sign in, then all submit at once."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        signed_in = asyncio.Barrier(len(clinicians))
        await asyncio.gather(*(_session(browser, url, c, signed_in) for c in clinicians))
        await browser.close()


class _Refused(Exception):
    """The app stored nothing and said why (its words hold no patient identifier)."""


async def _session(browser, url: str, clinician: _Clinician, signed_in: asyncio.Barrier) -> None:
    """Sign in, wait for everyone else, then submit each patient. When the app refuses one, it
    is an error and the clinician starts over with the next; any other failure leaves the page
    in a state unknown, and ends the session."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    step = "sign-in"
    try:
        try:
            clinician.lost_presses = await sign_in_async(page, url, clinician.account)
            await page.get_by_role("heading", name="New prediction").wait_for()
            await idle_async(page)  # the form is enabled: the model is loaded
        finally:
            await signed_in.wait()
        fresh = True
        for n, patient in enumerate(clinician.patients):
            step = f"prediction {n + 1}"
            try:
                shown = await _submit(page, clinician.account.username, patient, fresh=fresh)
                clinician.shown.append(shown)
                fresh = False
            except _Refused as refusal:
                clinician.errors.append(f"session {clinician.seat}, {step}: {refusal}")
                await _start_over(page)
                fresh = True
    except Exception as exc:  # noqa: BLE001 - any failure is this session's error, reported
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shot = SCREENSHOTS / f"concurrency-{clinician.seat}.png"
        await page.screenshot(path=shot, full_page=True)
        first_line = next(iter(str(exc).splitlines()), "")
        clinician.errors.append(
            f"session {clinician.seat}, {step}: {type(exc).__name__} {first_line} ({shot.name})"
        )
    finally:
        await context.close()


@dataclass(frozen=True)
class _Patient:
    """An invented patient, as the clinician types them."""

    full_name: str
    national_id: str
    measurements: dict[str, float | int]


def _patients(seat: int, stamp: int, first: dict[str, float | int], n: int) -> list[_Patient]:
    """One clinician's patients: invented, distinct (their IDs' last four characters too), the
    first one's measurements a row of the training data, the rest differing in `VARIED`."""
    from faker import Faker

    fake = Faker("es_CO")
    fake.seed_instance(seat)
    return [
        _Patient(
            f"{fake.first_name()} {fake.last_name()} {fake.last_name()}",
            f"{stamp % 100_000:05d}{seat * 100 + i:04d}",
            first | {VARIED: 100 + (i * 97) % 1100},
        )
        for i in range(n)
    ]


def _first_patients(count: int) -> list[dict[str, float | int]]:
    """The first `count` rows of the training data, as a clinician would type them."""
    from model_store.dataset import load_data

    rows = load_data().head(count).to_dict("records")
    return [
        {f.code: int(row[f.code]) if f.integer else round(row[f.code], 1) for f in FIELDS}
        for row in rows
    ]


async def _submit(page, clinician: str, patient: _Patient, *, fresh: bool) -> Shown:
    """Type the patient (all of the form when it is empty, else what changed), press Predict
    and time until the result naming this patient is on the page."""
    if fresh:
        await _fill_measurements(page, patient.measurements)
    await box(page, BY_CODE[VARIED].label).fill(str(patient.measurements[VARIED]))
    await box(page, "Full name").fill(patient.full_name)
    await box(page, "National ID").fill(patient.national_id)
    caption = page.get_by_text(f"ID {mask_national_id(patient.national_id)} · record #")
    refused = page.get_by_text(REFUSED)
    await idle_async(page)
    started = time.perf_counter()
    await page.get_by_role("button", name="Predict").click()
    await caption.or_(refused).first.wait_for()
    ms = (time.perf_counter() - started) * 1000
    if await refused.count():
        raise _Refused(f"the page said: {await refused.first.inner_text()}")
    await idle_async(page)
    probability = await page.get_by_test_id("stMetricValue").inner_text()
    typed = int(patient.measurements[VARIED])
    return Shown(clinician, await caption.inner_text(), probability, typed, ms)


async def _start_over(page) -> None:
    """ "New patient", then wait until what the app said is gone (its toast lasts a while)."""
    from playwright.async_api import expect

    await idle_async(page)
    new_patient = page.get_by_role("button", name="New patient")
    if not await new_patient.count():
        raise RuntimeError("the page no longer shows the form")
    await new_patient.click()
    await expect(page.get_by_text(REFUSED)).to_have_count(0, timeout=TIMEOUT_MS)
    await idle_async(page)


async def _fill_measurements(page, measurements: dict[str, float | int]) -> None:
    for f in FIELDS:
        value = measurements[f.code]
        if f.choices is None:
            await box(page, f.label).fill(str(value))
        elif len(f.choices) == 2:
            group = page.get_by_role("radiogroup", name=f.label)
            await group.get_by_text(f.choices[value], exact=True).click()
        else:
            await page.get_by_test_id("stSelectbox").filter(has_text=f.label).click()
            await page.get_by_role("option", name=f.choices[value]).click()


def check(clinic: Clinic, shown: Sequence[Shown]) -> list[str]:
    """Every result shown is a stored prediction by that clinician, with the masked identity,
    probability and measurement shown, and an audit event; the audit chain is unbroken."""
    ids = [s.record_id for s in shown]
    with clinic.engine.connect() as connection:
        rows = {
            row.id: row
            for row in connection.execute(
                select(
                    predictions.c.id,
                    predictions.c.created_by,
                    predictions.c.probability,
                    predictions.c.measurements,
                    patients.c.name_masked,
                    patients.c.national_id_masked,
                )
                .join(patients, patients.c.id == predictions.c.patient_id)
                .where(predictions.c.id.in_(ids))
            )
        }
        audited = {
            (row.target, row.actor)
            for row in connection.execute(
                select(audit_events.c.target, audit_events.c.actor).where(
                    audit_events.c.action == "prediction",
                    audit_events.c.target.in_([str(i) for i in ids]),
                )
            )
        }
    problems = [
        f"record {s.record_id}: {problem}"
        for s in shown
        if (problem := _disagreement(s, rows.get(s.record_id), audited))
    ]
    if len(set(ids)) != len(ids):
        problems.append("two results shown name the same record")
    _, broken = audit.verify(clinic.engine)
    if broken is not None:
        problems.append(f"audit chain broken at event {broken.id}")
    return problems


def _disagreement(shown: Shown, row, audited: set[tuple[str, str]]) -> str | None:
    if row is None:
        return "shown but not stored"
    expected = f"{row.name_masked} · ID {row.national_id_masked} · record #{row.id}"
    if (row.created_by, shown.caption) != (shown.clinician, expected):
        return "stored for another clinician or patient"
    if f"{row.probability:.1%}" != shown.probability:
        return "stored with another probability"
    if row.measurements[VARIED] != shown.typed:
        return "stored with other measurements"
    if (str(row.id), shown.clinician) not in audited:
        return "no audit event"
    return None


def _count(clinic: Clinic) -> int:
    with clinic.engine.connect() as connection:
        return connection.execute(select(func.count(predictions.c.id))).scalar_one()


@contextmanager
def _served(log: Path) -> Iterator[str]:
    """`streamlit run app.py` on a free loopback port with this process's settings, its console
    kept in `log` (the app writes no patient identifier there)."""
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.headless", "true"]
    command += ["--server.port", str(port), "--server.address", "127.0.0.1"]
    with log.open("wb") as console:
        server = subprocess.Popen(
            command, env=dict(os.environ), stdout=console, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_listening(url)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def figures(
    sessions: int, predictions_each: int, command: str, database_url: str | None = None
) -> tuple[list[Figure], dict]:
    """Run the scenario on a fresh server over the benchmark's own data dir (SQLite unless
    `database_url`); returns the figure and the context (counts, database, machine load).
    Errors go to stderr: session, step, the page's words; no patient appears in them."""
    use_home(HOME, database_url)
    clinic = runtime.start(config.load())
    load = os.getloadavg()[0]
    try:
        with _served(HOME / "streamlit.log") as url:
            outcome = run(url, clinic, sessions, predictions_each)
    finally:
        clinic.engine.dispose()
    for error in outcome.errors:
        print(f"error: {error}", file=sys.stderr)
    times = sorted(s.ms for s in outcome.shown) or [math.inf]
    p95 = times[math.ceil(0.95 * len(times)) - 1]  # nearest rank
    name = f"submit to result, {sessions} clinicians at once"
    context = {
        "clinicians": sessions,
        "predictions each": predictions_each,
        "stored": outcome.stored,
        "errors": len(outcome.errors),
        "sign-in presses lost": outcome.lost_presses,
        "database": clinic.engine.dialect.name,
        "cpus": os.cpu_count(),
        "load average before": round(load, 1),
    }
    return [Figure(name, statistics.median(times), p95, GOAL_MS, command)], context
