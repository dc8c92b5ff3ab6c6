"""The history's rules on a real database: who sees what, lookup, audited reveal, masked export."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from clinic import accounts as clinic_accounts
from clinic import audit, db, demo, disclosure, runtime
from clinic.access import AccessDenied
from clinic.history import Filters, Order, choices, find_patient, page, summary
from clinic.history import explanation as stored_explanation
from clinic.predictions import predict_and_store
from clinic.tables import audit_events, predictions
from tests.support import MEASUREMENTS

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
PATIENTS = {
    "ana": [("Zacarías Quiñónez", "9.876.543-2"), ("Eloísa Barragán", "1020304050")],
    "bruno": [("Tomás Ñañez", "55.666.777")],
}


@pytest.fixture
def history(config, small_model):
    clinic = runtime.start(config)
    accounts = {}
    with db.writing(clinic.engine) as connection:
        for name, role in [
            ("ana", "clinician"),
            ("bruno", "clinician"),
            ("sara", "supervisor"),
            ("root", "admin"),
        ]:
            accounts[name] = clinic_accounts.add(
                connection,
                "t",
                name,
                name.capitalize(),
                role,
                "seven blue doors on a wet street",
                temporary=False,
                now=NOW,
            )
    for clinician, people in PATIENTS.items():
        for full_name, national_id in people:
            predict_and_store(
                clinic.engine,
                clinic.vault,
                small_model,
                actor=clinician,
                full_name=full_name,
                national_id=national_id,
                measurements=MEASUREMENTS,
            )
    return clinic, accounts


def test_a_clinician_sees_only_their_own_whatever_the_filter(history) -> None:
    clinic, accounts = history
    rows, total = page(clinic.engine, accounts["ana"], Filters())
    assert total == 2 and {r.clinician for r in rows} == {"ana"}
    crafted = Filters(clinician="bruno")
    assert page(clinic.engine, accounts["ana"], crafted) == ([], 0)
    bruno_patient = find_patient(clinic.engine, clinic.vault, accounts["bruno"], "55666777")
    assert page(clinic.engine, accounts["ana"], Filters(patient_id=bruno_patient)) == (
        [],
        0,
    )
    assert find_patient(clinic.engine, clinic.vault, accounts["ana"], "55666777") is None


def test_a_supervisor_sees_everyone_masked(history) -> None:
    clinic, accounts = history
    rows, total = page(clinic.engine, accounts["sara"], Filters())
    assert total == 3
    assert {r.national_id_masked for r in rows} == {"••••5432", "••••4050", "••••6777"}
    assert {r.name_masked for r in rows} == {"Z. Q.", "E. B.", "T. Ñ."}
    with pytest.raises(AccessDenied):
        page(clinic.engine, accounts["root"], Filters())


def test_pages_split_the_history_without_overlap(history) -> None:
    clinic, accounts = history
    first, total = page(clinic.engine, accounts["sara"], Filters(), limit=2)
    second, _ = page(clinic.engine, accounts["sara"], Filters(), offset=2, limit=2)
    assert total == 3 and len(first) == 2 and len(second) == 1
    assert not {r.id for r in first} & {r.id for r in second}


@pytest.mark.parametrize("typed", ["9.876.543-2", "98765432", " 9 876 543 2 "])
def test_lookup_finds_the_patient_however_punctuated(history, typed) -> None:
    clinic, accounts = history
    patient = find_patient(clinic.engine, clinic.vault, accounts["sara"], typed)
    rows, total = page(clinic.engine, accounts["sara"], Filters(patient_id=patient))
    assert total == 1 and rows[0].national_id_masked == "••••5432"


def test_reveal_needs_a_supervisor_a_purpose_and_a_reason(history) -> None:
    clinic, accounts = history
    record = page(clinic.engine, accounts["sara"], Filters())[0][-1]
    for viewer in ("ana", "root"):
        with pytest.raises(AccessDenied):
            disclosure.reveal(
                clinic.engine,
                clinic.vault,
                accounts[viewer],
                record.id,
                "treatment",
                "follow-up call needed",
                NOW,
            )
    with pytest.raises(ValueError, match="at least 10"):
        disclosure.reveal(
            clinic.engine, clinic.vault, accounts["sara"], record.id, "treatment", "because", NOW
        )
    with pytest.raises(ValueError, match="Purpose"):
        disclosure.reveal(
            clinic.engine,
            clinic.vault,
            accounts["sara"],
            record.id,
            "curiosity",
            "I would like to know",
            NOW,
        )
    assert "reveal" not in [e["action"] for e in audit.search(clinic.engine)]

    revealed = disclosure.reveal(
        clinic.engine,
        clinic.vault,
        accounts["sara"],
        record.id,
        "treatment",
        "Schedule follow-up CD4 test",
        NOW,
    )
    assert (revealed.identity.full_name, revealed.identity.national_id) == PATIENTS["ana"][0]
    assert not revealed.name_on_file_differs
    with clinic.engine.connect() as connection:
        event = connection.execute(
            select(audit_events).where(audit_events.c.action == "reveal")
        ).one()
    assert event.actor == "sara" and event.target == str(record.id)
    assert event.details == {"purpose": "treatment", "reason": "Schedule follow-up CD4 test"}
    assert audit.verify(clinic.engine)[1] is None


@pytest.mark.parametrize(
    "reason",
    [
        "calling Quiñónez about results",
        "calling QUINONEZ about results",  # accents and case aside
        "ask zacarias to come back",
        "Mallory asked for the results",  # a name typed later for the same ID, by bruno
        "patient with ID ending 6543 called",  # four characters of the ID in a row
        "cédula 9.876 on the phone",
        "ID 98-76-54-32 on the lab form",
    ],
)
def test_reveal_refuses_a_reason_that_names_the_patient(history, small_model, reason) -> None:
    """Any name typed for the patient, whole or any word of 3+ letters, accents and case aside,
    and any 4 characters of the ID in a row; the message echoes none of it, and the refused
    attempt is audited without the reason."""
    clinic, accounts = history
    predict_and_store(
        clinic.engine,
        clinic.vault,
        small_model,
        actor="bruno",
        full_name="Mallory Overwrite",
        national_id="98765432",
        measurements=MEASUREMENTS,
    )
    record = page(clinic.engine, accounts["sara"], Filters(clinician="ana"))[0][-1]
    with pytest.raises(ValueError, match="must not contain any name") as refused:
        disclosure.reveal(
            clinic.engine, clinic.vault, accounts["sara"], record.id, "treatment", reason, NOW
        )
    for secret in ("Zacar", "Quiñ", "Mallory", "6543", "9876"):
        assert secret not in str(refused.value)
    actions = [(e["action"], e["target"], e["details"]) for e in audit.search(clinic.engine)]
    assert ("reveal.refused", str(record.id), {"purpose": "treatment"}) in actions
    assert "reveal" not in [action for action, _, _ in actions]


@pytest.mark.parametrize(
    "reason",
    [
        "Quinine dosage review needed",
        "Lab result 2026 needs a call",
        "Dr. Zapata asked for the lab values",
    ],
)
def test_reveal_accepts_a_reason_that_only_resembles_the_patient(history, reason) -> None:
    clinic, accounts = history
    record = page(clinic.engine, accounts["sara"], Filters(clinician="ana"))[0][-1]
    revealed = disclosure.reveal(
        clinic.engine, clinic.vault, accounts["sara"], record.id, "treatment", reason, NOW
    )
    assert revealed.identity.full_name == "Zacarías Quiñónez"


def test_export_is_masked_audited_and_for_supervisors_only(history) -> None:
    clinic, accounts = history
    with pytest.raises(AccessDenied):
        disclosure.export_csv(clinic.engine, accounts["ana"], Filters(), NOW)
    text = disclosure.export_csv(clinic.engine, accounts["sara"], Filters(clinician="ana"), NOW)
    lines = text.strip().splitlines()
    assert len(lines) == 3 and lines[0].startswith("id,created_at,name_masked")
    for full_name, national_id in [p for people in PATIENTS.values() for p in people]:
        assert full_name not in text and national_id not in text
        assert national_id.replace(".", "").replace("-", "") not in text
    events = [e for e in audit.search(clinic.engine) if e["action"] == "export"]
    assert events[0]["actor"] == "sara" and events[0]["details"] == {"rows": 2}


RIVAL = "7"
"""The version a second model's predictions carry in the summary test, so a version filter cuts."""
_SCOPE = {"ana": lambda row: row.created_by == "ana", "sara": lambda row: True}


def _by_hand(clinic, viewer: str, filters: Filters) -> list:
    """The rows `filters` selects for `viewer`, picked in Python from the whole table: an answer
    that owes nothing to clinic.history's queries."""
    with clinic.engine.connect() as connection:
        rows = connection.execute(select(predictions)).all()
    return [
        r
        for r in rows
        if _SCOPE[viewer](r)
        and (filters.since is None or r.created_at >= filters.since)
        and (filters.until is None or r.created_at < filters.until)
        and (not filters.bands or r.risk_band in filters.bands)
        and (filters.infected is None or r.infected == filters.infected)
        and (filters.clinician is None or r.created_by == filters.clinician)
        and (filters.model_version is None or r.model_version == filters.model_version)
    ]


def _looser_and_tighter(viewer: str, filters: Filters) -> tuple[list, list]:
    """Each condition of a case relaxed, one at a time (a supervisor's scope, a bound moved a day
    out, a filter dropped), and each bound moved a day in: what must select more, and less."""
    day = timedelta(days=1)
    looser = [("sara", filters)] if viewer != "sara" else []
    tighter = []
    if filters.since:
        looser.append((viewer, dataclasses.replace(filters, since=filters.since - day)))
        tighter.append((viewer, dataclasses.replace(filters, since=filters.since + day)))
    if filters.until:
        looser.append((viewer, dataclasses.replace(filters, until=filters.until + day)))
        tighter.append((viewer, dataclasses.replace(filters, until=filters.until - day)))
    unfiltered = Filters()
    for name in ("bands", "infected", "clinician", "model_version"):
        if getattr(filters, name) != getattr(unfiltered, name):
            dropped = dataclasses.replace(filters, **{name: getattr(unfiltered, name)})
            looser.append((viewer, dropped))
    return looser, tighter


@pytest.mark.parametrize(
    ("viewer", "filters"),
    [
        ("sara", Filters(bands=("low",), model_version=RIVAL)),
        ("ana", Filters(since=NOW - timedelta(days=30, hours=5), infected=False)),
        ("sara", Filters(clinician="bruno", bands=("high", "moderate"))),
        ("sara", Filters(since=NOW - timedelta(days=20), until=NOW - timedelta(days=3))),
        ("sara", Filters(since=datetime(2026, 11, 1, tzinfo=UTC), infected=True)),
        ("ana", Filters(until=datetime(2026, 11, 20, tzinfo=UTC), model_version=RIVAL)),
    ],
)
def test_totals_and_charts_agree_with_counts_made_from_the_rows(
    history, small_model, viewer, filters
) -> None:
    """Midnight bounds are answered from the daily tallies, others from the rows: both must
    equal what counting the table's rows by hand gives. Every condition of every case leaves
    rows out, and every bound has rows on both sides within a day, so a summary that ignored a
    condition or misplaced a bound would count something else."""
    clinic, accounts = history
    plan = demo.Plan(n=400, clinicians=["ana", "bruno"], now=NOW, days=45, seed=3)
    demo.generate(clinic.engine, clinic.vault, small_model, plan, actor="t")
    assert small_model.version != RIVAL
    rival = dataclasses.replace(small_model, version=RIVAL)
    demo.generate(clinic.engine, clinic.vault, rival, dataclasses.replace(plan, seed=5), actor="t")
    expected = _by_hand(clinic, viewer, filters)
    looser, tighter = _looser_and_tighter(viewer, filters)
    assert all(len(_by_hand(clinic, *wider)) > len(expected) for wider in looser)
    assert all(len(_by_hand(clinic, *narrower)) < len(expected) for narrower in tighter)
    assert expected

    rows, total = page(clinic.engine, accounts[viewer], filters, limit=10_000)
    assert total == len(rows) == len(expected)
    assert sorted(r.id for r in rows) == sorted(r.id for r in expected)
    result = summary(clinic.engine, accounts[viewer], filters)
    weeks = Counter(r.created_at.date() - timedelta(days=r.created_at.weekday()) for r in expected)
    assert result.per_week == sorted(weeks.items())
    assert result.per_band == Counter(r.risk_band for r in expected)
    versions = Counter(r.model_version for r in expected)
    positives = Counter(r.model_version for r in expected if r.infected)
    assert result.positive_share_by_version == {
        version: pytest.approx(positives[version] / n) for version, n in versions.items()
    }


def test_the_list_sorts_by_date_either_way_or_by_risk(history, small_model) -> None:
    clinic, accounts = history
    plan = demo.Plan(n=120, clinicians=["ana"], now=NOW, days=10, seed=4)
    demo.generate(clinic.engine, clinic.vault, small_model, plan, actor="t")
    listed = {
        order: page(clinic.engine, accounts["sara"], Filters(), order=order, limit=500)[0]
        for order in Order
    }
    newest = [(r.created_at, r.id) for r in listed[Order.NEWEST]]
    assert newest == sorted(newest, reverse=True) and len(newest) == 123
    assert listed[Order.OLDEST] == listed[Order.NEWEST][::-1]
    risks = [r.probability for r in listed[Order.RISK]]
    assert risks == sorted(risks, reverse=True) and risks[0] > risks[-1]


def test_filter_choices_come_from_the_viewers_own_records(history, small_model) -> None:
    clinic, accounts = history
    assert choices(clinic.engine, accounts["sara"]) == (
        ["ana", "bruno"],
        [small_model.version],
    )
    assert choices(clinic.engine, accounts["ana"]) == (["ana"], [small_model.version])


def test_explanations_are_stored_and_shown_only_within_scope(history, small_model) -> None:
    clinic, accounts = history
    rows, _ = page(clinic.engine, accounts["sara"], Filters(clinician="bruno"))
    stored = stored_explanation(clinic.engine, accounts["sara"], rows[0].id)
    assert stored is not None
    explanation, measurements = stored
    assert explanation.probability == pytest.approx(rows[0].probability, abs=1e-6)
    assert explanation.contributions == small_model.explain(measurements).contributions
    assert stored_explanation(clinic.engine, accounts["ana"], rows[0].id) is None  # bruno's
