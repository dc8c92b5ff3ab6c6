"""What the clinic needs of a model version, and what it gets back: the interfaces between the
use cases and model_store.registry.LoadedModel. Plain Python only (no MLflow, scikit-learn or
pandas), so that a use case can be imported, and tested with a small stand-in, without them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from model_store.explanation import Explanation


@dataclass(frozen=True)
class Scored:
    """One patient's risk: the model's probability and the decision at the model's threshold."""

    probability: float
    infected: bool

    @classmethod
    def at(cls, probability: float, threshold: float) -> Scored:
        """The decision rule: infected when the probability reaches the model's threshold."""
        return cls(probability=probability, infected=probability >= threshold)


class Versioned(Protocol):
    """Which model version scored a prediction, and its decision threshold."""

    name: str
    version: str
    threshold: float


class Model(Versioned, Protocol):
    """What scoring needs of a model version, for one patient or many: raw schema values keyed
    by field code in, one answer per row out, in order."""

    def predict_many(self, rows: Sequence[Mapping[str, float]]) -> list[Scored]: ...

    def explain_many(self, rows: Sequence[Mapping[str, float]]) -> list[Explanation]: ...
