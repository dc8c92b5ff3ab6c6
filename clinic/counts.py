"""Daily tallies of predictions and of their inputs, so that the history's totals and the
monitoring's distributions read a few thousand rows instead of every prediction. They are
written in the transaction that stores the predictions they count, so they are exact whenever
those predictions are visible."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC

from sqlalchemy import Connection, Table

from clinic.db import insert_or_merge
from clinic.tables import input_counts, prediction_counts
from model_store.reference import bins

KEY = ("day", "model_version", "risk_band", "infected", "created_by")
INPUT_KEY = ("day", "field", "bin")


def add(connection: Connection, stored: Sequence[Mapping]) -> None:
    """Count rows just inserted into `predictions` (dicts with their column values)."""
    _merge(connection, prediction_counts, KEY, _predictions(stored))
    _merge(connection, input_counts, INPUT_KEY, inputs(stored))


def _predictions(stored: Iterable[Mapping]) -> Counter:
    return Counter(
        (
            row["created_at"].astimezone(UTC).date(),
            row["model_version"],
            row["risk_band"],
            row["infected"],
            row["created_by"],
        )
        for row in stored
    )


def inputs(stored: Iterable[Mapping]) -> Counter:
    """(day, field, bin) -> how many of the rows' measurements fell in that bin."""
    by_field = bins()
    return Counter(
        (row["created_at"].astimezone(UTC).date(), code, binned.of(row["measurements"][code]))
        for row in stored
        for code, binned in by_field.items()
    )


def _merge(connection: Connection, table: Table, key: tuple[str, ...], tally: Counter) -> None:
    """Add each count to its row, creating the rows that do not exist yet."""
    if not tally:
        return
    statement = insert_or_merge(connection, table)
    statement = statement.on_conflict_do_update(
        index_elements=list(key), set_={"n": table.c.n + statement.excluded.n}
    )
    # Sorted keys: concurrent writers lock tally rows in the same order, so never deadlock.
    connection.execute(
        statement, [dict(zip(key, k, strict=True), n=n) for k, n in sorted(tally.items())]
    )
