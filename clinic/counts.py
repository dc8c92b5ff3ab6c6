"""Daily tallies of predictions, so that the history's totals and charts read a few thousand
rows instead of every prediction. They are written in the transaction that stores the
predictions they count, so they are exact whenever those predictions are visible."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC

from sqlalchemy import Connection

from clinic.db import insert_or_merge
from clinic.tables import prediction_counts

KEY = ("day", "model_version", "risk_band", "infected", "created_by")


def add(connection: Connection, stored: Iterable[Mapping]) -> None:
    """Count rows just inserted into `predictions` (dicts with their column values)."""
    tally = Counter(
        (
            row["created_at"].astimezone(UTC).date(),
            row["model_version"],
            row["risk_band"],
            row["infected"],
            row["created_by"],
        )
        for row in stored
    )
    if not tally:
        return
    statement = insert_or_merge(connection, prediction_counts)
    statement = statement.on_conflict_do_update(
        index_elements=list(KEY), set_={"n": prediction_counts.c.n + statement.excluded.n}
    )
    # Sorted keys: concurrent writers lock tally rows in the same order, so never deadlock.
    connection.execute(
        statement, [dict(zip(KEY, key, strict=True), n=n) for key, n in sorted(tally.items())]
    )
