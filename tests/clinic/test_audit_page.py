"""The Audit trail page's "Verify the chain" button says what `audit verify` says."""

from __future__ import annotations

from sqlalchemy import create_engine, text
from streamlit.testing.v1 import AppTest

from clinic import audit, config
from tests.pages.support import signed_in_app


def _verify_on_page(tmp_path, monkeypatch) -> AppTest:
    at = signed_in_app(tmp_path, monkeypatch, role="supervisor")
    at.switch_page("views/audit.py").run()
    return at


def _click_verify(at: AppTest) -> AppTest:
    next(b for b in at.button if b.label == "Verify the chain").click()
    return at.run()


def test_the_page_names_deleted_newest_events(tmp_path, monkeypatch) -> None:
    at = _verify_on_page(tmp_path, monkeypatch)
    assert "All 1 events verified" in _click_verify(at).success[0].value
    attacker = create_engine(config.load().database_url)
    with attacker.begin() as connection:
        connection.execute(text("DELETE FROM audit_events"))
    attacker.dispose()
    shown = _click_verify(at).error[0].value
    assert shown == (
        "The chain is broken at event 1: it and every later event up to 1, which the anchor "
        "recorded, were deleted."
    )


def test_the_page_names_a_missing_anchor(tmp_path, monkeypatch) -> None:
    at = _verify_on_page(tmp_path, monkeypatch)
    (tmp_path / audit.ANCHOR_FILE).unlink()
    shown = _click_verify(at).error[0].value
    assert shown.startswith("The chain could not be verified to its end: there is no audit anchor")
    assert "create one with `python -m clinic audit anchor`" in shown
