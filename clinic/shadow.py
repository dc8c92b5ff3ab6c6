"""Shadow scoring: the `challenger` version scores each prediction too, after the champion's
answer is stored and shown, on a background thread; its score is stored beside the champion's and
never shown as the answer. The model card compares the two on live traffic (the original
project's A/B plan, without exposing any patient to an unproven model)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Engine, case, func, select, update

from clinic import db
from clinic.tables import predictions

if TYPE_CHECKING:  # clinic.predictions imports this module
    from clinic.predictions import Versioned
    from model_store.registry import Scored

log = logging.getLogger(__name__)
_WORKER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shadow")


@dataclass(frozen=True)
class Agreement:
    champion: str
    challenger: str
    predictions: int
    same_class: float
    """Share of predictions where both gave the same class."""
    mean_difference: float
    """Mean absolute difference of the two probabilities."""


def submit(engine: Engine, challenger, record_id: int, values: Mapping[str, float]) -> Future:
    """Score stored record `record_id` with the challenger in the background."""
    return _WORKER.submit(_score, engine, challenger, record_id, values)


def drain() -> None:
    """Wait until every shadow score submitted so far is stored (one worker, in order)."""
    _WORKER.submit(lambda: None).result()


def columns(challenger: Versioned, scored: Scored) -> dict:
    """The `predictions` columns that hold a challenger's score of a record."""
    return {
        "challenger_version": challenger.version,
        "challenger_probability": scored.probability,
        "challenger_infected": scored.infected,
    }


def _score(engine: Engine, challenger, record_id: int, values: Mapping[str, float]) -> None:
    try:
        scored = challenger.predict(values)
        with db.writing(engine) as connection:
            connection.execute(
                update(predictions)
                .where(predictions.c.id == record_id)
                .values(**columns(challenger, scored))
            )
    except Exception:  # a shadow score is never worth failing anything for; say which record
        log.exception("shadow score for record %s not stored", record_id)


def agreement(engine: Engine) -> list[Agreement]:
    """Champion vs challenger on every record scored by both, per pair of versions."""
    same = case((predictions.c.infected == predictions.c.challenger_infected, 1), else_=0)
    difference = func.abs(predictions.c.probability - predictions.c.challenger_probability)
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                predictions.c.model_version,
                predictions.c.challenger_version,
                func.count(),
                func.avg(same),
                func.avg(difference),
            )
            .where(predictions.c.challenger_version.is_not(None))
            .group_by(predictions.c.model_version, predictions.c.challenger_version)
        ).all()
    return [
        Agreement(champion, challenger, n, float(same_share), float(mean_difference))
        for champion, challenger, n, same_share, mean_difference in rows
    ]
