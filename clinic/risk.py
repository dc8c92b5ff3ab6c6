"""How a probability is put into words: the class label and the risk band."""

from __future__ import annotations

from enum import StrEnum


class RiskBand(StrEnum):
    """High: at or above the model's threshold. Moderate: at least half of it. Low: below that."""

    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"


def risk_band(probability: float, threshold: float) -> RiskBand:
    if probability >= threshold:
        return RiskBand.HIGH
    if probability >= threshold / 2:
        return RiskBand.MODERATE
    return RiskBand.LOW


def class_label(infected: bool) -> str:
    """The original project's label for the predicted class."""
    return "infected" if infected else "not infected"
