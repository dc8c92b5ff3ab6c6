"""batch uploads: which upload stored a prediction, and its row fingerprint

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("predictions") as batch:
        batch.add_column(
            sa.Column(
                "batch_id",
                sa.String(length=36),
                nullable=True,
                comment="the upload that stored it (batch)",
            )
        )
        batch.add_column(
            sa.Column(
                "batch_key",
                sa.String(length=64),
                nullable=True,
                comment="keyed digest of patient and measurements: one upload stored twice is "
                "stored once",
            )
        )
        batch.create_index("ix_predictions_batch_id", ["batch_id"])
        batch.create_index("ix_predictions_batch_key", ["batch_key"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("predictions") as batch:
        batch.drop_index("ix_predictions_batch_key")
        batch.drop_index("ix_predictions_batch_id")
        batch.drop_column("batch_key")
        batch.drop_column("batch_id")
