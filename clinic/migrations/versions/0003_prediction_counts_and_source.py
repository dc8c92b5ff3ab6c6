"""daily prediction tallies, the source of each prediction, indexes for sorting by risk

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_DAY = {
    "postgresql": "(created_at AT TIME ZONE 'UTC')::date",
    "sqlite": "date(created_at)",
}


def upgrade() -> None:
    with op.batch_alter_table("predictions") as batch:
        batch.add_column(
            sa.Column(
                "source",
                sa.String(length=16),
                nullable=False,
                server_default="form",
                comment="how it was entered: form, batch or demo (demo-data refuses if others exist)",
            )
        )
        batch.create_index("ix_predictions_probability", ["probability"])
        batch.create_index("ix_predictions_created_by_probability", ["created_by", "probability"])
    op.create_table(
        "prediction_counts",
        sa.Column("day", sa.Date(), nullable=False, comment="UTC day of the predictions counted"),
        sa.Column("model_version", sa.String(length=32), nullable=False),
        sa.Column("risk_band", sa.String(length=16), nullable=False),
        sa.Column("infected", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "day",
            "model_version",
            "risk_band",
            "infected",
            "created_by",
            name=op.f("pk_prediction_counts"),
        ),
        comment="daily tallies of predictions, kept in the transaction that stores each one",
        sqlite_with_rowid=False,
    )
    day = _DAY[op.get_bind().dialect.name]
    op.execute(
        "INSERT INTO prediction_counts (day, model_version, risk_band, infected, created_by, n) "
        f"SELECT {day}, model_version, risk_band, infected, created_by, count(*) "
        "FROM predictions GROUP BY 1, 2, 3, 4, 5"
    )


def downgrade() -> None:
    op.drop_table("prediction_counts")
    with op.batch_alter_table("predictions") as batch:
        batch.drop_index("ix_predictions_created_by_probability")
        batch.drop_index("ix_predictions_probability")
        batch.drop_column("source")
