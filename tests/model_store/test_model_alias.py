"""Who holds `champion`: a better model takes it, a worse one does not, promote moves it."""

from __future__ import annotations

import pytest

from model_store import aliases, registry, tracking, train

WORSE = {"n_estimators": 3, "max_depth": 2, "max_features": 1}
BETTER = {"n_estimators": 25}
WORST = {"n_estimators": 2, "max_depth": 1, "max_features": 1}


def test_alias_follows_cv_f1_and_promote_overrides_it(empty_store) -> None:
    first = train.train(WORSE)
    assert (first.trained, first.version, first.champion) == (True, "1", "1")
    assert first.previous_champion is None

    better = train.train(BETTER)
    assert better.metrics["cv_f1"] > first.metrics["cv_f1"]
    assert (better.version, better.champion, better.previous_champion) == ("2", "2", "1")
    assert registry.resolve_version() == "2"

    worse = train.train(WORST)
    assert worse.metrics["cv_f1"] < better.metrics["cv_f1"]
    assert (worse.trained, worse.version, worse.champion) == (True, "3", "2")
    assert registry.resolve_version() == "2"
    assert registry.resolve_version("models:/final_model/3") == "3"

    again = train.train(WORST)
    assert (again.trained, again.version, again.champion) == (False, "3", "2")

    moved = aliases.promote("3")
    assert (moved.previous, moved.current) == ("2", "3")
    assert registry.resolve_version() == "3"
    assert registry.load().version == "3"

    with pytest.raises(aliases.UnknownVersion, match="no version '99'"):
        aliases.promote(99)
    assert tracking.champion_version() == "3"

    back = aliases.rollback()
    assert (back.previous, back.current) == ("3", "2")
    assert tracking.champion_version() == "2"
    assert tracking.alias_version(tracking.PREVIOUS) == "3"
    assert aliases.rollback().current == "3"  # rolling back twice returns to where it was


def test_rollback_needs_a_previous_champion_and_challenger_can_be_cleared(empty_store) -> None:
    train.train(WORSE)
    with pytest.raises(aliases.UnknownVersion, match="no @previous"):
        aliases.rollback()
    train.train(WORST)
    assert aliases.set_challenger("2") is None
    assert tracking.alias_version(tracking.CHALLENGER) == "2"
    assert tracking.champion_version() == "1"  # the challenger never takes the champion's place
    assert aliases.set_challenger(None) == "2"
    assert tracking.alias_version(tracking.CHALLENGER) is None
    with pytest.raises(aliases.UnknownVersion):
        aliases.set_challenger("7")
