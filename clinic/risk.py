"""How a probability is put into words: the class label and the risk band (in the reader's
language, clinic.i18n, when asked)."""

from __future__ import annotations

from enum import StrEnum

from clinic.i18n import N_, _


class RiskBand(StrEnum):
    """High: at or above the model's threshold. Moderate: at least half of it. Low: below that.

    The value is what the database stores; `label`, `word` and `phrase` are what people read."""

    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"

    @property
    def label(self) -> str:
        """'Low' / 'Bajo': the band on its own, as in a filter or a legend."""
        return _(_LABELS[self])

    @property
    def word(self) -> str:
        """'low' / 'bajo': the band in a table cell, lower case as the stored value."""
        return self.label.lower()

    @property
    def phrase(self) -> str:
        """'Low risk' / 'Riesgo bajo'."""
        return _(_PHRASES[self])


_LABELS = {RiskBand.LOW: N_("Low"), RiskBand.MODERATE: N_("Moderate"), RiskBand.HIGH: N_("High")}
_PHRASES = {
    RiskBand.LOW: N_("Low risk"),
    RiskBand.MODERATE: N_("Moderate risk"),
    RiskBand.HIGH: N_("High risk"),
}


MODERATE_FROM = 0.5
"""Moderate risk starts at this share of the model's threshold."""


def band_ranges(threshold: float) -> dict[RiskBand, tuple[float, float]]:
    """The probabilities each band covers for a model's threshold, lowest band first."""
    moderate = threshold * MODERATE_FROM
    return {
        RiskBand.LOW: (0.0, moderate),
        RiskBand.MODERATE: (moderate, threshold),
        RiskBand.HIGH: (threshold, 1.0),
    }


def risk_band(probability: float, threshold: float) -> RiskBand:
    if probability >= threshold:
        return RiskBand.HIGH
    if probability >= threshold * MODERATE_FROM:
        return RiskBand.MODERATE
    return RiskBand.LOW


def class_label(infected: bool) -> str:
    """The original project's label for the predicted class, in the reader's language."""
    return _("infected") if infected else _("not infected")
