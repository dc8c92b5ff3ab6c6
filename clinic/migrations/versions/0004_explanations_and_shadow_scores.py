"""per-prediction explanations and challenger (shadow) scores

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("predictions") as batch:
        batch.add_column(
            sa.Column(
                "explanation",
                sa.JSON(),
                nullable=True,
                comment="base rate and per-field contributions (model_store.explain); none for demo",
            )
        )
        batch.add_column(
            sa.Column(
                "challenger_version",
                sa.String(length=32),
                nullable=True,
                comment="shadow model, if one was set",
            )
        )
        batch.add_column(
            sa.Column(
                "challenger_probability",
                sa.Float(),
                nullable=True,
                comment="never shown as the answer",
            )
        )
        batch.add_column(sa.Column("challenger_infected", sa.Boolean(), nullable=True))
        batch.create_index("ix_predictions_challenger_version", ["challenger_version"])


def downgrade() -> None:
    with op.batch_alter_table("predictions") as batch:
        batch.drop_index("ix_predictions_challenger_version")
        batch.drop_column("challenger_infected")
        batch.drop_column("challenger_probability")
        batch.drop_column("challenger_version")
        batch.drop_column("explanation")
