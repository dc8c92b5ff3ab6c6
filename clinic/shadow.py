"""Shadow scoring: the `challenger` version scores each stored prediction too, after the
champion's answer is stored and shown, on a background thread (one patient from the form or a
whole batch file alike); its score is stored beside the champion's and never shown as the answer.
The model card compares the two on live traffic (the original project's A/B plan, without
exposing any patient to an unproven model)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import Engine, bindparam, case, func, select, update

from clinic import db
from clinic.tables import predictions
from model_store.ports import Model

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


def submit(engine: Engine, challenger: Model, records: Mapping[int, Mapping[str, float]]) -> Future:
    """Score stored records (record id -> its measurements) with the challenger in the
    background."""
    return _WORKER.submit(_score, engine, challenger, dict(records))


def drain() -> None:
    """Wait until every shadow score submitted so far is stored (one worker, in order)."""
    _WORKER.submit(lambda: None).result()


def _score(engine: Engine, challenger: Model, records: dict[int, Mapping[str, float]]) -> None:
    try:
        scores = challenger.predict_many(list(records.values()))
        with db.writing(engine) as connection:
            connection.execute(
                update(predictions)
                .where(predictions.c.id == bindparam("record"))
                .values(
                    challenger_version=challenger.version,
                    challenger_probability=bindparam("shadow_probability"),
                    challenger_infected=bindparam("shadow_infected"),
                ),
                [
                    {
                        "record": record,
                        "shadow_probability": s.probability,
                        "shadow_infected": s.infected,
                    }
                    for record, s in zip(records, scores, strict=True)
                ],
            )
    except Exception:  # a shadow score is never worth failing anything for; say which records
        log.exception(
            "shadow scores for %d records (ids %s to %s) not stored",
            len(records),
            min(records),
            max(records),
        )


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
