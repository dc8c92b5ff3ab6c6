"""What an explanation holds: per-field contributions to one patient's risk. Plain values, so
that the clinic can show and store one without loading scikit-learn (model_store.explain
computes them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Explanation:
    """Contributions by schema field code; sum(contributions) == probability - base_rate."""

    base_rate: float
    probability: float
    contributions: Mapping[str, float]

    def strongest(self, n: int = 8) -> list[tuple[str, float]]:
        """The `n` fields that moved the risk most, largest effect first."""
        ranked = sorted(self.contributions.items(), key=lambda item: -abs(item[1]))
        return [(code, value) for code, value in ranked[:n] if value != 0]

    def to_json(self) -> dict:
        return {"base_rate": self.base_rate, "contributions": dict(self.contributions)}

    @classmethod
    def from_json(cls, data: Mapping) -> Explanation:
        contributions = {str(k): float(v) for k, v in data["contributions"].items()}
        base_rate = float(data["base_rate"])
        return cls(base_rate, base_rate + sum(contributions.values()), contributions)
