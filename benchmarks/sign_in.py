"""Failed sign-ins: does a wrong password for an existing account take as long as any password
for a username nobody has? (If not, the time tells an attacker which usernames exist.)

The sign-in page runs in-process through Streamlit's AppTest against a fresh data dir, and
each figure is the server's time for one press of Login: interleaved attempts, each existing
account tried once (a sixth failure would lock it), then a Mann-Whitney test of the two sets.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.report import Figure

APP = Path(__file__).resolve().parents[1] / "app.py"
ATTEMPTS = 30


def _press_login(at, username: str, password: str) -> float:
    """Milliseconds for the run that checks one typed username and password."""
    boxes = {box.label: box for box in at.text_input}
    boxes["Username"].input(username)
    boxes["Password"].input(password)
    next(button for button in at.button if button.label == "Login").click()
    started = time.perf_counter()
    at.run()
    elapsed = (time.perf_counter() - started) * 1000
    assert "incorrect" in at.error[0].value, "the attempt was not refused"
    return elapsed


def _percentiles(times: list[float]) -> tuple[float, float]:
    return statistics.median(times), statistics.quantiles(times, n=20, method="inclusive")[18]


def figures(attempts: int, command: str) -> tuple[list[Figure], dict]:
    from scipy.stats import mannwhitneyu
    from streamlit.testing.v1 import AppTest

    from clinic import accounts, config, db, runtime

    home = Path(tempfile.mkdtemp(prefix="bench-sign-in-"))
    # Its own data dir and database, as the other benchmarks' use_home sets them (the app under
    # AppTest reads the same settings); the sign-in page needs no model.
    os.environ["CLINIC_DATA_DIR"] = str(home)
    os.environ["DATABASE_URL"] = f"sqlite:///{home / 'clinic.db'}"
    for name in ("CLINIC_ENCRYPTION_KEYS", "CLINIC_INDEX_KEY"):
        os.environ.pop(name, None)
    clinic = runtime.start(config.load())
    with db.writing(clinic.engine) as connection:
        for i in range(attempts):
            accounts.add(
                connection,
                "bench",
                f"clinician{i:02d}",
                f"Clinician {i}",
                "clinician",
                "seven blue doors on a wet street",
                temporary=False,
                now=datetime.now(UTC),
            )
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    _press_login(at, "warm-up-nobody", "a wrong password here")  # first run imports lazily
    known, unknown = [], []
    for i in range(attempts):
        known.append(_press_login(at, f"clinician{i:02d}", f"wrong password {i}"))
        unknown.append(_press_login(at, f"nobody{i:02d}", f"wrong password {i}"))
    import streamlit as st

    st.cache_resource.clear()  # the app's cached runtime points at this benchmark's database
    p_value = float(mannwhitneyu(known, unknown).pvalue)
    k50, k95 = _percentiles(known)
    u50, u95 = _percentiles(unknown)
    ratios = sorted(k / u for k, u in zip(known, unknown, strict=True))
    figures = [
        Figure("wrong password, existing account", k50, k95, None, command),
        Figure("any password, unknown username", u50, u95, None, command),
        Figure(
            "existing / unknown, paired attempts",
            _percentiles(ratios)[0],
            _percentiles(ratios)[1],
            None,
            command,
            unit="x",
        ),
    ]
    return figures, {"attempts each": attempts, "Mann-Whitney p": f"{p_value:.2f}"}
