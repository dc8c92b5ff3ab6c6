"""Twenty clinicians at once, each in their own Chromium context, ten patients each: every
prediction is stored once, shown to the one who made it, and audited. Timings are the
benchmark's business (`python -m benchmarks concurrency`), not this test's."""

from __future__ import annotations

import pytest

from benchmarks import concurrency
from benchmarks.person import CHROMIUM
from tests.browser.support import server_clinic
from tests.support import unavailable

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_twenty_clinicians_at_once_each_see_their_own_stored_results(server) -> None:
    if not CHROMIUM.exists():
        unavailable("Chromium is not installed at /usr/bin/chromium (apt-get install chromium)")
    with server_clinic(server) as clinic:
        outcome = concurrency.run(server.url, clinic, sessions=20, predictions_each=10)
    assert outcome.errors == []  # includes: every result shown is stored as shown, and audited
    assert outcome.stored == 200
    assert len(outcome.shown) == 200
    assert len({s.clinician for s in outcome.shown}) == 20
