"""Per-patient explanations from the real champion: exact, consistent, in clinical words."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model_store.dataset import load_data
from model_store.explain import explain, explain_many
from model_store.explanation import Explanation
from model_store.schema import CODES
from tests.support import MEASUREMENTS


def test_contributions_add_up_to_probability_minus_base_rate(champion) -> None:
    patients = load_data()[list(CODES)].sample(40, random_state=1).to_dict("records")
    for measurements in [MEASUREMENTS, *patients]:
        result = explain(champion.pipeline, measurements)
        probability = champion.predict(measurements).probability
        assert result.probability == pytest.approx(probability, abs=1e-9)
        assert sum(result.contributions.values()) == pytest.approx(
            probability - result.base_rate, abs=1e-6
        )
        assert set(result.contributions) == set(CODES)


def test_many_at_once_equal_one_at_a_time(champion) -> None:
    """Batches explain with sparse decision paths; they must say what the form would."""
    frame = load_data()[list(CODES)].sample(60, random_state=3).reset_index(drop=True)
    together = explain_many(champion.pipeline, frame)
    assert len(together) == len(frame)
    for measurements, batch in zip(frame.to_dict("records"), together, strict=True):
        single = explain(champion.pipeline, measurements)
        assert batch.base_rate == pytest.approx(single.base_rate, abs=1e-12)
        assert batch.probability == pytest.approx(single.probability, abs=1e-9)
        for code in CODES:
            assert batch.contributions[code] == pytest.approx(single.contributions[code], abs=1e-9)


def test_base_rate_is_the_forests_mean_root_share(champion) -> None:
    forest = champion.pipeline.steps[-1][1]
    roots = [t.tree_.value[0, 0, 1] / t.tree_.value[0, 0].sum() for t in forest.estimators_]
    assert explain(champion.pipeline, MEASUREMENTS).base_rate == pytest.approx(np.mean(roots))


def test_follow_up_time_moves_the_risk_most_on_average(champion) -> None:
    """The model card says `time` dominates; the explanations must agree."""
    patients = load_data()[list(CODES)].sample(60, random_state=2).to_dict("records")
    mean_effect = (
        pd.DataFrame([explain(champion.pipeline, m).contributions for m in patients]).abs().mean()
    )
    assert mean_effect.idxmax() == "time"


def test_stored_form_round_trips(champion) -> None:
    result = explain(champion.pipeline, MEASUREMENTS)
    again = Explanation.from_json(result.to_json())
    assert again.contributions == result.contributions
    assert again.probability == pytest.approx(result.probability, abs=1e-12)
    assert len(result.strongest(5)) == 5
    effects = [abs(v) for _, v in result.strongest(5)]
    assert effects == sorted(effects, reverse=True)
