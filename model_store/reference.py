"""The training data's distribution of each input: the yardstick today's patients are held to.

Each measured field is cut into the deciles of its training values (inside its training range);
each coded field has one bin per code. Values below or above the training range get bins of
their own, so the share of patients unlike anyone the model learned from can be counted. The
bins depend only on the shipped training file (its sha256 is checked), so tallies kept in the
database by bin stay comparable across releases.

The population stability index compares two distributions over the same bins:
PSI = sum((actual - expected) * ln(actual / expected)). Rules of thumb: below 0.1 stable,
0.1 to 0.2 a moderate shift, above 0.2 a shift worth acting on.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from model_store.schema import FIELDS, Field, number_text

BELOW = 0
"""The bin of values under the training range (measured fields only)."""
ABOVE = 99
"""The bin of values over the training range (measured fields only)."""
DECILES = tuple(i / 10 for i in range(1, 10))
PSI_FLAG = 0.2
EMPTY_SHARE = 1e-4
"""Stands in for a share of 0 in the PSI, whose logarithm would be infinite."""


@dataclass(frozen=True)
class Bins:
    """How one field's values are binned, and each in-range bin's share of the training rows."""

    field: Field
    cuts: tuple[float, ...]
    """Measured fields: interior cut points; a value equal to a cut goes to the upper bin."""
    training_shares: tuple[float, ...]

    @property
    def count(self) -> int:
        """In-range bins, numbered 1..count."""
        return len(self.training_shares)

    def of(self, value: float) -> int:
        """The bin a value falls in."""
        if self.field.categorical:
            return 1 + bisect_right(self.cuts, value)
        lo, hi = self.field.training_range
        if value < lo:
            return BELOW
        if value > hi:
            return ABOVE
        return 1 + bisect_right(self.cuts, value)

    def labels(self) -> list[str]:
        """What each in-range bin holds, for charts: '250–340' or the code's meaning."""
        if self.field.categorical:
            return [label.split(" – ")[0] for label in self.field.choices.values()]
        lo, hi = self.field.training_range
        bounds = [lo, *self.cuts, hi]
        return [
            f"{number_text(a)}–{number_text(b)}" for a, b in zip(bounds, bounds[1:], strict=False)
        ]

    def in_range_shares(self, counts: dict[int, int]) -> list[float]:
        """Shares of the in-range bins from counts by bin; out-of-range values join the
        nearest end bin, as the PSI needs every value in some bin."""
        merged = [counts.get(b, 0) for b in range(1, self.count + 1)]
        merged[0] += counts.get(BELOW, 0)
        merged[-1] += counts.get(ABOVE, 0)
        total = sum(merged)
        return [n / total if total else 0.0 for n in merged]


@cache
def bins() -> dict[str, Bins]:
    """Every field's bins, computed once from the training data."""
    import numpy as np

    from model_store.dataset import load_data  # pandas and the file, only when first needed

    data = load_data()
    found = {}
    for f in FIELDS:
        values = data[f.code].to_numpy(dtype=float)
        if f.categorical:
            codes = sorted(f.choices)
            cuts = tuple(float(c) + 0.5 for c in codes[:-1])
        else:
            cuts = tuple(sorted(set(np.quantile(values, DECILES).tolist()) - {min(values)}))
        shaped = Bins(f, cuts, ())
        counts = np.bincount([shaped.of(v) for v in values], minlength=len(cuts) + 2)
        shares = counts[1 : len(cuts) + 2] / len(values)
        found[f.code] = Bins(f, cuts, tuple(float(s) for s in shares))
    return found


def psi(expected: Sequence[float], actual: Sequence[float]) -> float:
    """Population stability index of `actual` shares against `expected` ones, same bins."""
    total = 0.0
    for e, a in zip(expected, actual, strict=True):
        e, a = max(e, EMPTY_SHARE), max(a, EMPTY_SHARE)
        total += (a - e) * math.log(a / e)
    return total
