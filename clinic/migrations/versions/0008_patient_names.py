"""patient names: a different name typed for a known ID is a new version, never an overwrite

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "patient_names",
        sa.Column(
            "id",
            sa.String(length=36),
            nullable=False,
            comment="random UUID, bound into the ciphertext",
        ),
        sa.Column("patient_id", sa.String(length=36), nullable=False),
        sa.Column("full_name_enc", sa.LargeBinary(), nullable=False),
        sa.Column("name_masked", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name="fk_patient_names_patient_id_patients"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_patient_names"),
        comment="each later, different name typed for a patient's ID (the patient row keeps the "
        "first, never overwritten): append-only",
    )
    op.create_index("ix_patient_names_patient_id", "patient_names", ["patient_id"])
    with op.batch_alter_table("predictions") as batch:
        batch.add_column(
            sa.Column(
                "name_id",
                sa.String(length=36),
                nullable=True,
                comment="the name typed with this record; NULL: the one on the patient row",
            )
        )
        batch.create_foreign_key(
            "fk_predictions_name_id_patient_names", "patient_names", ["name_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("predictions") as batch:
        batch.drop_constraint("fk_predictions_name_id_patient_names", type_="foreignkey")
        batch.drop_column("name_id")
    op.drop_index("ix_patient_names_patient_id", table_name="patient_names")
    op.drop_table("patient_names")
