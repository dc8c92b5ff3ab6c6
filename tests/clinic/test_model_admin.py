"""Changing the serving model: admins only, with a reason, audited with what it changed; and the
challenger's shadow scores stored beside the champion's."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from clinic import accounts as clinic_accounts
from clinic import audit, db, model_admin, runtime, shadow
from clinic.access import AccessDenied
from clinic.predictions import predict_and_store
from clinic.tables import predictions
from model_store import registry, tracking
from tests.support import MEASUREMENTS

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


@pytest.fixture
def clinic_with_accounts(config, versions):
    clinic = runtime.start(config)
    accounts = {}
    with db.writing(clinic.engine) as connection:
        for name, role in [("root", "admin"), ("sara", "supervisor")]:
            accounts[name] = clinic_accounts.add(
                connection,
                "t",
                name,
                name,
                role,
                "seven blue doors on a wet street",
                temporary=False,
                now=NOW,
            )
    return clinic, accounts


def _events(clinic, action: str) -> list[dict]:
    return [e for e in audit.search(clinic.engine) if e["action"] == action]


def test_admin_promotes_and_rolls_back_with_audit(clinic_with_accounts) -> None:
    clinic, accounts = clinic_with_accounts
    change = model_admin.promote(clinic.engine, accounts["root"], "2", "compare on live data", NOW)
    assert (change.before, change.after) == ("1", "2")
    assert tracking.champion_version() == "2"
    [event] = _events(clinic, "model.promote")
    assert event["actor"] == "root" and event["target"] == "2"
    assert event["details"] == {
        "alias": "champion",
        "from": "1",
        "to": "2",
        "reason": "compare on live data",
    }

    back = model_admin.rollback(clinic.engine, accounts["root"], "worse F1", NOW)
    assert (back.before, back.after) == ("2", "1")
    assert tracking.champion_version() == "1"
    assert _events(clinic, "model.rollback")[0]["details"]["to"] == "1"
    assert audit.verify(clinic.engine)[1] is None


def test_refusals_change_nothing_and_record_nothing(clinic_with_accounts) -> None:
    from model_store import aliases

    clinic, accounts = clinic_with_accounts
    with pytest.raises(AccessDenied):
        model_admin.promote(clinic.engine, accounts["sara"], "2", "I'd like to", NOW)
    with pytest.raises(ValueError, match="reason"):
        model_admin.promote(clinic.engine, accounts["root"], "2", "   ", NOW)
    with pytest.raises(aliases.UnknownVersion):
        model_admin.promote(clinic.engine, accounts["root"], "9", "typo", NOW)
    assert tracking.champion_version() == "1"
    assert _events(clinic, "model.promote") == []


def test_challenger_scores_in_the_shadow_and_is_never_the_answer(clinic_with_accounts) -> None:
    clinic, accounts = clinic_with_accounts
    model_admin.set_challenger(clinic.engine, accounts["root"], "2", "A/B on live traffic", NOW)
    champion = registry.load()
    challenger = registry.load("models:/final_model@challenger")
    assert (champion.version, challenger.version) == ("1", "2")
    stored = [
        predict_and_store(
            clinic.engine,
            clinic.vault,
            champion,
            actor="ana",
            full_name=name,
            national_id=national_id,
            measurements={**MEASUREMENTS, "time": time},
            challenger=challenger,
        )
        for name, national_id, time in [
            ("Ana Ruiz", "12345678", 100),
            ("Luis Paz", "87654321", 900),
        ]
    ]
    shadow.drain()
    with clinic.engine.connect() as connection:
        rows = connection.execute(select(predictions).order_by(predictions.c.id)).all()
    for result, row in zip(stored, rows, strict=True):
        assert result.probability == champion.predict(row.measurements).probability
        assert row.probability == result.probability and row.model_version == "1"
        assert row.challenger_version == "2"
        assert row.challenger_probability == challenger.predict(row.measurements).probability
    [pair] = shadow.agreement(clinic.engine)
    assert (pair.champion, pair.challenger, pair.predictions) == ("1", "2", 2)
    same = sum(r.infected == r.challenger_infected for r in rows) / 2
    assert pair.same_class == pytest.approx(same)
    assert pair.mean_difference == pytest.approx(
        sum(abs(r.probability - r.challenger_probability) for r in rows) / 2
    )
    assert _events(clinic, "model.challenger")[0]["details"]["to"] == "2"
