"""The batch page through AppTest: a clinician uploads a list, sees each bad line, stores the
good ones once and gets them highest risk first with identifiers masked."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select

from clinic import batch, batch_file, config, runtime
from clinic.tables import predictions
from tests.clinic.support import PEOPLE, batch_csv, batch_row
from tests.pages.support import run_directly, signed_in_app


def _probabilities(tmp_path) -> list[float]:
    engine = create_engine(f"sqlite:///{tmp_path / 'clinic.db'}")
    with engine.connect() as connection:
        stored = list(connection.execute(select(predictions.c.probability)).scalars())
    engine.dispose()
    return stored


def _upload(at, data: bytes):
    at.file_uploader(key="batch.file").upload("list.csv", data, "text/csv")
    return at.run()


@pytest.fixture
def page(trained_store, tmp_path, monkeypatch):
    at = signed_in_app(tmp_path, monkeypatch)
    return at.switch_page("views/batch.py").run()


def test_a_list_is_checked_stored_once_and_prioritised(page, tmp_path) -> None:
    data = batch_csv([batch_row(0), batch_row(1, age="-4"), batch_row(2), batch_row(3)])
    at = _upload(page, data)
    assert not at.exception
    assert "3 lines can be scored; 1 need correcting" in at.warning[0].value
    report = at.dataframe[0].value
    assert report.values.tolist() == [[3, "age", "Age must be between 0–120 years; got -4."]]
    assert _probabilities(tmp_path) == []  # checked, not yet stored

    next(b for b in at.button if b.label.startswith("Score and store")).click().run()
    assert not at.exception
    assert "Stored 3 predictions." in at.success[-1].value
    assert not [b for b in at.button if b.label.startswith("Score and store")]
    listing = at.dataframe[1].value
    stored = sorted(_probabilities(tmp_path), reverse=True)
    assert listing["Risk"].tolist() == [round(p, 3) for p in stored]
    assert sorted(listing["Line"]) == [2, 4, 5]
    shown = listing.to_csv() + at.download_button[-1].proto.url
    for name, national_id in PEOPLE:
        assert name.split()[0] not in shown and national_id not in shown

    page.file_uploader(key="batch.file").set_value(None)
    at = _upload(page.run(), data)
    next(b for b in at.button if b.label.startswith("Score and store")).click().run()
    assert "Stored 0 predictions; 3 lines you had already stored were not stored again." in (
        at.success[-1].value
    )
    assert len(_probabilities(tmp_path)) == 3


def test_another_clinicians_upload_of_the_same_file_is_never_shown(
    page, tmp_path, champion
) -> None:
    """Issue 14.5: ana stored this list first; carla's upload stores her own records and is
    neither told of nor shown ana's."""
    data = batch_csv([batch_row(0), batch_row(1), batch_row(2)])
    clinic = runtime.start(config.load())
    earlier = batch.score_and_store(
        clinic.engine, clinic.vault, champion, batch_file.read(data), actor="ana"
    )
    at = _upload(page, data)
    next(b for b in at.button if b.label.startswith("Score and store")).click().run()
    assert at.success[-1].value == "Stored 3 predictions."
    shown = set(at.dataframe[-1].value["Record"])
    assert len(shown) == 3 and not shown & {r.id for r in earlier.results}
    assert len(_probabilities(tmp_path)) == 6


def test_a_header_repeating_a_column_is_refused_and_stores_nothing(page, tmp_path) -> None:
    """Issue 14.8: 80,000 repeats of one column (480 KB) took a minute of CPU to check."""
    header = ",".join([*batch_file.COLUMNS, *["age"] * 80_000])
    at = _upload(page, f"{header}\n{','.join(['1'] * len(batch_file.COLUMNS))}\n".encode())
    assert at.error[0].value == "Nothing was stored: The header repeats: age."
    assert not [b for b in at.button if b.label.startswith("Score and store")]
    assert _probabilities(tmp_path) == []


def test_a_malformed_file_stores_nothing(page, tmp_path) -> None:
    at = _upload(page, b"name,id\nAna,1\n")
    assert "Nothing was stored: The header lacks the column(s) full_name" in at.error[0].value
    assert not [b for b in at.button if b.label.startswith("Score and store")]
    assert _probabilities(tmp_path) == []


def test_administrators_cannot_open_it(trained_store, tmp_path, monkeypatch) -> None:
    """Not in an administrator's menu, and refused by the page itself when run directly."""
    direct = run_directly(signed_in_app(tmp_path, monkeypatch, role="admin"), "batch")
    assert "Your role does not give access" in direct.error[0].value
    assert not direct.file_uploader
