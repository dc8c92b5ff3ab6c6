"""daily tallies of the inputs' bins (drift monitoring), counted for existing predictions

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BATCH = 20_000


def upgrade() -> None:
    table = op.create_table(
        "input_counts",
        sa.Column("day", sa.Date(), nullable=False, comment="UTC day of the predictions counted"),
        sa.Column("field", sa.String(length=16), nullable=False, comment="schema field code"),
        sa.Column(
            "bin",
            sa.SmallInteger(),
            nullable=False,
            comment="model_store.reference bin: 1..n in the training range, 0 below, 99 above",
        ),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "field", "bin", name=op.f("pk_input_counts")),
        comment="daily tallies of the inputs' bins, for drift; kept with each prediction",
        sqlite_with_rowid=False,
    )
    _backfill(table)


def _backfill(table: sa.Table) -> None:
    """Count the predictions stored before this revision, reading them in slices."""
    from collections import Counter

    from clinic.counts import inputs
    from clinic.tables import predictions

    connection = op.get_bind()
    tally: Counter = Counter()
    last = 0
    while rows := connection.execute(
        sa.select(predictions.c.id, predictions.c.created_at, predictions.c.measurements)
        .where(predictions.c.id > last)
        .order_by(predictions.c.id)
        .limit(BATCH)
    ).all():
        tally.update(inputs([row._mapping for row in rows]))
        last = rows[-1].id
    if tally:
        op.bulk_insert(
            table, [{"day": d, "field": f, "bin": b, "n": n} for (d, f, b), n in tally.items()]
        )


def downgrade() -> None:
    op.drop_table("input_counts")
