"""Faults with a real server and browser: killed with SIGKILL in the middle of a burst of
submissions, nothing the clinician was shown is lost and the audit chain still verifies; the
database unreachable, the clinician is told, keeps what was typed, and the retry goes through
once it is back."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import socket
import threading

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.engine import make_url

from benchmarks.person import box, click, idle
from clinic import audit, patients
from clinic.identity import normalise_national_id
from clinic.tables import audit_events, predictions
from model_store.schema import FIELDS
from tests.browser.support import (
    SCREENSHOTS,
    Server,
    fill_patient,
    make_account,
    server_clinic,
    sign_in,
    start_server,
)
from tests.support import MEASUREMENTS, free_port, throwaway_postgres

pytestmark = pytest.mark.browser
SHOWN = re.compile(r"record #(\d+)")


def test_kill_9_mid_burst_loses_no_shown_prediction(page: Page, trained_store, tmp_path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    env = {**os.environ, "CLINIC_DATA_DIR": str(data_dir)}
    process, url = start_server(env, tmp_path / "streamlit.log")
    try:
        server = Server(url, data_dir, tmp_path / "streamlit.log", env)
        sign_in(page, server, make_account(server, "carla", "clinician"))
        fill_patient(page, "Inés Ordóñez Pardo", "10.000.001", MEASUREMENTS)
        shown: list[int] = []
        for i in range(6):
            box(page, "National ID").fill(f"10.000.{i + 1:03d}")
            click(page, "Predict")
            record = page.get_by_text(SHOWN)
            expect(record).to_contain_text(f"#{(shown[-1] + 1) if shown else ''}")
            idle(page)
            shown.append(int(SHOWN.search(record.inner_text())[1]))
        box(page, "National ID").fill("10.000.999")
        page.get_by_role("button", name="Predict").click()
        process.kill()  # SIGKILL: no shutdown, no flush, mid-request
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()

    assert shown == list(range(shown[0], shown[0] + 6))
    with server_clinic(server) as clinic:
        with clinic.engine.connect() as connection:
            stored = set(connection.execute(select(predictions.c.id)).scalars())
            audited = set(
                connection.execute(
                    select(audit_events.c.target).where(audit_events.c.action == "prediction")
                ).scalars()
            )
        checked, broken = audit.verify(clinic.engine)
    assert set(shown) <= stored  # every result shown is stored
    assert {str(i) for i in stored} == audited  # and none is stored without its audit event
    assert broken is None and checked > len(shown)


class Cuttable:
    """A TCP forwarder on a free loopback port to `target`, which the test can cut (the port
    refuses connections and every open one is dropped, as when the database host goes away)
    and restore (the same port accepts again)."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = free_port()
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._stop = threading.Event()
        self._listener: threading.Thread | None = None

    def restore(self) -> None:
        listener = socket.create_server(("127.0.0.1", self.port))  # SO_REUSEADDR
        listener.settimeout(0.1)
        self._stop.clear()
        self._listener = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._listener.start()

    def cut(self) -> None:
        self._stop.set()
        if self._listener is not None:
            self._listener.join(timeout=5)
        with self._lock:
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._open.clear()

    def _accept(self, listener: socket.socket) -> None:
        with listener:
            while not self._stop.is_set():
                try:
                    client, _ = listener.accept()
                except TimeoutError:
                    continue
                try:
                    upstream = socket.create_connection(self.target, timeout=5)
                except OSError:
                    client.close()
                    continue
                upstream.settimeout(None)
                client.settimeout(None)
                with self._lock:
                    self._open |= {client, upstream}
                for source, sink in ((client, upstream), (upstream, client)):
                    threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


PATIENT_NAME = "Wilmer Quiñones Arboleda"
PATIENT_ID = "30.000.001"
UNAVAILABLE = (
    "The database is unavailable, so nothing was stored. Your entries are kept: try again in a "
    "moment."
)


def _stored_for(server: Server, national_id: str) -> tuple[str | None, list[int], list[dict]]:
    """The patient with this national ID (None if never stored), the ids of their stored
    predictions, and every "prediction" audit event, read straight from the database."""
    with server_clinic(server) as clinic, clinic.engine.connect() as connection:
        patient = patients.find(connection, clinic.vault, normalise_national_id(national_id))
        ids = list(
            connection.execute(
                select(predictions.c.id).where(predictions.c.patient_id == patient)
            ).scalars()
        )
        events = [
            dict(row._mapping)
            for row in connection.execute(
                select(audit_events.c.target, audit_events.c.actor, audit_events.c.details).where(
                    audit_events.c.action == "prediction"
                )
            )
        ]
    return patient, ids, events


def _form_values(page: Page) -> dict[str, object]:
    """What the form shows now: each box's value (numbers as numbers), each chosen option."""
    values: dict[str, object] = {
        label: box(page, label).input_value() for label in ("Full name", "National ID")
    }
    for f in FIELDS:
        if f.choices is not None and len(f.choices) == 2:
            group = page.get_by_role("radiogroup", name=f.label, exact=True)
            checked = group.locator("input:checked")
            values[f.label] = checked.evaluate("input => input.closest('label').innerText")
        elif f.choices is not None:  # a selectbox shows the chosen option in its input
            values[f.label] = box(page, f.label).input_value()
        else:
            text = box(page, f.label).input_value()
            values[f.label] = float(text) if text else None
    return values


def _as_typed(name: str, national_id: str, measurements: dict) -> dict[str, object]:
    """The form as `fill_patient` left it: what `_form_values` should read back."""
    values: dict[str, object] = {"Full name": name, "National ID": national_id}
    for f in FIELDS:
        value = measurements[f.code]
        values[f.label] = float(value) if f.choices is None else f.choices[value]
    return values


def test_database_outage_keeps_the_form_and_the_retry_goes_through(
    page: Page, serve, champion
) -> None:
    with throwaway_postgres() as direct_url:
        target = make_url(direct_url)
        proxy = Cuttable(target.host or "127.0.0.1", target.port or 5432)
        proxy.restore()
        try:
            through = target.set(host="127.0.0.1", port=proxy.port)
            server = serve(DATABASE_URL=through.render_as_string(hide_password=False))
            direct = dataclasses.replace(server, env={**server.env, "DATABASE_URL": direct_url})
            sign_in(page, server, make_account(server, "carla", "clinician"))
            fill_patient(page, PATIENT_NAME, PATIENT_ID, MEASUREMENTS)
            idle(page)
            typed = _as_typed(PATIENT_NAME, PATIENT_ID, MEASUREMENTS)
            assert _form_values(page) == typed

            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            proxy.cut()
            click(page, "Predict")
            # said where the clinician is looking (the Predict button, at the foot of the form)
            toast = page.get_by_test_id("stToast").get_by_text(UNAVAILABLE, exact=True)
            expect(toast).to_be_in_viewport()
            page.screenshot(path=SCREENSHOTS / "database-outage.png")
            # and kept above the form, with the page-wide notice at the top
            inline = page.get_by_test_id("stAlertContentError").get_by_text(UNAVAILABLE, exact=True)
            expect(inline).to_be_visible()
            inline.scroll_into_view_if_needed()
            page.screenshot(path=SCREENSHOTS / "database-outage-alert.png")
            idle(page)
            expect(page.get_by_text("The database is unavailable: keep working")).to_be_visible()
            expect(page.get_by_test_id("stMetricValue")).to_have_count(0)
            assert _form_values(page) == typed
            assert _stored_for(direct, PATIENT_ID) == (None, [], [])

            proxy.restore()
            click(page, "Predict")
            expected = champion.predict(MEASUREMENTS)
            expect(page.get_by_test_id("stMetricValue")).to_have_text(f"{expected.probability:.1%}")
            expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
            expect(page.get_by_text("The database is unavailable: keep working")).to_have_count(0)
            idle(page)
            page.screenshot(path=SCREENSHOTS / "database-back.png", full_page=True)
            shown = int(SHOWN.search(page.get_by_text(SHOWN).inner_text())[1])
            patient, ids, events = _stored_for(direct, PATIENT_ID)
            assert ids == [shown]  # exactly one: the failed attempt left nothing behind
            assert events == [
                {
                    "target": str(shown),
                    "actor": "carla",
                    "details": {"patient_id": patient, "model_version": champion.version},
                }
            ]
            with server_clinic(direct) as clinic:
                checked, broken = audit.verify(clinic.engine)
            assert broken is None and checked >= 1
        finally:
            proxy.cut()
